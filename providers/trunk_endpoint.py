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
