"""A real sandbox process on a free loopback port, and a small client for its test hooks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from sandbox.server import DEFAULT_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
_BANNER = re.compile(r"Wazo sandbox listening on (http://[0-9.]+:(\d+))")
_START_TIMEOUT = 20.0


class SandboxProcess:
    """`python -m sandbox` in a subprocess, with helpers for the `/_sandbox/` hooks."""

    def __init__(self, state_path: Path, port: int = 0, prefixes: dict[str, str] | None = None) -> None:
        self.state_path = state_path
        self._port = port
        # where each service is mounted; the sandbox's default is nginx's layout
        self.prefixes = {**DEFAULT_PREFIXES, **(prefixes or {})}
        self._proc: subprocess.Popen[str] | None = None
        self._stdout: list[str] = []
        self.url = ""

    # -- process -----------------------------------------------------------------------------
    def start(self, *extra: str) -> SandboxProcess:
        cmd = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(self._port)]
        cmd += ["--state", str(self.state_path), *extra]
        for service, prefix in self.prefixes.items():
            cmd += [f"--{service}-prefix", prefix]
        self._proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        first = self._read_first_line()
        match = _BANNER.search(first)
        if not match:
            self.stop()
            raise RuntimeError(f"sandbox did not start; it printed: {first!r}")
        self.url = match.group(1)
        self._port = int(match.group(2))
        # keep draining its output so that a chatty server never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _read_first_line(self) -> str:
        assert self._proc is not None
        stdout = self._proc.stdout
        assert stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()))
        reader.start()
        reader.join(_START_TIMEOUT)
        return result[0] if result else ""

    def _drain(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._stdout.append(line)

    @property
    def output(self) -> str:
        """What the process printed after its first line."""
        return "".join(self._stdout)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def restart(self, *extra: str) -> SandboxProcess:
        """Stop and start again on the same port with the same state file."""
        self.stop()
        return self.start(*extra)

    # -- URLs ------------------------------------------------------------------------------
    @property
    def confd_url(self) -> str:
        return self.url + self.prefixes["confd"]

    @property
    def auth_url(self) -> str:
        return self.url + self.prefixes["auth"]

    @property
    def calld_url(self) -> str:
        return self.url + self.prefixes["calld"]

    # -- hooks -----------------------------------------------------------------------------
    def _hook(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        self._hook("POST", "reset")

    def requests(self, since: int | None = None) -> list[dict[str, Any]]:
        """The request log; with `since`, only entries whose `seq` is greater."""
        items: list[dict[str, Any]] = self._hook("GET", "requests").json()["items"]
        if since is not None:
            items = [item for item in items if item["seq"] > since]
        return items

    def last_seq(self) -> int:
        items = self.requests()
        return items[-1]["seq"] if items else 0

    def clear_requests(self) -> None:
        self._hook("DELETE", "requests")

    def fault(self, **spec: Any) -> str:
        return str(self._hook("POST", "faults", json=spec).json()["id"])

    def faults(self) -> list[dict[str, Any]]:
        """The injected faults, each with how many times it `fired`."""
        items: list[dict[str, Any]] = self._hook("GET", "faults").json()["items"]
        return items

    def clear_faults(self) -> None:
        self._hook("DELETE", "faults")

    def expire_tokens(self) -> None:
        self._hook("POST", "tokens/expire")

    def set_trunk_status(self, endpoint_name: str, after: int = 0, **changes: Any) -> None:
        """What calld knows of a trunk endpoint: registered, current_call_count, listed (see admin.py)."""
        self._hook("PUT", f"calld/trunks/{endpoint_name}", json={**changes, "after": after})

    def forget_trunk_status(self, endpoint_name: str) -> None:
        self._hook("DELETE", f"calld/trunks/{endpoint_name}")

    def token(self, username: str, password: str, **body: Any) -> str:
        response = httpx.post(f"{self.auth_url}/token", auth=(username, password), json=body, timeout=10)
        response.raise_for_status()
        return str(response.json()["data"]["token"])

    def clean(self) -> None:
        self.reset()
        self.clear_faults()
        self.clear_requests()


def running_sandbox(state_dir: Path, *extra: str) -> Iterator[SandboxProcess]:
    """Start a sandbox with its own state file (and extra flags, e.g. `--api 20.12`), yield it, stop it."""
    sandbox = SandboxProcess(state_dir / "sandbox.db").start(*extra)
    try:
        yield sandbox
    finally:
        sandbox.stop()
