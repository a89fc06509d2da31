"""A test double of the Pulumi engine built on `pulumi.runtime` mocks.

It runs the real program; every dynamic resource is handed to its own provider, unpickled from
`__provider` exactly as the provider server does, configured once with the stack config, then
driven through check, diff, create, update and delete against a real server. The state it keeps
between runs lets a second run show what changes. Components are only recorded.
"""

from __future__ import annotations

import base64
import json
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import dill
import pulumi
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.dynamic import Config as DynamicConfig  # type: ignore[attr-defined]
from pulumi.runtime import mocks, rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[2]
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig
DYNAMIC_PREFIX = "pulumi-python:dynamic"


def unwrap(value: Any) -> tuple[Any, bool]:
    """Strip mock-wire secret markers; also say whether there was one anywhere inside."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            inner, _ = unwrap(value["value"])
            return inner, True
        secret = False
        out = {}
        for key, item in value.items():
            out[key], inner_secret = unwrap(item)
            secret = secret or inner_secret
        return out, secret
    if isinstance(value, list):
        items = [unwrap(item) for item in value]
        return [item for item, _ in items], any(s for _, s in items)
    return value, False


@dataclass
class Registration:
    """What the program asked the engine for one resource."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    secret_inputs: set[str]
    additional_secret_outputs: list[str]
    delete_before_replace: bool


@dataclass
class Resource:
    """One resource in the double's state."""

    key: str
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    provider: str


@dataclass
class RunResult:
    operations: list[tuple[str, str]] = field(default_factory=list)  # (op, key)
    registrations: dict[str, Registration] = field(default_factory=dict)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, also recording parents, dependencies and outputs."""

    def __init__(self, engine: EngineDouble | EchoMocks) -> None:
        super().__init__(engine)
        self.engine = engine

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.engine.result.registrations[response.urn] = Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                dependencies=list(request.dependencies),
                property_dependencies={
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                secret_inputs={key for key, value in inputs.items() if unwrap(value)[1]} - {"__provider"},
                additional_secret_outputs=list(request.additionalSecretOutputs),
                delete_before_replace=request.deleteBeforeReplace,
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.engine.result.stack_outputs = outputs
        else:
            self.engine.result.component_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)


class EngineDouble(mocks.Mocks):
    """Drives each dynamic resource's real provider the way the engine would during `pulumi up`."""

    def __init__(self, config: dict[str, Any], state: dict[str, Resource] | None = None) -> None:
        self.config = config
        self.state: dict[str, Resource] = dict(state or {})
        self.result = RunResult()
        self._seen: list[str] = []
        self._providers: dict[str, ResourceProvider] = {}

    # -- the engine's side -------------------------------------------------------------------
    def provider(self, serialized: str) -> ResourceProvider:
        provider = self._providers.get(serialized)
        if provider is None:
            provider = dill.loads(base64.b64decode(serialized))  # noqa: S301 - our own state
            # the engine hands every config value over as a string, objects as JSON text
            config = {key: _as_config_string(value) for key, value in self.config.items()}
            provider.configure(ConfigureRequest(DynamicConfig(config, "wazo-voip")))
            self._providers[serialized] = provider
        return provider

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.typ.startswith(DYNAMIC_PREFIX):
            return f"{args.name}-id", args.inputs
        key = f"{args.typ}::{args.name}"
        self._seen.append(key)
        inputs, _ = unwrap(args.inputs)
        serialized = inputs.pop("__provider")
        provider = self.provider(serialized)
        old = self.state.get(key)
        checked = provider.check(old.inputs if old else {}, inputs)
        if checked.failures:
            problems = "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            raise ValueError(f"check failed for {key}: {problems}")
        news = checked.inputs
        if old is None:
            created = provider.create(news)
            resource = Resource(
                key, args.typ, args.name, created.id, news, dict(created.outs or {}), serialized
            )
            self.result.operations.append(("create", key))
        else:
            diff = provider.diff(old.id, old.outputs, news)
            if not diff.changes:
                resource = Resource(key, args.typ, args.name, old.id, news, old.outputs, serialized)
            elif diff.replaces:
                if diff.delete_before_replace:
                    provider.delete(old.id, old.outputs)
                created = provider.create(news)
                if not diff.delete_before_replace:
                    provider.delete(old.id, old.outputs)
                resource = Resource(
                    key, args.typ, args.name, created.id, news, dict(created.outs or {}), serialized
                )
                self.result.operations.append(("replace", key))
            else:
                updated = provider.update(old.id, old.outputs, news)
                resource = Resource(
                    key, args.typ, args.name, old.id, news, dict(updated.outs or {}), serialized
                )
                self.result.operations.append(("update", key))
        self.state[key] = resource
        return resource.id, resource.outputs

    @staticmethod
    def _record(
        args: mocks.MockResourceArgs, id_: str | None, inputs: dict[str, Any], outs: Any, provider: str
    ) -> Resource:
        key = f"{args.typ}::{args.name}"
        return Resource(key, args.typ, args.name, str(id_), inputs, dict(outs or {}), provider)

    def delete_unseen(self) -> None:
        """What `up` does last: delete what the program no longer declares, dependents first."""
        for key in reversed(list(self.state)):
            if key in self._seen:
                continue
            resource = self.state.pop(key)
            self.provider(resource.provider).delete(resource.id, resource.outputs)
            self.result.operations.append(("delete", key))

    def refresh(self) -> list[tuple[str, str]]:
        """What `pulumi refresh` does: read every resource with its own stored provider.

        Returns ("gone", key) for what the server no longer has (dropped from the state) and
        ("changed", key) for what reads back different; the program does not run.
        """
        report: list[tuple[str, str]] = []
        for key, resource in list(self.state.items()):
            read = self.provider(resource.provider).read(resource.id, dict(resource.outputs))
            if not read.id:
                del self.state[key]
                report.append(("gone", key))
            elif dict(read.outs or {}) != resource.outputs:
                resource.outputs = dict(read.outs or {})
                report.append(("changed", key))
        return report

    # -- running a program -------------------------------------------------------------------
    def run(self, program: Callable[[], None] | None = None, stack: str = "dev") -> RunResult:
        """Run `program` (default: the project's __main__.py) as `pulumi up` would."""
        self.result = RunResult()
        self._seen = []
        run_program(self, self.config, program or run_main_program, stack)
        self.delete_unseen()
        return self.result


class EchoMocks(mocks.Mocks):
    """Mocks with no server: each resource's outputs are its inputs plus a made-up id output."""

    ID_OUTPUTS: ClassVar[dict[str, str]] = {
        "Trunk": "trunk_id",
        "EndpointSip": "uuid",
        "Outcall": "outcall_id",
        "Extension": "extension_id",
        "Incall": "incall_id",
        "Context": "context_id",
    }

    def __init__(self) -> None:
        self.result = RunResult()
        self.inputs: dict[str, dict[str, Any]] = {}
        self._next = 0

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self._next += 1
        outputs, _ = unwrap(args.inputs)
        outputs.pop("__provider", None)
        self.inputs[args.name] = dict(outputs)
        kind = args.typ.rsplit(":", 1)[-1]
        field_name = self.ID_OUTPUTS.get(kind)
        if field_name == "uuid":
            outputs["uuid"] = f"00000000-0000-4000-8000-{self._next:012d}"
        elif field_name is not None:
            outputs[field_name] = self._next
        if kind == "Context":
            outputs["name"] = f"ctx-test-{outputs.get('type')}-{self._next}"
        return str(self._next), outputs


def run_program(
    engine: EngineDouble | EchoMocks, config: dict[str, Any], program: Callable[[], None], stack: str = "dev"
) -> RunResult:
    """Run a Pulumi program under mocks, in a fresh root stack, and wait for every registration."""
    engine.result = RunResult()
    pulumi.runtime.set_all_config({k: _as_config_string(v) for k, v in config.items()})
    monitor = RecordingMonitor(engine)
    mocks.set_mocks(engine, project="wazo-voip", stack=stack, preview=False, monitor=monitor)
    # set_mocks registers and closes a root stack at once; run the program in a fresh one, as
    # the language host does, so that its exports are registered as stack outputs.
    runtime_settings.ROOT.set(None)
    _sync_await(run_in_stack(program))
    return engine.result


def run_main_program() -> None:
    """The project's own program, as the language host runs it."""
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


def _as_config_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
