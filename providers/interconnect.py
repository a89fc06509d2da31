"""The resources of a stack, declared from its plan in the seed's three steps.

1. one `VoipProviderInterconnect` per provider: its trunk, SIP endpoint and their link (on a Wazo
   20.12 or older: its trunk, chan_sip peer, register line and their links);
2. outgoing calls: each outcall, its trunk list and its dial patterns;
3. incoming calls: each DID's extension, incall and their link.

A resource's logical name is its identity, so each is named after what identifies it in confd,
not after where it sits in the stack file: a trunk and its endpoint by their provider's name, an
outcall by its name, a dial pattern by its exten in the outcall context (an extension belongs to
one outcall at most), a DID by its exten in the incall context (confd keeps one extension per exten
and context). Outcalls, patterns, DIDs and created contexts are the tenant's, children of the
stack: moving a DID or an outcall from one provider to another in the stack file changes nothing.

Stacks deployed before this layout named those resources after their provider, under the
provider's component. Each resource lists its former name as an `alias`, so that such a stack
upgrades in place, with no replace and no write (tests/component/test_upgrade.py).

A provider whose objects are adopted (`adopt`, per stack or per provider) gives each of its
resources the `adopt` input, the id the stack file records for objects without a name (a trunk, an
incall), and what the stack declares each object attached to (`declared_links`): a create then
takes over the existing object, writes only what differs, and refuses an object attached elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from providers._base import confd_id
from providers.context import Context
from providers.endpoint_sip import EndpointSip
from providers.endpoint_sip_legacy import EndpointSipLegacy
from providers.extension import Extension
from providers.incall import Incall
from providers.incall_extension import IncallExtension
from providers.model import Provider
from providers.outcall import Outcall
from providers.outcall_extension import OutcallExtension
from providers.outcall_trunk import OutcallTrunks
from providers.plan import (
    CREATED_LABELS,
    ChanSipPlan,
    ContextPlan,
    DidPlan,
    OutcallPlan,
    StackPlan,
    TrunkPlan,
)
from providers.register_sip import RegisterSip
from providers.trunk import Trunk
from providers.trunk_endpoint import TrunkEndpointSip, TrunkEndpointSipLegacy
from providers.trunk_register import TrunkRegisterSip

TYPE = "wazo-voip:index:VoipProviderInterconnect"


class VoipProviderInterconnect(pulumi.ComponentResource):
    """A trunk to one VoIP provider: the trunk, its SIP endpoint (credentials, registration, keepalive)
    and their link, named after the provider. On a chan_sip Wazo (20.12 and before): the trunk, a
    chan_sip peer, a register line when the account registers, and their links to the trunk."""

    trunk_id: pulumi.Output[int]
    endpoint_uuid: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]

    def __init__(
        self,
        plan: TrunkPlan,
        *,
        tenant_uuid: str,
        incall_context: pulumi.Input[str],
        outcalls: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`outcalls`: every outcall the stack declares (their trunk lists are the stack's to set)."""
        provider = plan.provider
        name = provider.name
        # a renamed provider keeps its resources: the children inherit the component's former
        # names (`<former>-trunk`...), and only the endpoint's name changes, in place
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old) for old in provider.renamed_from])
        super().__init__(TYPE, name, None, pulumi.ResourceOptions.merge(opts, renamed))
        child = pulumi.ResourceOptions(parent=self)
        adopt = plan.adopt
        self.trunk = Trunk(
            f"{name}-trunk",
            tenant_uuid=tenant_uuid,
            context=incall_context,
            outgoing_caller_id_format=provider.outgoing_caller_id_format,
            **_adoption(
                adopt,
                provider.trunk_id,
                {"endpoint_sip": [provider.name], "outcall": list(outcalls)},
            ),
            opts=child,
        )
        self.endpoint: EndpointSip | EndpointSipLegacy
        self.trunk_endpoint: TrunkEndpointSip | TrunkEndpointSipLegacy
        if plan.chan_sip is not None:
            self.endpoint = self._chan_sip(name, plan.chan_sip, tenant_uuid)
        else:
            # the auth sections carry the password: secret in the inputs, the state and the outputs
            options: dict[str, Any] = {
                key: pulumi.Output.secret(value) if key.endswith("auth_section_options") else value
                for key, value in plan.sections.items()
            }
            self.endpoint = EndpointSip(
                f"{name}-endpoint",
                tenant_uuid=tenant_uuid,
                name=provider.name,
                label=provider.label,
                templates=[plan.template_uuid],
                transport_uuid=plan.transport_uuid,
                **options,
                # after Wazo's 20.13 upgrade, the endpoint it made of this trunk's chan_sip one; and
                # the trunk an adopted endpoint may already be on
                trunk_id=confd_id(self.trunk),
                **_adoption(adopt, None, {}),
                opts=child,
            )
            self.trunk_endpoint = TrunkEndpointSip(
                f"{name}-trunk-endpoint",
                tenant_uuid=tenant_uuid,
                trunk_id=confd_id(self.trunk),
                endpoint_uuid=self.endpoint.id,
                **_link_adoption(adopt),
                opts=child,
            )
        self.trunk_id = confd_id(self.trunk)
        self.endpoint_uuid = self.endpoint.id
        self.endpoint_name = self.endpoint.name
        self.register_outputs(
            {
                "trunk_id": self.trunk_id,
                "endpoint_uuid": self.endpoint_uuid,
                "endpoint_name": self.endpoint_name,
            }
        )

    def _chan_sip(self, name: str, plan: ChanSipPlan, tenant_uuid: str) -> EndpointSipLegacy:
        """Wazo 20.12 and before: a chan_sip peer and a register line, each attached to the trunk."""
        child = pulumi.ResourceOptions(parent=self)
        for note in plan.notes:
            pulumi.log.warn(note, self)
        endpoint = EndpointSipLegacy(
            f"{name}-endpoint",
            tenant_uuid=tenant_uuid,
            **{**plan.peer, "secret": pulumi.Output.secret(plan.peer["secret"])},
            opts=child,
        )
        self.trunk_endpoint = TrunkEndpointSipLegacy(
            f"{name}-trunk-endpoint",
            tenant_uuid=tenant_uuid,
            trunk_id=confd_id(self.trunk),
            endpoint_id=confd_id(endpoint),
            opts=child,
        )
        if plan.register is not None:
            register = RegisterSip(
                f"{name}-register",
                tenant_uuid=tenant_uuid,
                **{**plan.register, "auth_password": pulumi.Output.secret(plan.register["auth_password"])},
                opts=child,
            )
            TrunkRegisterSip(
                f"{name}-trunk-register",
                tenant_uuid=tenant_uuid,
                trunk_id=confd_id(self.trunk),
                register_id=confd_id(register),
                opts=child,
            )
        return endpoint


@dataclass
class Declared:
    """What the program declared, for the stack's summary export."""

    trunks: dict[str, VoipProviderInterconnect] = field(default_factory=dict)
    contexts: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    outcalls: dict[str, Outcall] = field(default_factory=dict)
    incalls: dict[str, Incall] = field(default_factory=dict)


class FormerNames:
    """The names the first layout gave the resources, as aliases.

    That layout put every resource of a provider under the provider's component, named
    `<provider>-<part>`, and created the stack's contexts under the first provider in trunk order.
    The old parent is given by URN: it is the component of the same name this layout still has.
    """

    def __init__(self, providers: Sequence[Provider]) -> None:
        order = _first_layout_order(providers)
        with_outgoing = [p for p in order if p.outgoing is not None]
        self.context_owner = {
            "incall": order[0].name if order else None,
            "outcall": with_outgoing[0].name if with_outgoing else None,
        }

    @staticmethod
    def of(provider: str | None, part: str) -> list[pulumi.Input[pulumi.Alias | str]]:
        if provider is None:
            return []
        return [pulumi.Alias(name=f"{provider}-{part}", parent=pulumi.create_urn(provider, TYPE))]


def _adoption(adopt: bool, id_: int | None, links: Mapping[str, Any]) -> dict[str, Any]:
    """The adoption inputs of an object; none when the stack does not adopt it (the inputs stay as
    they were before adoption existed)."""
    if not adopt:
        return {}
    return {"adopt": True, "declared_links": dict(links), **({"adopt_id": id_} if id_ is not None else {})}


def _link_adoption(adopt: bool) -> dict[str, Any]:
    return {"adopt": True} if adopt else {}


def _at(exten: str, context: pulumi.Input[str]) -> pulumi.Output[str]:
    """`exten@context`, how adoption names an extension in `declared_links`."""
    return pulumi.Output.from_input(context).apply(lambda name: f"{exten}@{name}")


def _first_layout_order(providers: Sequence[Provider]) -> list[Provider]:
    """The first layout's trunk order: each provider after those whose trunks its outcall lists."""
    by_name = {p.name: p for p in providers}
    ordered: list[Provider] = []
    seen: set[str] = set()

    def visit(provider: Provider) -> None:
        if provider.name in seen:
            return
        seen.add(provider.name)
        for other in provider.outgoing.trunks or [] if provider.outgoing else []:
            if other in by_name:
                visit(by_name[other])
        ordered.append(provider)

    for provider in providers:
        visit(provider)
    return ordered


def _context(plan: ContextPlan, tenant: str, former: FormerNames) -> pulumi.Input[str]:
    """The context's name: the tenant's own, or one this stack creates (and keeps declaring)."""
    if plan.name is not None:
        return plan.name
    context = Context(
        f"{plan.kind}-context",
        tenant_uuid=tenant,
        label=CREATED_LABELS[plan.kind],
        type=plan.kind,
        incall_ranges=[r.model_dump(exclude_none=True) for r in plan.incall_ranges],
        opts=pulumi.ResourceOptions(
            aliases=former.of(former.context_owner[plan.kind], f"{plan.kind}-context")
        ),
    )
    return context.name


def _outcall(
    plan: OutcallPlan,
    tenant: str,
    context: pulumi.Input[str],
    trunks: Mapping[str, VoipProviderInterconnect],
    former: FormerNames,
) -> Outcall:
    """An outcall named after its name, its trunks in priority order, its dial patterns."""
    outgoing, owner = plan.outgoing, plan.provider
    name = f"outcall-{outgoing.outcall}"
    renamed = [f"outcall-{old}" for old in outgoing.renamed_from]
    outcall = Outcall(
        name,
        tenant_uuid=tenant,
        name=outgoing.outcall,
        description=outgoing.description,
        **_adoption(plan.adopt, None, {"extension": [_at(p.exten, context) for p in outgoing.patterns]}),
        opts=pulumi.ResourceOptions(
            aliases=[*former.of(owner, "outcall"), *(pulumi.Alias(name=old) for old in renamed)]
        ),
    )
    OutcallTrunks(
        f"{name}-trunks",
        tenant_uuid=tenant,
        outcall_id=confd_id(outcall),
        trunk_ids=[trunks[provider].trunk_id for provider in plan.trunks],
        **_link_adoption(plan.adopt),
        opts=pulumi.ResourceOptions(
            aliases=[
                *former.of(owner, "outcall-trunks"),
                *(pulumi.Alias(name=f"{old}-trunks") for old in renamed),
            ]
        ),
    )
    for pattern in outgoing.patterns:
        # an exten is one extension of the outcall context, attached to one outcall at most: moving
        # it to another outcall replaces the attachment (delete first), never the extension
        extension = Extension(
            f"pattern-{pattern.exten}",
            tenant_uuid=tenant,
            exten=pattern.exten,
            context=context,
            **_adoption(plan.adopt, None, {"outcall": [outgoing.outcall]}),
            opts=pulumi.ResourceOptions(aliases=former.of(owner, f"pattern-{pattern.exten}")),
        )
        OutcallExtension(
            f"pattern-{pattern.exten}-outcall",
            tenant_uuid=tenant,
            outcall_id=confd_id(outcall),
            extension_id=confd_id(extension),
            strip_digits=pattern.strip_digits,
            prefix=pattern.prefix,
            external_prefix=pattern.external_prefix,
            caller_id=pattern.caller_id,
            **_link_adoption(plan.adopt),
            opts=pulumi.ResourceOptions(aliases=former.of(owner, f"pattern-{pattern.exten}-outcall")),
        )
    return outcall


def _did(plan: DidPlan, tenant: str, context: pulumi.Input[str], former: FormerNames) -> Incall:
    """A DID named after its exten in the incall context: its extension, incall and their link."""
    did, owner = plan.did, plan.provider
    name = f"did-{plan.exten}"
    old = f"did-{did.digits}"
    incall_ids = [str(did.incall_id)] if did.incall_id is not None else []
    extension = Extension(
        name,
        tenant_uuid=tenant,
        exten=plan.exten,
        context=context,
        **_adoption(plan.adopt, None, {"incall": incall_ids}),
        opts=pulumi.ResourceOptions(aliases=former.of(owner, old)),
    )
    incall = Incall(
        f"{name}-incall",
        tenant_uuid=tenant,
        destination=plan.destination,
        caller_id_mode=did.caller_id_mode,
        caller_id_name=did.caller_id_name,
        greeting_sound=did.greeting_sound,
        description=did.description,
        **_adoption(plan.adopt, did.incall_id, {"extension": [_at(plan.exten, context)]}),
        opts=pulumi.ResourceOptions(aliases=former.of(owner, f"{old}-incall")),
    )
    IncallExtension(
        f"{name}-link",
        tenant_uuid=tenant,
        incall_id=confd_id(incall),
        extension_id=confd_id(extension),
        **_link_adoption(plan.adopt),
        opts=pulumi.ResourceOptions(aliases=former.of(owner, f"{old}-link")),
    )
    return incall


def declare_stack(plan: StackPlan) -> Declared:
    """Every resource of the stack, from its plan, in the seed's order."""
    declared = Declared()
    tenant = plan.tenant
    former = FormerNames([t.provider for t in plan.trunks])
    for context in (plan.incall, plan.outcall):
        if context is not None:
            declared.contexts[context.kind] = _context(context, tenant, former)

    # 1. The trunks, delivering incoming calls to the incall context.
    outcalls = [outcall.outgoing.outcall for outcall in plan.outcalls]
    for trunk in plan.trunks:
        declared.trunks[trunk.provider.name] = VoipProviderInterconnect(
            trunk, tenant_uuid=tenant, incall_context=declared.contexts["incall"], outcalls=outcalls
        )

    # 2. Outgoing calls, once every trunk they may list exists.
    for outcall in plan.outcalls:
        declared.outcalls[outcall.outgoing.outcall] = _outcall(
            outcall, tenant, declared.contexts["outcall"], declared.trunks, former
        )

    # 3. Incoming calls.
    for did in plan.dids:
        declared.incalls[did.did.did] = _did(did, tenant, declared.contexts["incall"], former)
    return declared
