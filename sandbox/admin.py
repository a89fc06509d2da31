"""The `/_sandbox/` test hooks: reset, the request log, injected faults, token expiry, trunk status."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Response, current_app, request

from sandbox import seed
from sandbox.routes import json_response, store
from sandbox.rules import auth, calld
from sandbox.rules.common import generation

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

FAULT_BODY = b'["Sandbox injected fault"]'


@dataclass
class Fault:
    """One injected fault and what is left of it."""

    id: str
    method: str | None
    path: str
    regex: re.Pattern[str]
    times: int
    skip: int
    action: str
    status: int
    delay: float
    phase: str
    # `same`: once fired, the fault fires only on that same request again (method, path, body):
    # a request that keeps failing through every retry, among others of the same path
    same: bool = False
    pinned: tuple[str, str, bytes] | None = None
    location: str | None = None
    fired: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "times": self.times,
            "skip": self.skip,
            "action": self.action,
            "status": self.status,
            "delay": self.delay,
            "phase": self.phase,
            "same": self.same,
            "location": self.location,
            "remaining": self.times,
            "fired": self.fired,
        }


class FaultSpecError(ValueError):
    """A fault specification the hook refuses."""


@dataclass
class HookState:
    """The request log and the active faults (in memory, shared by every request thread)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    log: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    fault_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def record(self, method: str, path: str, query: str, tenant: str | None) -> dict[str, Any]:
        with self.lock:
            entry: dict[str, Any] = {
                "seq": next(self.seq),
                "method": method,
                "path": path,
                "query": query,
                "status": None,
                "tenant": tenant,
                "fault": None,
            }
            self.log.append(entry)
            return entry

    def take_fault(self, method: str, path: str, body: bytes = b"") -> Fault | None:
        """The fault that applies to this request, if any, counting skips and remaining times."""
        with self.lock:
            for fault in self.faults:
                if fault.times <= 0:
                    continue
                if fault.method is not None and fault.method.upper() != method.upper():
                    continue
                if fault.regex.fullmatch(path) is None:
                    continue
                if fault.pinned is not None and fault.pinned != (method.upper(), path, body):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                fault.fired += 1
                if fault.same:
                    fault.pinned = (method.upper(), path, body)
                return fault
            return None

    def add_fault(self, spec: Any) -> Fault:
        if not isinstance(spec, dict):
            raise FaultSpecError("the fault must be a JSON object")
        action = spec.get("action", "status")
        if action not in ("status", "delay", "drop"):
            raise FaultSpecError("action must be one of status, delay, drop")
        phase = spec.get("phase", "before")
        if phase not in ("before", "after"):
            raise FaultSpecError("phase must be before or after")
        path = spec.get("path", ".*")
        try:
            regex = re.compile(path)
        except (re.error, TypeError) as error:
            raise FaultSpecError(f"invalid path regex: {error}") from None
        method = spec.get("method")
        same = spec.get("same", False)
        if not isinstance(same, bool):
            raise FaultSpecError("same must be true or false")
        location = spec.get("location")
        if location is not None and not isinstance(location, str):
            raise FaultSpecError("location must be a string")
        values: dict[str, Any] = {}
        # `delay` is the point of a delay fault; a status or drop fault waits that long first (default 0)
        for name, kind, default in (
            ("times", int, 1),
            ("skip", int, 0),
            ("status", int, 503),
            ("delay", float, 2.0 if action == "delay" else 0.0),
        ):
            value = spec.get(name, default)
            if value is None:
                value = default
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FaultSpecError(f"{name} must be a number")
            values[name] = kind(value)
        if values["times"] < 0 or values["skip"] < 0 or values["delay"] < 0:
            raise FaultSpecError("times, skip and delay must not be negative")
        if not 100 <= values["status"] <= 599:
            raise FaultSpecError("status must be an HTTP status code")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError("method must be a string or null")
        with self.lock:
            fault = Fault(
                id=f"fault-{next(self.fault_ids)}",
                method=method.upper() if method else None,
                path=path,
                regex=regex,
                action=action,
                phase=phase,
                same=same,
                location=location,
                **values,
            )
            self.faults.append(fault)
            return fault


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for the app."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _drop(environ: dict[str, Any]) -> None:
    """Close the client connection without writing a byte."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class HookMiddleware:
    """Logs every non-hook request and applies the matching fault around the real app."""

    def __init__(self, app: WSGIApp, state: HookState) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        query = unquote(environ.get("QUERY_STRING", ""))
        entry = self.state.record(method, path, query, environ.get("HTTP_WAZO_TENANT"))
        body = _body(environ)
        fault = self.state.take_fault(method, path, body)
        if fault is not None:
            entry["fault"] = fault.id

        if fault is not None and fault.phase == "before":
            if fault.action != "delay" and fault.delay:
                time.sleep(fault.delay)
            if fault.action == "status":
                entry["status"] = fault.status
                return self._injected(fault, start_response)
            if fault.action == "drop":
                return self._dropped(environ, start_response)
            time.sleep(fault.delay)

        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

        if fault is not None and fault.phase == "after":
            # the request was processed and committed; only the answer is replaced
            if fault.action != "delay" and fault.delay:
                time.sleep(fault.delay)
            if fault.action == "status":
                entry["status"] = fault.status
                return self._injected(fault, start_response)
            if fault.action == "drop":
                return self._dropped(environ, start_response)
            time.sleep(fault.delay)

        entry["status"] = int(captured["status"].split(" ", 1)[0])
        start_response(captured["status"], captured["headers"])
        return [body]

    @staticmethod
    def _dropped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        _drop(environ)
        # werkzeug now fails to write the status line on the closed socket and treats that as a
        # client disconnect: nothing at all reaches the client
        start_response("500 INTERNAL SERVER ERROR", [("Content-Length", "0")])
        return []

    @staticmethod
    def _injected(fault: Fault, start_response: StartResponse) -> Iterable[bytes]:
        status = fault.status
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Injected"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(FAULT_BODY)))]
        if fault.location is not None:
            headers.append(("Location", fault.location))
        start_response(f"{status} {reason.upper()}", headers)
        return [FAULT_BODY]


admin = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")


def hook_state() -> HookState:
    state: HookState = current_app.extensions["sandbox.hooks"]
    return state


def reset_state() -> None:
    """Wipe and re-seed; issued tokens survive, as wazo-auth outlives a wiped confd database."""
    with store().write() as conn:
        tokens = [tuple(row) for row in conn.execute("SELECT * FROM tokens")]
        refresh = [tuple(row) for row in conn.execute("SELECT * FROM refresh_tokens")]
        gen = generation(conn)
        store().recreate(conn)
        seed.seed(conn, gen)
        conn.executemany("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tokens)
        conn.executemany("INSERT INTO refresh_tokens VALUES (?, ?, ?)", refresh)


@admin.post("/reset")
def reset() -> Response:
    reset_state()
    return json_response(None, 204)


@admin.get("/requests")
def list_requests() -> Response:
    state = hook_state()
    with state.lock:
        items = [dict(entry) for entry in state.log]
    return json_response({"items": items})


@admin.delete("/requests")
def clear_requests() -> Response:
    state = hook_state()
    with state.lock:
        state.log.clear()
    return json_response(None, 204)


@admin.post("/faults")
def add_fault() -> Response:
    try:
        spec = request.get_json(force=True, silent=True)
        fault = hook_state().add_fault(spec)
    except FaultSpecError as error:
        return json_response([str(error)], 400)
    return json_response({"id": fault.id}, 201)


@admin.get("/faults")
def list_faults() -> Response:
    state = hook_state()
    with state.lock:
        items = [fault.describe() for fault in state.faults]
    return json_response({"items": items})


@admin.delete("/faults")
def clear_faults() -> Response:
    state = hook_state()
    with state.lock:
        state.faults.clear()
    return json_response(None, 204)


@admin.post("/tokens/expire")
def expire_tokens() -> Response:
    with store().write() as conn:
        auth.expire_all(conn)
    return json_response(None, 204)


@admin.put("/calld/trunks/<name>")
def set_trunk_status(name: str) -> Response:
    """What Asterisk and the bus would tell calld about the endpoint `name`, now or later.

    Body: any of `registered` (true, false, null), `current_call_count` (>= 0), `listed` (false: calld
    has not learnt of the trunk yet), and `after` (serve that many calld trunk listings with the old
    state first; default 0).
    """
    spec = request.get_json(force=True, silent=True)
    if not isinstance(spec, dict):
        return json_response(["the change must be a JSON object"], 400)
    spec = dict(spec)
    after = spec.pop("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        return json_response(["after must be an integer >= 0"], 400)
    try:
        changes = calld.check_change(spec)
    except calld.ChangeError as error:
        return json_response([str(error)], 400)
    with store().write() as conn:
        calld.schedule(conn, name, changes, after)
    return json_response(None, 204)


@admin.delete("/calld/trunks/<name>")
def forget_trunk_status(name: str) -> Response:
    """calld holds no Asterisk state for the endpoint: it lists it with null status and count."""
    with store().write() as conn:
        calld.forget(conn, name)
    return json_response(None, 204)
