"""The program as the first layout declared it (commit d506d38), kept to build old states.

Stacks deployed before resources were named after their confd identities hold this layout's names:
every resource under its provider's component, named `<provider>-<part>`. Tests run this program to
make such a state, then the current one over it, to prove that aliases upgrade it in place. It is
the original code with only the imports joined; do not change what it declares.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from providers.confd import ConfdError, connect
from providers.confd.settings import settings_from
from providers.directory import ConfdDirectory
from providers.model import NAMESPACE, ConfigError, Provider, StackConfig, load_stack_config
from pydantic import BaseModel, ConfigDict, field_validator

from providers._base import confd_id
from providers.context import Context
from providers.directory import Directory
from providers.endpoint_sip import EndpointSip
from providers.extension import Extension
from providers.incall import Incall
from providers.incall_extension import IncallExtension
from providers.model import Contexts, IncallRange
from providers.outcall import Outcall
from providers.outcall_extension import OutcallExtension
from providers.outcall_trunk import OutcallTrunks
from providers.plan import ContextInfo, PlanError, endpoint_sections, pick_context
from providers.trunk import Trunk
from providers.trunk_endpoint import TrunkEndpointSip

TYPE = "wazo-voip:index:VoipProviderInterconnect"


def _in_range(digits: str, incall_range: IncallRange) -> bool:
    end = incall_range.end or incall_range.start
    if len(digits) != len(incall_range.start):
        return False
    return int(incall_range.start) <= int(digits) <= int(end)


def _exten_in_range(exten: str, incall_range: IncallRange) -> bool:
    """confd's own test on extension update (docs/confd-contract.md 6.10): last `did_length` digits of the bounds."""
    if not exten.isdigit():
        return False
    end = incall_range.end or incall_range.start
    n = incall_range.did_length
    low, high = (incall_range.start[-n:], end[-n:]) if n else (incall_range.start, end)
    return int(low) <= int(exten) <= int(high)


def describe_ranges(ranges: tuple[IncallRange, ...]) -> str:
    if not ranges:
        return "none"
    return ", ".join(
        f"{r.start}-{r.end or r.start}" + (f" (did_length {r.did_length})" if r.did_length else "")
        for r in ranges
    )


def did_exten(did: Did, context: ContextInfo) -> str:
    """The exten a DID gets in the incall context, checked against the context's incall ranges.

    With `did_length` N, the provider delivers the last N digits of the number, and confd compares
    an extension with the last N digits of the range bounds (request #101 of docs/confd-contract.md section 13). A DID outside every
    range is refused here: confd would accept it at creation but refuse every later update.
    """
    if did.exten is not None:
        exten = did.exten
        if not any(_exten_in_range(exten, r) for r in context.incall_ranges):
            raise PlanError(
                f"DID {did.did}: exten {exten!r} is outside the incall ranges of context "
                f"{context.name!r} ({describe_ranges(context.incall_ranges)}); confd would refuse every "
                f"later update of that extension. Add a range to the context or fix the DID"
            )
        return exten
    for incall_range in context.incall_ranges:
        if _in_range(did.digits, incall_range):
            n = incall_range.did_length
            return did.digits[-n:] if n else did.digits
        if _exten_in_range(did.digits, incall_range):
            return did.digits
    raise PlanError(
        f"DID {did.did} is outside the incall ranges of context {context.name!r} "
        f"({describe_ranges(context.incall_ranges)}); confd would accept it at creation but refuse every "
        f"later update of that extension. Add a range to the context or fix the DID"
    )


class ContextRef:
    """A context the component uses: its name (possibly not known yet) and its incall ranges."""

    __slots__ = ("incall_ranges", "name")

    def __init__(self, name: pulumi.Input[str], incall_ranges: tuple[IncallRange, ...] = ()) -> None:
        self.name = name
        self.incall_ranges = incall_ranges


class VoipProviderInterconnectArgs(BaseModel):
    """What the component needs: the provider's settings and where it plugs into the tenant."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    tenant_uuid: str
    provider: Provider
    contexts: Contexts = Contexts()
    # contexts already chosen by a sibling component of the same stack (skips lookup and creation)
    incall_context: ContextRef | None = None
    outcall_context: ContextRef | None = None
    # trunk ids of the other providers this one's outcall may list (outgoing.trunks)
    other_trunk_ids: dict[str, Any] = {}

    @field_validator("tenant_uuid")
    @classmethod
    def _tenant(cls, value: str) -> str:
        from uuid import UUID

        return str(UUID(value))


class VoipProviderInterconnect(pulumi.ComponentResource):
    """A trunk to the provider, the outgoing calls through it, the incoming calls from it."""

    trunk_id: pulumi.Output[int]
    endpoint_uuid: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]
    outcall_id: pulumi.Output[int | None]
    dids: pulumi.Output[dict[str, int]]
    contexts: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        args: VoipProviderInterconnectArgs,
        directory: Directory,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        provider = args.provider
        tenant = args.tenant_uuid
        child = pulumi.ResourceOptions(parent=self)
        self.incall_context = args.incall_context or self._context(name, "incall", args, directory)
        self.outcall_context = args.outcall_context
        if provider.outgoing is not None and self.outcall_context is None:
            self.outcall_context = self._context(name, "outcall", args, directory)

        # 1. The trunk: a SIP endpoint with the provider's credentials, registration and keepalive.
        sections = endpoint_sections(provider)
        # the auth sections carry the password: secret in the inputs, the state and the outputs
        options: dict[str, Any] = {
            key: pulumi.Output.secret(value) if key.endswith("auth_section_options") else value
            for key, value in sections.items()
        }
        template = "registration_trunk" if provider.registration.enabled else "global"
        self.trunk = Trunk(
            f"{name}-trunk",
            tenant_uuid=tenant,
            context=self.incall_context.name,
            outgoing_caller_id_format=provider.outgoing_caller_id_format,
            opts=child,
        )
        self.endpoint = EndpointSip(
            f"{name}-endpoint",
            tenant_uuid=tenant,
            name=provider.name,
            label=provider.label,
            templates=[directory.template_uuid(template)],
            transport_uuid=directory.transport_uuid(provider.transport),
            **options,
            opts=child,
        )
        self.trunk_endpoint = TrunkEndpointSip(
            f"{name}-trunk-endpoint",
            tenant_uuid=tenant,
            trunk_id=confd_id(self.trunk),
            endpoint_uuid=self.endpoint.id,
            opts=child,
        )

        # 2. Outgoing calls: an outcall, its trunks in priority order, its dial patterns.
        self.outcall: Outcall | None = None
        if provider.outgoing is not None and self.outcall_context is not None:
            outgoing = provider.outgoing
            self.outcall = Outcall(
                f"{name}-outcall",
                tenant_uuid=tenant,
                name=outgoing.outcall,
                description=outgoing.description,
                opts=child,
            )
            order = outgoing.trunks or [provider.name]
            trunk_ids = [
                confd_id(self.trunk) if trunk == provider.name else args.other_trunk_ids[trunk]
                for trunk in order
            ]
            OutcallTrunks(
                f"{name}-outcall-trunks",
                tenant_uuid=tenant,
                outcall_id=confd_id(self.outcall),
                trunk_ids=trunk_ids,
                opts=child,
            )
            for pattern in outgoing.patterns:
                extension = Extension(
                    f"{name}-pattern-{pattern.exten}",
                    tenant_uuid=tenant,
                    exten=pattern.exten,
                    context=self.outcall_context.name,
                    opts=child,
                )
                OutcallExtension(
                    f"{name}-pattern-{pattern.exten}-outcall",
                    tenant_uuid=tenant,
                    outcall_id=confd_id(self.outcall),
                    extension_id=confd_id(extension),
                    strip_digits=pattern.strip_digits,
                    prefix=pattern.prefix,
                    external_prefix=pattern.external_prefix,
                    caller_id=pattern.caller_id,
                    opts=child,
                )

        # 3. Incoming calls: for each DID an extension, an incall to its destination, and their link.
        incall_ids: dict[str, pulumi.Output[int]] = {}
        shown = self.incall_context.name
        incall_info = ContextInfo(
            name=shown if isinstance(shown, str) else "(the incall context this stack creates)",
            label="",
            type="incall",
            incall_ranges=self.incall_context.incall_ranges,
        )
        for did in provider.incoming:
            exten = did_exten(did, incall_info)
            extension = Extension(
                f"{name}-did-{did.digits}",
                tenant_uuid=tenant,
                exten=exten,
                context=self.incall_context.name,
                opts=child,
            )
            incall = Incall(
                f"{name}-did-{did.digits}-incall",
                tenant_uuid=tenant,
                destination=_destination(did.destination, directory),
                caller_id_mode=did.caller_id_mode,
                caller_id_name=did.caller_id_name,
                greeting_sound=did.greeting_sound,
                description=did.description,
                opts=child,
            )
            IncallExtension(
                f"{name}-did-{did.digits}-link",
                tenant_uuid=tenant,
                incall_id=confd_id(incall),
                extension_id=confd_id(extension),
                opts=child,
            )
            incall_ids[did.did] = confd_id(incall)

        self.trunk_id = confd_id(self.trunk)
        self.endpoint_uuid = self.endpoint.id
        self.endpoint_name = self.endpoint.name
        self.outcall_id = (
            confd_id(self.outcall) if self.outcall is not None else pulumi.Output.from_input(None)
        )
        self.dids = pulumi.Output.all(**incall_ids) if incall_ids else pulumi.Output.from_input({})
        contexts: dict[str, pulumi.Input[str]] = {"incall": self.incall_context.name}
        if self.outcall_context is not None:
            contexts["outcall"] = self.outcall_context.name
        self.contexts = pulumi.Output.all(**contexts)
        self.register_outputs(
            {
                "trunk_id": self.trunk_id,
                "endpoint_uuid": self.endpoint_uuid,
                "endpoint_name": self.endpoint_name,
                "outcall_id": self.outcall_id,
                "dids": self.dids,
                "contexts": self.contexts,
            }
        )

    def _context(
        self, name: str, kind: str, args: VoipProviderInterconnectArgs, directory: Directory
    ) -> ContextRef:
        """The tenant's context of a kind: named in the stack, found with ?type=, or created."""
        explicit = getattr(args.contexts, kind)
        if explicit is not None:
            found = directory.context(explicit)
            if found is None or found.type != kind:
                what = "does not exist in the tenant" if found is None else f"is of type {found.type!r}"
                raise PlanError(
                    f"{NAMESPACE}:contexts.{kind}: context {explicit!r} {what}; name an {kind} context "
                    f"of the tenant or remove the setting to find it automatically"
                )
            return ContextRef(found.name, found.incall_ranges)
        picked = pick_context(kind, directory.contexts(kind), f"contexts.{kind}")
        if picked is not None:
            return ContextRef(picked.name, picked.incall_ranges)
        if not args.contexts.create:
            raise PlanError(
                f"the tenant has no {kind} context, and confd creates none for a new tenant. Name one "
                f"with `pulumi config set --path contexts.{kind} <name>`, or let this stack create and "
                f"manage it with `pulumi config set --path contexts.create true`"
                + (" (and contexts.incall_ranges for your DIDs)" if kind == "incall" else "")
            )
        ranges = tuple(args.contexts.incall_ranges) if kind == "incall" else ()
        context = Context(
            f"{name}-{kind}-context",
            tenant_uuid=args.tenant_uuid,
            label="Incoming calls" if kind == "incall" else "Outgoing calls",
            type=kind,
            incall_ranges=[r.model_dump(exclude_none=True) for r in ranges],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return ContextRef(context.name, ranges)


def _destination(destination: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """The confd destination: a user chosen by email becomes that user's id."""
    resolved = dict(destination)
    email = resolved.pop("user_email", None)
    if email is not None:
        resolved["user_id"] = directory.user_id(email)
    return resolved


# Structured keys arrive from the engine as JSON text.
STRUCTURED_KEYS = frozenset({"providers", "contexts"})


def stack_values() -> dict[str, Any]:
    """Every `wazo-voip:*` key of the running stack, without its namespace, objects decoded."""
    raw: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if name in STRUCTURED_KEYS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError([f"{key}: is not valid YAML/JSON structured config"]) from None
        values[name] = value
    return values


def load() -> StackConfig:
    """The validated stack configuration; a ConfigError lists every problem with its key."""
    return load_stack_config(stack_values())


def build_order(providers: list[Provider]) -> list[Provider]:
    """Providers ordered so that each comes after every provider whose trunk its outcall uses."""
    by_name = {p.name: p for p in providers}
    ordered: list[Provider] = []
    state: dict[str, str] = {}

    def visit(provider: Provider, path: list[str]) -> None:
        if state.get(provider.name) == "done":
            return
        if state.get(provider.name) == "visiting":
            cycle = " -> ".join([*path, provider.name])
            raise ConfigError(
                [
                    f"{NAMESPACE}:providers: the outgoing trunks form a cycle ({cycle}); "
                    f"let one outcall list both trunks instead"
                ]
            )
        state[provider.name] = "visiting"
        for other in provider.outgoing.trunks or [] if provider.outgoing else []:
            if other != provider.name:
                visit(by_name[other], [*path, provider.name])
        state[provider.name] = "done"
        ordered.append(provider)

    for provider in providers:
        visit(provider, [])
    return ordered


def fail(message: str) -> None:
    """Stop the program with a message and no Python traceback."""
    raise pulumi.RunError(message)


def summary(components: Mapping[str, VoipProviderInterconnect]) -> dict[str, Any]:
    """A readable export: per provider what it created, by the names operators use."""
    result: dict[str, Any] = {}
    for name, component in components.items():
        entry: dict[str, Any] = {
            "trunk_id": component.trunk_id,
            "endpoint": component.endpoint_name,
            "dids": component.dids,
            "contexts": component.contexts,
        }
        if component.outcall is not None:
            entry["outcall"] = {"name": component.outcall.name, "id": component.outcall_id}
        result[name] = entry
    return result


def main() -> None:  # noqa: C901
    """Build the stack: one component per provider, contexts shared, trunks ordered, a summary."""
    try:
        config = load()
        settings = settings_from(runtime_config.get_config)
        directory = ConfdDirectory(connect(str(config.tenant), settings))
        components: dict[str, VoipProviderInterconnect] = {}
        incall_context = outcall_context = None
        for provider in build_order(list(config.providers)):
            args = VoipProviderInterconnectArgs(
                tenant_uuid=str(config.tenant),
                provider=provider,
                contexts=config.contexts,
                incall_context=incall_context,
                outcall_context=outcall_context,
                other_trunk_ids={name: c.trunk_id for name, c in components.items()},
            )
            component = VoipProviderInterconnect(provider.name, args, directory)
            incall_context = component.incall_context
            outcall_context = component.outcall_context or outcall_context
            components[provider.name] = component
    except (ConfigError, PlanError, ConfdError) as error:
        fail(f"the stack cannot be deployed:\n{error}")
    pulumi.export("summary", summary(components))
