"""Trunk <-> SIP register (Wazo 20.12 and before): the register line a trunk's provider expects."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field

from providers._base import ArgsBase, AssociationProvider, AssociationSpec
from providers.confd import ConfdClient, ConfdNotFound


class TrunkRegisterSipArgs(ArgsBase):
    """Inputs of a trunk/SIP register link."""

    trunk_id: int = Field(ge=1)
    register_id: int = Field(ge=1)


def _path(args: TrunkRegisterSipArgs | dict[str, Any]) -> str:
    if isinstance(args, dict):
        return f"/trunks/{args['trunk_id']}/registers/sip/{args['register_id']}"
    return f"/trunks/{args.trunk_id}/registers/sip/{args.register_id}"


def _observe(client: ConfdClient, outs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        trunk = client.get(f"/trunks/{outs['trunk_id']}")
    except ConfdNotFound:
        return None
    register = trunk.get("register_sip") or {}
    return {} if register.get("id") == outs.get("register_id") else None


def _remove(client: ConfdClient, outs: dict[str, Any]) -> None:
    # At 20.12 this DELETE answers 204 and changes nothing (wazo-confd plugins/trunk_register/
    # service.py, TrunkRegisterSIPService.dissociate calls the IAX dissociation): the link goes
    # when the register or the trunk is deleted, which the stack does right after. A 404 (either
    # is already gone) is fine.
    client.delete(_path(outs))


SPEC = AssociationSpec(
    kind="trunk/SIP register link",
    args=TrunkRegisterSipArgs,
    replace_on=frozenset({"tenant_uuid", "trunk_id", "register_id"}),
    delete_before_replace=True,  # a trunk has one register and a register one trunk
    id_of=lambda args: f"{args.trunk_id}/{args.register_id}",
    path=_path,
    observe=_observe,
    remove=_remove,
)


class TrunkRegisterSipProvider(AssociationProvider):
    """Dynamic provider of trunk/SIP register links."""

    spec: ClassVar[AssociationSpec] = SPEC


class TrunkRegisterSip(Resource, module="wazo-voip", name="TrunkRegisterSip"):
    """`PUT /trunks/{trunk_id}/registers/sip/{register_id}`."""

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        trunk_id: pulumi.Input[int],
        register_id: pulumi.Input[int],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"tenant_uuid": tenant_uuid, "trunk_id": trunk_id, "register_id": register_id}
        super().__init__(TrunkRegisterSipProvider(), resource_name, props, opts)
