"""Trunk <-> SIP endpoint: the link that makes an endpoint the trunk's SIP side (1:1)."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator

from providers._base import ArgsBase, AssociationProvider, AssociationSpec, check_uuid
from providers.confd import ConfdClient, ConfdNotFound


class TrunkEndpointSipArgs(ArgsBase):
    """Inputs of a trunk/SIP endpoint link."""

    trunk_id: int = Field(ge=1)
    endpoint_uuid: str
    # when adopting, a link confd already shows as declared is not made again
    adopt: StrictBool = False

    @field_validator("endpoint_uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return check_uuid(value, "a SIP endpoint uuid")


def _path(args: TrunkEndpointSipArgs | dict[str, Any]) -> str:
    if isinstance(args, dict):
        return f"/trunks/{args['trunk_id']}/endpoints/sip/{args['endpoint_uuid']}"
    return f"/trunks/{args.trunk_id}/endpoints/sip/{args.endpoint_uuid}"


def _observe(client: ConfdClient, outs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        trunk = client.get(f"/trunks/{outs['trunk_id']}")
    except ConfdNotFound:
        return None
    endpoint = trunk.get("endpoint_sip") or {}
    if str(endpoint.get("uuid", "")).lower() != str(outs.get("endpoint_uuid", "")).lower():
        return None
    return {}


def _remove(client: ConfdClient, outs: dict[str, Any]) -> None:
    # deleting the trunk deletes its endpoint, and deleting either undoes the link: 404 is fine
    client.delete(_path(outs))


SPEC = AssociationSpec(
    kind="trunk/SIP endpoint link",
    args=TrunkEndpointSipArgs,
    replace_on=frozenset({"tenant_uuid", "trunk_id", "endpoint_uuid"}),
    delete_before_replace=True,  # a trunk has one endpoint and an endpoint one trunk
    id_of=lambda args: f"{args.trunk_id}/{args.endpoint_uuid}",
    path=_path,
    observe=_observe,
    remove=_remove,
)


class TrunkEndpointSipProvider(AssociationProvider):
    """Dynamic provider of trunk/SIP endpoint links."""

    spec: ClassVar[AssociationSpec] = SPEC


class TrunkEndpointSip(Resource, module="wazo-voip", name="TrunkEndpointSip"):
    """`PUT /trunks/{trunk_id}/endpoints/sip/{endpoint_uuid}`."""

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        trunk_id: pulumi.Input[int],
        endpoint_uuid: pulumi.Input[str],
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "trunk_id": trunk_id,
            "endpoint_uuid": endpoint_uuid,
            "adopt": adopt,
        }
        super().__init__(TrunkEndpointSipProvider(), resource_name, props, opts)


# -- Wazo 20.12 and before: the chan_sip endpoint, by integer id ---------------------------------


class TrunkEndpointSipLegacyArgs(ArgsBase):
    """Inputs of a trunk/chan_sip endpoint link."""

    trunk_id: int = Field(ge=1)
    endpoint_id: int = Field(ge=1)


def _legacy_path(args: TrunkEndpointSipLegacyArgs | dict[str, Any]) -> str:
    if isinstance(args, dict):
        return f"/trunks/{args['trunk_id']}/endpoints/sip/{args['endpoint_id']}"
    return f"/trunks/{args.trunk_id}/endpoints/sip/{args.endpoint_id}"


def _legacy_observe(client: ConfdClient, outs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        trunk = client.get(f"/trunks/{outs['trunk_id']}")
    except ConfdNotFound:
        return None
    endpoint = trunk.get("endpoint_sip") or {}
    # a PJSIP server shows a uuid here and no id: the link is gone with the chan_sip endpoint
    return {} if endpoint.get("id") == outs.get("endpoint_id") else None


LEGACY_SPEC = AssociationSpec(
    kind="trunk/chan_sip endpoint link",
    args=TrunkEndpointSipLegacyArgs,
    replace_on=frozenset({"tenant_uuid", "trunk_id", "endpoint_id"}),
    delete_before_replace=True,
    id_of=lambda args: f"{args.trunk_id}/{args.endpoint_id}",
    path=_legacy_path,
    observe=_legacy_observe,
    remove=lambda client, outs: client.delete(_legacy_path(outs)),
)


class TrunkEndpointSipLegacyProvider(AssociationProvider):
    """Dynamic provider of trunk/chan_sip endpoint links (Wazo 20.12 and before)."""

    spec: ClassVar[AssociationSpec] = LEGACY_SPEC


class TrunkEndpointSipLegacy(Resource, module="wazo-voip", name="TrunkEndpointSipLegacy"):
    """`PUT /trunks/{trunk_id}/endpoints/sip/{endpoint_id}` with a chan_sip endpoint's integer id."""

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        trunk_id: pulumi.Input[int],
        endpoint_id: pulumi.Input[int],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"tenant_uuid": tenant_uuid, "trunk_id": trunk_id, "endpoint_id": endpoint_id}
        super().__init__(TrunkEndpointSipLegacyProvider(), resource_name, props, opts)
