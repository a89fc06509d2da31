"""A test double of the Pulumi engine built on `pulumi.runtime` mocks.

It runs the real program; every dynamic resource is handed to its own provider, unpickled from
`__provider` exactly as the provider server does, configured once with the stack config, then
driven through check, diff, create, update and delete against a real server. The state it keeps
between runs lets a second run show what changes. Components are only recorded.

After a failed step it does what `pulumi up` does: the state keeps every operation that completed,
those that were already running when the failure happened included, and never the failed one (a
failed create leaves no trace in the state); no new step starts (each is refused with the first
failure), and nothing is deleted. A run that failed raises; `state` is then what the next run
starts from.

The real engine is the reference for that (tests/e2e/test_failure.py makes the same assertions of
it). What the double does not model, where tests/e2e/ runs the real engine:
- previews: it only applies (the real engine answers an update of a dynamic resource during a
  preview with the new inputs, so output-only properties are unknown downstream);
- the engine's own step ordering and parallelism limit: operations run as the SDK registers
  resources, on the SDK's threads;
- replacements' ordering across resources (a replacement is done in place: delete then create, or
  create then delete, within the one registration), and refresh.
"""

from __future__ import annotations

import base64
import json
import runpy
import threading
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

from providers.confd import configure, current_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig
DYNAMIC_PREFIX = "pulumi-python:dynamic"
STACK_TYPE = "pulumi:pulumi:Stack"


class _Pending(threading.local):
    """The URN and former URNs of the registration this thread is handing to the mocks."""

    urn: str = ""
    aliases: list[str] = []


PENDING = _Pending()


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
    aliases: list[str]  # the former URNs it may take over, as the engine computes them


@dataclass
class Resource:
    """One resource in the double's state, keyed by URN."""

    key: str  # "<type>::<name>", how operations name it
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
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (former URN, URN), by aliases
    delete_first: list[str] = field(default_factory=list)  # keys of replacements that deleted first


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, also recording parents, dependencies, aliases and outputs.

    URNs are built as the engine builds them: a child's type is qualified by its parent's whole
    qualified type, except under the root stack (the SDK's mock qualifies by the stack's type).
    """

    def __init__(self, engine: EngineDouble | EchoMocks) -> None:
        super().__init__(engine)
        self.engine = engine
        self.generation = getattr(engine, "generation", 0)
        self.aliases: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def alias_urns(self, request: Any) -> list[str]:
        """Every URN the resource may have had, as the engine reads alias specs.

        A child also inherits its parent's aliases: under each former URN of its parent, with its
        name rewritten when it starts with the parent's current name (`<parent>-<part>`).
        """
        urns: list[str] = []
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            which = spec.WhichOneof("parent")
            parent = spec.parentUrn if which == "parentUrn" else "" if which == "noParent" else request.parent
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        if request.parent in self.aliases:
            parent_name = self.names[request.parent]
            for parent_alias in self.aliases[request.parent]:
                name = request.name
                old_parent_name = parent_alias.rsplit("::", 1)[-1]
                if name.startswith(parent_name):
                    name = old_parent_name + name[len(parent_name) :]
                urns.append(self.make_urn(parent_alias, request.type, name))
        return list(dict.fromkeys(urns))

    def RegisterResource(self, request: Any) -> Any:
        if getattr(self.engine, "generation", 0) != self.generation:
            # a registration of a run that already ended (it failed): the engine has moved on
            raise RuntimeError(f"{request.name}: a step of a run that has ended")
        urn = self.make_urn(request.parent, request.type, request.name)
        aliases = self.alias_urns(request)
        self.names[urn] = request.name
        if aliases:
            self.aliases[urn] = aliases
        PENDING.urn, PENDING.aliases = urn, aliases
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
                aliases=aliases,
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
        # the first step that failed in this run: no step starts after it (the engine stops too)
        self._failed: BaseException | None = None
        # steps running now: a run ends only once they are all done, as the engine waits for them
        self.generation = 0
        self._running = 0
        self._idle = threading.Condition()
        # settings the provider process uses after configure(), for tests (e.g. a short timeout)
        self.settings_overrides: dict[str, Any] = {}

    # -- the engine's side -------------------------------------------------------------------
    def provider(self, serialized: str) -> ResourceProvider:
        provider = self._providers.get(serialized)
        if provider is None:
            provider = dill.loads(base64.b64decode(serialized))  # noqa: S301 - our own state
            # the engine hands every config value over as a string, objects as JSON text
            config = {key: _as_config_string(value) for key, value in self.config.items()}
            provider.configure(ConfigureRequest(DynamicConfig(config, "wazo-voip")))
            if self.settings_overrides:
                configure(current_settings().with_overrides(**self.settings_overrides))
            self._providers[serialized] = provider
        return provider

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.typ.startswith(DYNAMIC_PREFIX):
            return f"{args.name}-id", args.inputs
        key = f"{args.typ}::{args.name}"
        urn, aliases = PENDING.urn, PENDING.aliases
        self._seen.append(urn)
        with self._idle:
            if self._failed is not None:
                raise RuntimeError(f"{key} not started: an earlier step failed ({self._failed})")
            self._running += 1
        try:
            return self._step(key, urn, aliases, args)
        except BaseException as error:
            with self._idle:
                if self._failed is None:
                    self._failed = error
            raise
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _step(
        self, key: str, urn: str, aliases: list[str], args: mocks.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs, _ = unwrap(args.inputs)
        serialized = inputs.pop("__provider")
        provider = self.provider(serialized)
        old = self.state.get(urn)
        if old is None:
            found = [alias for alias in aliases if alias in self.state]
            if len(found) > 1:
                raise ValueError(f"{urn}: several aliases match resources of the state: {found}")
            if found:
                # the engine's rename: same object, same id, new URN
                old = self.state.pop(found[0])
                self.result.renamed.append((found[0], urn))
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
                    self.result.delete_first.append(key)
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
        self.state[urn] = resource
        return resource.id, resource.outputs

    @staticmethod
    def _record(
        args: mocks.MockResourceArgs, id_: str | None, inputs: dict[str, Any], outs: Any, provider: str
    ) -> Resource:
        key = f"{args.typ}::{args.name}"
        return Resource(key, args.typ, args.name, str(id_), inputs, dict(outs or {}), provider)

    def delete_unseen(self) -> None:
        """What `up` does last: delete what the program no longer declares, dependents first.

        The state then lists the resources in this run's registration order, dependencies first.
        """
        for urn in reversed(list(self.state)):
            if urn in self._seen:
                continue
            resource = self.state.pop(urn)
            self.provider(resource.provider).delete(resource.id, resource.outputs)
            self.result.operations.append(("delete", resource.key))
        self.state = {urn: self.state[urn] for urn in self._seen if urn in self.state}

    def refresh(self) -> list[tuple[str, str]]:
        """What `pulumi refresh` does: read every resource with its own stored provider.

        Returns ("gone", key) for what the server no longer has (dropped from the state) and
        ("changed", key) for what reads back different; the program does not run.
        """
        report: list[tuple[str, str]] = []
        for urn, resource in list(self.state.items()):
            read = self.provider(resource.provider).read(resource.id, dict(resource.outputs))
            if not read.id:
                del self.state[urn]
                report.append(("gone", resource.key))
            elif dict(read.outs or {}) != resource.outputs:
                resource.outputs = dict(read.outs or {})
                report.append(("changed", resource.key))
        return report

    # -- running a program -------------------------------------------------------------------
    def run(self, program: Callable[[], None] | None = None, stack: str = "dev") -> RunResult:
        """Run `program` (default: the project's __main__.py) as `pulumi up` would."""
        self.result = RunResult()
        self._seen = []
        self._failed = None
        self.generation += 1
        try:
            run_program(self, self.config, program or run_main_program, stack)
        finally:
            # the SDK returns at the first failed registration; the steps still running finish
            # and are recorded, as the engine waits for them before it ends the update
            with self._idle:
                self._idle.wait_for(lambda: self._running == 0, timeout=120)
        if self._failed is not None:
            # the program may have swallowed it (an Output that nothing awaits): the run failed
            raise self._failed
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
    # a run that failed leaves tasks behind (the SDK stops at the first error): forget them, as
    # the SDK's own `mocks.test` does, or the next run would re-raise that run's error
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
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
