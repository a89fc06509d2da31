"""`demo`: the main job on the embedded default, the sandbox, from a fresh clone.

It starts the sandbox (unless one already answers on the port), checks the stacks, then deploys
the acme-dev stack to the sandbox with the real Pulumi CLI and shows what the tenant holds. The CLI
is the project's own build (`make pulumi`, built here first when Go is installed) or a suitable one
on PATH; where neither can be had, it stops there and says exactly how to get one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from stacks import toolchain

NO_CLI = "The next step, `pulumi up`, needs the Pulumi CLI, and none could be had here:"
# The sandbox's own demo accounts (printed by `python -m sandbox`); they protect nothing real.
DEMO_TENANT = "11111111-1111-4111-8111-111111111111"  # acme
DEMO_USERNAME, DEMO_PASSWORD = "acme-admin", "acme-secret"  # the sandbox's public demo account
DEMO_SECRETS = {
    "password": DEMO_PASSWORD,
    "providers[0].password": "demo-voipco-password",
    "providers[1].password": "demo-backupco-password",
}
CODE_ROOT = Path(__file__).resolve().parents[1]  # where the sandbox package lives
DEMO_PASSPHRASE = "wazo-voip-demo"  # noqa: S105 - encrypts only the demo's local state


class DemoError(RuntimeError):
    """A step of the demo that failed; the message says which and why."""


@dataclass
class Demo:
    """The demo's steps; `ensure_cli` (find or build the CLI) is a seam for tests."""

    root: Path
    port: int = 9486
    state_dir: Path | None = None
    source_stack: str = "acme-dev"
    stack: str = "acme-demo"
    echo: Callable[[str], None] = print
    ensure_cli: Callable[[Callable[[str], None]], Path] = field(
        default=lambda echo: toolchain.ensure(echo=echo)
    )
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def state(self) -> Path:
        return self.state_dir or self.root / ".sandbox"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state / "sandbox.pid"

    # -- the sandbox -----------------------------------------------------------------------------
    def sandbox_answers(self) -> bool:
        try:
            response = httpx.get(f"{self.url}/api/confd/1.1/infos", timeout=1)
        except httpx.HTTPError:
            return False
        return response.status_code == 401  # confd wants a token: the sandbox is up

    def start_sandbox(self) -> None:
        if self.sandbox_answers():
            self.echo(f"The sandbox already answers on {self.url}.")
            return
        self.state.mkdir(parents=True, exist_ok=True)
        log = (self.state / "sandbox.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox",
                "--port",
                str(self.port),
                "--state",
                str(self.state / "state.db"),
            ],
            cwd=CODE_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + 20
        while not self.sandbox_answers():
            if process.poll() is not None or time.monotonic() > deadline:
                raise DemoError(f"the sandbox did not start; see {self.state / 'sandbox.log'}")
            time.sleep(0.1)
        self.echo(f"Started the sandbox on {self.url} (log: {self.state / 'sandbox.log'}).")

    def stop_sandbox(self) -> bool:
        if not self.pid_file.exists():
            return False
        pid = int(self.pid_file.read_text())
        self.pid_file.unlink()
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True

    # -- the deployment ----------------------------------------------------------------------------
    def pulumi_env(self) -> dict[str, str]:
        env = dict(self.environ)
        env.setdefault("PULUMI_BACKEND_URL", f"file://{self.state / 'pulumi'}")
        env.setdefault("PULUMI_CONFIG_PASSPHRASE", DEMO_PASSPHRASE)
        env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
        # the demo's CLI settings (credentials, plugins) stay beside its state, out of ~/.pulumi
        env.setdefault("PULUMI_HOME", str(self.state / "pulumi-home"))
        return env

    def demo_stack_file(self) -> Path:
        """A copy of the dev stack pointed at this sandbox (git ignores it): the CLI writes secrets there."""
        source = self.root / "stacks" / f"Pulumi.{self.source_stack}.yaml"
        target = self.root / "stacks" / f"Pulumi.{self.stack}.yaml"
        if not target.exists():
            text = source.read_text(encoding="utf-8").replace("http://127.0.0.1:9486", self.url)
            target.write_text(text, encoding="utf-8")
        return target

    def pulumi(self, binary: str, *args: str, secret: str | None = None) -> None:
        command = [binary, *args, "--stack", self.stack]
        self.echo("$ pulumi " + " ".join([*args, "--stack", self.stack]))
        # a secret goes on stdin, never on the command line
        result = subprocess.run(
            command, cwd=self.root, env=self.pulumi_env(), input=secret, text=True, check=False
        )
        if result.returncode != 0:
            raise DemoError(f"`pulumi {args[0]}` failed (exit {result.returncode})")

    def deploy(self, binary: str) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "pulumi").mkdir(exist_ok=True)
        self.demo_stack_file()
        self.pulumi(binary, "stack", "select", "--create")
        for key, value in DEMO_SECRETS.items():
            path = ["--path"] if "." in key or "[" in key else []
            self.pulumi(binary, "config", "set", "--secret", *path, key, secret=value)
        self.pulumi(binary, "up", "--yes")

    def run(self) -> int:
        self.start_sandbox()
        try:
            binary = self.ensure_cli(self.echo)
        except toolchain.ToolchainError as error:
            self.echo(f"{NO_CLI}\n\n{error}\n\nThen run `make demo` again.")
            self.echo(f"The sandbox keeps running on {self.url}; `make stop` stops it.")
            return 3
        self.deploy(str(binary))
        self.echo(f"The sandbox keeps running on {self.url}; `make stop` stops it.")
        return 0
