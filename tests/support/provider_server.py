"""The engine's side of the dynamic-provider protocol, for tests: the SDK's own server, driven over gRPC.

`ProviderServer` starts `python -m pulumi.dynamic` the way the Pulumi engine does (the venv's Python,
the project root as working directory, the port read from the first line of stdout).
`capture()` runs a resource class of `providers/` under the SDK's mock monitor and keeps the exact
`RegisterResource` request the program would send the engine (its `__provider`, secret markers and
`additionalSecretOutputs`). `Engine` then forwards those properties to the server as the engine's
provider plugin does: secrets stripped (the server answers `acceptSecrets: false`), unknowns as
`rpc.UNKNOWN` during a preview, and the same call order and request fields.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / "venv" / "bin" / "python"
PROVIDER_KEY = "__provider"
PROJECT = "wazo-voip"
STACK = "engine"
UNKNOWN = rpc.UNKNOWN
_START_TIMEOUT = 30.0
_CALL_TIMEOUT = 60.0


# -- the server process -----------------------------------------------------------------------


class ProviderServer:
    """`python -m pulumi.dynamic` in a subprocess, with a gRPC stub on its port."""

    def __init__(
        self,
        python: Path | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        log_level: str | None = None,
    ) -> None:
        self.python = python or (VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
        # the program's directory: `python -m` puts it first on sys.path, so `providers` is found there
        self.cwd = cwd
        # The engine passes its own environment on; WAZO_* variables are dropped so that the
        # provider's settings can only come from Configure (a fallback must not hide a bug).
        base = {k: v for k, v in os.environ.items() if not k.startswith("WAZO_")}
        self._env = dict(env) if env is not None else base
        # `log_level`: the providers' logging.* lines go to stderr at that level (the SDK's server
        # sets up no logging, so without it nothing they log is ever written)
        self.log_level = log_level
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: list[str] = []
        self.port = 0
        self.channel: grpc.Channel | None = None
        self.stub: Any = None

    def start(self) -> ProviderServer:
        if self.log_level is None:
            command = [str(self.python), "-m", "pulumi.dynamic"]
        else:
            bootstrap = (
                "import logging, runpy; "
                f"logging.basicConfig(level=logging.{self.log_level.upper()}); "
                "runpy.run_module('pulumi.dynamic', run_name='__main__', alter_sys=True)"
            )
            command = [str(self.python), "-c", bootstrap]
        self._proc = subprocess.Popen(
            command,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env,
        )
        first = self._first_line()
        if not first.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the provider server did not print its port; stderr: {self.stderr[-2000:]}")
        self.port = int(first)
        threading.Thread(target=self._drain, daemon=True).start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=_START_TIMEOUT)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        return self

    def _first_line(self) -> str:
        assert self._proc is not None
        assert self._proc.stdout is not None
        assert self._proc.stderr is not None
        stdout, stderr = self._proc.stdout, self._proc.stderr
        threading.Thread(target=self._drain_stderr, args=(stderr,), daemon=True).start()
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()))
        reader.start()
        reader.join(_START_TIMEOUT)
        return result[0].decode() if result else ""

    def _drain_stderr(self, stream: Any) -> None:
        for line in stream:
            self._stderr.append(line.decode(errors="replace"))

    def _drain(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        for _line in self._proc.stdout:
            pass

    @property
    def stderr(self) -> str:
        """What the server wrote on stderr (logs, warnings)."""
        return "".join(self._stderr)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> ProviderServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# -- properties on the wire -------------------------------------------------------------------


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Serialize as the engine's marshaller does (top-level None dropped, numbers as doubles)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Read the server's answer; unknowns become the `rpc.UNKNOWN` string, secrets stay wrapped."""
    value = rpc.deserialize_properties(struct, keep_unknowns=True)
    return _sentinels(dict(value)) if value else {}


def _sentinels(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _sentinels(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sentinels(v) for v in value]
    return value


def strip_secrets(value: Any) -> Any:
    """What `KeepSecrets: false` does to a property value: every secret marker removed."""
    if rpc.is_rpc_secret(value):
        return strip_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {k: strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip_secrets(v) for v in value]
    return value


def with_unknowns(props: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The inputs of a preview where `names` depend on outputs not known yet."""
    out = dict(props)
    for name in names:
        out[name] = UNKNOWN
    return out


def contains(value: Any, needle: str) -> bool:
    """Whether `needle` appears anywhere in a (deserialized) property value."""
    if isinstance(value, str):
        return needle in value
    if isinstance(value, Mapping):
        return any(contains(k, needle) or contains(v, needle) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains(v, needle) for v in value)
    return False


def provider_path(serialized: str) -> str:
    """`module:Class` that a by-reference `__provider` pickle imports (without unpickling it)."""
    import pickletools

    strings: list[str] = []
    globals_: list[str] = []
    for opcode, arg, _pos in pickletools.genops(base64.b64decode(serialized)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(str(arg))
        elif opcode.name == "STACK_GLOBAL":
            globals_.append(f"{strings[-2]}:{strings[-1]}")
        elif opcode.name == "GLOBAL":
            module, name = str(arg).split(" ", 1)
            globals_.append(f"{module}:{name}")
    if len(globals_) != 1:
        raise ValueError(f"expected one by-reference class in the pickle, found {globals_}")
    return globals_[0]


# -- what the program registers ---------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """One `RegisterResource` request, as the SDK sends it to the engine."""

    urn: str
    type: str
    name: str
    object: dict[str, Any]  # secrets still wrapped
    additional_secret_outputs: tuple[str, ...]
    delete_before_replace: bool

    @property
    def provider(self) -> str:
        """The `__provider` string (the SDK always registers it as a secret)."""
        return str(strip_secrets(self.object[PROVIDER_KEY]))

    @property
    def secret_inputs(self) -> frozenset[str]:
        return frozenset(k for k, v in self.object.items() if k != PROVIDER_KEY and rpc.is_rpc_secret(v))

    def inputs(self) -> dict[str, Any]:
        """What the engine forwards to a provider that does not accept secrets."""
        return {k: strip_secrets(v) for k, v in self.object.items()}


class _Silent(mocks.Mocks):
    """The capture only needs the request; outputs are never looked at."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}-captured", {}

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _CapturingMonitor(mocks.MockMonitor):
    def __init__(self) -> None:
        super().__init__(_Silent())
        self.captured: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.captured.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    object=dict(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                    additional_secret_outputs=tuple(request.additionalSecretOutputs),
                    delete_before_replace=request.deleteBeforeReplace,
                )
            )
        return response


_CAPTURE_LOCK = threading.Lock()


def capture(factory: Callable[[], object]) -> list[Registration]:
    """Run `factory` (which declares resources) as a program under the SDK's mocks; its registrations."""
    with _CAPTURE_LOCK:
        monitor = _CapturingMonitor()
        mocks.set_mocks(monitor.mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
        runtime_settings.ROOT.set(None)

        def program() -> None:
            factory()

        _sync_await(run_in_stack(program))
        return monitor.captured


def register(resource: type[pulumi.CustomResource], resource_name: str, /, **inputs: Any) -> Registration:
    """The registration of one resource of `resource` with these inputs."""
    (captured,) = capture(lambda: resource(resource_name, **inputs))
    return captured


# -- the engine's provider plugin -------------------------------------------------------------


class ProviderError(Exception):
    """The server aborted a call (a provider raised); `details` is its traceback text."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} failed ({code.name}): {details.strip().splitlines()[-1:]}")
        self.method = method
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Checked:
    inputs: dict[str, Any]
    failures: dict[str, str]


@dataclass(frozen=True)
class Diffed:
    changes: int  # provider_pb2.DiffResponse.DIFF_NONE / DIFF_SOME / DIFF_UNKNOWN
    replaces: tuple[str, ...]
    delete_before_replace: bool

    @property
    def changed(self) -> bool:
        return self.changes == provider_pb2.DiffResponse.DIFF_SOME


@dataclass
class State:
    """One resource in the engine's state."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_outputs: frozenset[str] = frozenset()


@dataclass
class Call:
    """One call made to the server and the properties it answered (for audits of the wire)."""

    method: str
    answered: dict[str, Any] = field(default_factory=dict)
    answer_id: str = ""


class Engine:
    """The engine's provider plugin in front of one `ProviderServer`."""

    def __init__(self, server: ProviderServer) -> None:
        self.server = server
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self.accept_secrets: bool | None = None

    def _invoke(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.server.stub, method)(request, timeout=_CALL_TIMEOUT)
        except grpc.RpcError as error:
            raise ProviderError(method, error.code(), error.details() or "") from None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    # -- the RPCs, one to one -------------------------------------------------------------
    def get_plugin_info(self) -> str:
        from google.protobuf import empty_pb2

        return str(self._invoke("GetPluginInfo", empty_pb2.Empty()).version)

    def configure(self, config: Mapping[str, Any], secret_keys: Iterable[str] = ()) -> Any:
        """Configure with the stack config; the engine keeps secrets here (KeepSecrets: true)."""
        secret = set(secret_keys)
        args = {k: rpc.wrap_rpc_secret(v) if k in secret else v for k, v in config.items()}
        request = provider_pb2.ConfigureRequest(
            args=to_struct(args),
            acceptSecrets=True,
            acceptResources=True,
            sends_old_inputs=True,
            sends_old_inputs_to_delete=True,
        )
        response = self._invoke("Configure", request)
        self.accept_secrets = bool(response.acceptSecrets)
        return response

    def _wire(self, props: Mapping[str, Any]) -> struct_pb2.Struct:
        # what the engine marshals for every later call: secrets kept only if the provider said so
        return to_struct(props if self.accept_secrets else strip_secrets(props))

    def check(self, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Checked:
        request = provider_pb2.CheckRequest(
            urn=urn, name=_name(urn), type=_type(urn), olds=self._wire(olds), news=self._wire(news)
        )
        response = self._invoke("Check", request)
        inputs = from_struct(response.inputs)
        self._record(Call("Check", inputs))
        return Checked(inputs, {f.property: f.reason for f in response.failures})

    def diff(
        self,
        urn: str,
        id_: str,
        old_inputs: Mapping[str, Any],
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
    ) -> Diffed:
        request = provider_pb2.DiffRequest(
            id=id_,
            urn=urn,
            name=_name(urn),
            type=_type(urn),
            olds=self._wire(olds),
            news=self._wire(news),
            old_inputs=self._wire(old_inputs),
        )
        response = self._invoke("Diff", request)
        self._record(Call("Diff"))
        return Diffed(response.changes, tuple(response.replaces), bool(response.deleteBeforeReplace))

    def create(self, urn: str, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(
            urn=urn, name=_name(urn), type=_type(urn), properties=self._wire(props), timeout=_CALL_TIMEOUT
        )
        response = self._invoke("Create", request)
        outs = from_struct(response.properties)
        self._record(Call("Create", outs, response.id))
        return response.id, outs

    def read(
        self, urn: str, id_: str, props: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        request = provider_pb2.ReadRequest(
            id=id_,
            urn=urn,
            name=_name(urn),
            type=_type(urn),
            properties=self._wire(props),
            inputs=self._wire(inputs),
        )
        response = self._invoke("Read", request)
        outs = from_struct(response.properties)
        new_inputs = from_struct(response.inputs) if response.HasField("inputs") else None
        self._record(Call("Read", outs, response.id))
        return response.id, outs, new_inputs

    def update(
        self,
        urn: str,
        id_: str,
        old_inputs: Mapping[str, Any],
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
    ) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(
            id=id_,
            urn=urn,
            name=_name(urn),
            type=_type(urn),
            olds=self._wire(olds),
            news=self._wire(news),
            old_inputs=self._wire(old_inputs),
            timeout=_CALL_TIMEOUT,
        )
        response = self._invoke("Update", request)
        outs = from_struct(response.properties)
        self._record(Call("Update", outs, id_))
        return outs

    def delete(self, urn: str, id_: str, props: Mapping[str, Any], old_inputs: Mapping[str, Any]) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_,
            urn=urn,
            name=_name(urn),
            type=_type(urn),
            properties=self._wire(props),
            old_inputs=self._wire(old_inputs),
            timeout=_CALL_TIMEOUT,
        )
        self._invoke("Delete", request)
        self._record(Call("Delete"))

    # -- the steps of `pulumi up`, `refresh` and `destroy` ---------------------------------
    def secret_outputs(self, registration: Registration, outputs: Mapping[str, Any]) -> frozenset[str]:
        """Which outputs the engine stores encrypted: additionalSecretOutputs, and the outputs
        named like a secret input (`annotateSecrets`, since the server cannot say so itself)."""
        named = set(registration.additional_secret_outputs) | set(registration.secret_inputs)
        return frozenset(k for k in outputs if k in named)

    def up(self, registration: Registration) -> State:
        """A create: Check against no old inputs, then Create with the checked inputs."""
        checked = self.check(registration.urn, {}, registration.inputs())
        if checked.failures:
            raise AssertionError(f"check failed: {checked.failures}")
        id_, outs = self.create(registration.urn, checked.inputs)
        return State(
            registration.urn,
            registration.type,
            id_,
            checked.inputs,
            outs,
            self.secret_outputs(registration, outs),
        )

    def refresh(self, state: State) -> State | None:
        """Read with the state's outputs and inputs; None when the provider says the object is gone."""
        id_, outs, inputs = self.read(state.urn, state.id, state.outputs, state.inputs)
        if not id_:
            return None
        return State(
            state.urn,
            state.type,
            id_,
            inputs if inputs is not None else state.inputs,
            outs,
            frozenset(k for k in outs if k in state.secret_outputs),
        )

    def preview(self, state: State, registration: Registration) -> tuple[Checked, Diffed]:
        """What `pulumi preview` asks for a resource in the state: Check with old inputs, then Diff."""
        checked = self.check(state.urn, state.inputs, registration.inputs())
        diffed = self.diff(state.urn, state.id, state.inputs, state.outputs, checked.inputs)
        return checked, diffed

    def change(self, state: State, registration: Registration) -> tuple[Diffed, State]:
        """`pulumi up` for a resource in the state: nothing, an update, or a replacement."""
        checked, diffed = self.preview(state, registration)
        if checked.failures:
            raise AssertionError(f"check failed: {checked.failures}")
        if not diffed.changed:
            return diffed, state
        if not diffed.replaces:
            outs = self.update(state.urn, state.id, state.inputs, state.outputs, checked.inputs)
            return diffed, State(
                state.urn, state.type, state.id, checked.inputs, outs, self.secret_outputs(registration, outs)
            )
        if diffed.delete_before_replace or registration.delete_before_replace:
            self.destroy(state)
            id_, outs = self.create(state.urn, checked.inputs)
        else:
            id_, outs = self.create(state.urn, checked.inputs)
            self.destroy(state)
        return diffed, State(
            state.urn, state.type, id_, checked.inputs, outs, self.secret_outputs(registration, outs)
        )

    def destroy(self, state: State) -> None:
        self.delete(state.urn, state.id, state.outputs, state.inputs)


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _type(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1]


def stack_config(url: str, username: str, password: str, tenant: str) -> dict[str, Any]:
    """The `wazo-voip:*` stack config the engine passes to Configure."""
    return {
        f"{PROJECT}:url": url,
        f"{PROJECT}:tenant": tenant,
        f"{PROJECT}:username": username,
        f"{PROJECT}:password": password,
    }
