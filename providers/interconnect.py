"""VoipProviderInterconnect: one VoIP provider connected to one tenant, in the seed's three steps."""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, field_validator

from providers._base import confd_id
from providers.confd.generation import ServerGeneration
from providers.context import Context
from providers.directory import Directory
from providers.endpoint_sip import EndpointSip
from providers.endpoint_sip_legacy import EndpointSipLegacy
from providers.extension import Extension
from providers.incall import Incall
from providers.incall_extension import IncallExtension
from providers.model import NAMESPACE, Contexts, IncallRange, Provider
from providers.outcall import Outcall
from providers.outcall_extension import OutcallExtension
from providers.outcall_trunk import OutcallTrunks
from providers.plan import (
    ContextInfo,
    PlanError,
    chan_sip_endpoint,
    did_exten,
    endpoint_sections,
    legacy_notes,
    legacy_problems,
    pick_context,
    register_line,
)
from providers.register_sip import RegisterSip
from providers.trunk import Trunk
from providers.trunk_endpoint import TrunkEndpointSip, TrunkEndpointSipLegacy
from providers.trunk_register import TrunkRegisterSip

TYPE = "wazo-voip:index:VoipProviderInterconnect"


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
    # what the server speaks (providers.confd.generation.detect); None: the PJSIP API
    server: ServerGeneration | None = None

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
        chan_sip = args.server is not None and args.server.chan_sip
        if chan_sip:
            assert args.server is not None
            problems = legacy_problems(provider, args.server.describe())
            if problems:
                raise PlanError("\n".join(problems))
            for note in legacy_notes(provider, args.server.describe()):
                pulumi.log.warn(note, self)
        self.incall_context = args.incall_context or self._context(name, "incall", args, directory)
        self.outcall_context = args.outcall_context
        if provider.outgoing is not None and self.outcall_context is None:
            self.outcall_context = self._context(name, "outcall", args, directory)

        # 1. The trunk: a SIP endpoint with the provider's credentials, registration and keepalive.
        self.trunk = Trunk(
            f"{name}-trunk",
            tenant_uuid=tenant,
            context=self.incall_context.name,
            outgoing_caller_id_format=provider.outgoing_caller_id_format,
            opts=child,
        )
        self.endpoint: EndpointSip | EndpointSipLegacy
        self.trunk_endpoint: TrunkEndpointSip | TrunkEndpointSipLegacy
        if chan_sip:
            self.endpoint = self._chan_sip(name, args, directory)
        else:
            sections = endpoint_sections(provider)
            # the auth sections carry the password: secret in the inputs, the state and the outputs
            options: dict[str, Any] = {
                key: pulumi.Output.secret(value) if key.endswith("auth_section_options") else value
                for key, value in sections.items()
            }
            template = "registration_trunk" if provider.registration.enabled else "global"
            self.endpoint = EndpointSip(
                f"{name}-endpoint",
                tenant_uuid=tenant,
                name=provider.name,
                label=provider.label,
                templates=[directory.template_uuid(template)],
                transport_uuid=directory.transport_uuid(provider.transport),
                **options,
                # after Wazo's 20.13 upgrade, the endpoint it made of this trunk's chan_sip one
                trunk_id=confd_id(self.trunk),
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

    def _chan_sip(
        self, name: str, args: VoipProviderInterconnectArgs, directory: Directory
    ) -> EndpointSipLegacy:
        """Wazo 20.12 and before: a chan_sip peer and a register line, each attached to the trunk."""
        child = pulumi.ResourceOptions(parent=self)
        tenant, provider = args.tenant_uuid, args.provider
        peer = chan_sip_endpoint(provider)
        endpoint = EndpointSipLegacy(
            f"{name}-endpoint",
            tenant_uuid=tenant,
            **{**peer, "secret": pulumi.Output.secret(peer["secret"])},
            opts=child,
        )
        self.trunk_endpoint = TrunkEndpointSipLegacy(
            f"{name}-trunk-endpoint",
            tenant_uuid=tenant,
            trunk_id=confd_id(self.trunk),
            endpoint_id=confd_id(endpoint),
            opts=child,
        )
        line = register_line(provider)
        if line is not None:
            directory.transport_uuid(provider.transport)  # the register names an existing transport
            register = RegisterSip(
                f"{name}-register",
                tenant_uuid=tenant,
                **{**line, "auth_password": pulumi.Output.secret(line["auth_password"])},
                opts=child,
            )
            TrunkRegisterSip(
                f"{name}-trunk-register",
                tenant_uuid=tenant,
                trunk_id=confd_id(self.trunk),
                register_id=confd_id(register),
                opts=child,
            )
        return endpoint

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
        if args.contexts.create and args.server is not None and args.server.chan_sip:
            raise PlanError(
                f"the tenant has no {kind} context, and {NAMESPACE}:contexts.create cannot make one on "
                f"{args.server.describe()}: contexts were named by the client before 23.12. Create it in "
                f"the Wazo, or name an existing one with `pulumi config set --path contexts.{kind} <name>`"
            )
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
