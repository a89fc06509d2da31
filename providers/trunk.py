"""The trunk: where calls from a provider enter (its context) and how caller ids are sent to it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator

from providers._base import AdoptableArgs, ObjectProvider, ObjectSpec
from providers.confd import ConfdClient

CONTEXT_NAME_MAX = 79


class TrunkArgs(AdoptableArgs):
    """Inputs of a trunk."""

    # Trunks have this field from 24.15; older servers drop it and show none. Their trunks got
    # +E164 when they were upgraded (xivo-manage-db d80c07b01d39, the column's server default),
    # so an absent value reads as +E164.
    canon_rules: ClassVar[dict[str, Any]] = {
        "outgoing_caller_id_format": lambda value: "+E164" if value is None else value
    }

    context: str | None = Field(default=None, description="context name (not label) for incoming calls")
    outgoing_caller_id_format: Literal["+E164", "E164", "national"] = "+E164"
    twilio_incoming: StrictBool = False

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        return check_context_name(value)


def check_context_name(value: str | None) -> str | None:
    """A context is referenced by its name (ctx-<slug>-<type>-<uuid>), never by its label."""
    if value is None:
        return None
    if not value or len(value) > CONTEXT_NAME_MAX:
        raise ValueError(f"must be a context name of 1..{CONTEXT_NAME_MAX} characters")
    if " " in value:
        raise ValueError(
            f"{value!r} looks like a context label; confd wants the context name "
            "(e.g. ctx-acme-incall-<uuid>)"
        )
    return value


def _body(args: TrunkArgs) -> dict[str, Any]:
    return {
        "context": args.context,
        "outgoing_caller_id_format": args.outgoing_caller_id_format,
        "twilio_incoming": args.twilio_incoming,
    }


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_uuid": obj.get("tenant_uuid"),
        "context": obj.get("context"),
        "outgoing_caller_id_format": obj.get("outgoing_caller_id_format"),
        "twilio_incoming": obj.get("twilio_incoming"),
    }


def _candidates(client: ConfdClient, args: TrunkArgs) -> list[dict[str, Any]]:
    # a trunk has no name of its own: the trunks of its context are all it could be taken for
    items: list[dict[str, Any]] = client.get(
        "/trunks", params={"context": args.context} if args.context else None
    )["items"]
    return [t for t in items if t.get("context") == args.context]


def _in_use(obj: dict[str, Any]) -> bool:
    links = ("endpoint_sip", "endpoint_iax", "endpoint_custom", "register_iax")
    return any(obj.get(key) for key in links) or bool(obj.get("outcalls"))


def _attachments(obj: dict[str, Any]) -> dict[str, list[str]]:
    """Its endpoint by name (SIP) or id (the others), the outcalls that list it by name."""
    found: dict[str, list[str]] = {}
    sip = obj.get("endpoint_sip")
    if sip:
        found["endpoint_sip"] = [str(sip.get("name"))]
    for key in ("endpoint_iax", "endpoint_custom", "register_iax"):
        if obj.get(key):
            found[key] = [str(obj[key].get("id"))]
    if obj.get("outcalls"):
        found["outcall"] = [str(outcall.get("name")) for outcall in obj["outcalls"]]
    return found


def _duplicate_of(client: ConfdClient, args: TrunkArgs) -> str | None:
    """An adopting create with no trunk id: the trunk its SIP endpoint already has would be duplicated."""
    for name in args.declared_links.get("endpoint_sip", []):
        for endpoint in client.find("/endpoints/sip", name=name):
            trunk = endpoint.get("trunk")
            if trunk:
                return (
                    f"the SIP endpoint {name!r} is already the SIP side of trunk {trunk.get('id')}, and "
                    f"a second trunk would duplicate it. To adopt that trunk, record its id on the "
                    f"provider (trunk_id: {trunk.get('id')}); `python -m stacks export` writes it"
                )
    return None


SPEC = ObjectSpec(
    kind="trunk",
    args=TrunkArgs,
    collection="/trunks",
    id_key="id",
    id_output="trunk_id",
    to_body=_body,
    from_server=_from_server,
    candidates=_candidates,
    in_use=_in_use,
    attachments=_attachments,
    link_names={
        "endpoint_sip": "the SIP endpoint",
        "endpoint_iax": "the IAX endpoint of id",
        "endpoint_custom": "the custom endpoint of id",
        "register_iax": "the IAX register of id",
        "outcall": "the outcall",
    },
    duplicate_of=_duplicate_of,
)


class TrunkProvider(ObjectProvider):
    """Dynamic provider of confd trunks."""

    spec: ClassVar[ObjectSpec] = SPEC


class Trunk(Resource, module="wazo-voip", name="Trunk"):
    """A confd trunk (`/trunks`)."""

    trunk_id: pulumi.Output[int]
    context: pulumi.Output[str | None]
    outgoing_caller_id_format: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        context: pulumi.Input[str] | None = None,
        outgoing_caller_id_format: pulumi.Input[str] | None = None,
        twilio_incoming: pulumi.Input[bool] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[int] | None = None,
        declared_links: pulumi.Input[dict[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "context": context,
            "outgoing_caller_id_format": outgoing_caller_id_format,
            "twilio_incoming": twilio_incoming,
            "adopt": adopt,
            "adopt_id": adopt_id,
            "declared_links": declared_links,
            "trunk_id": None,
        }
        super().__init__(TrunkProvider(), resource_name, props, opts)
