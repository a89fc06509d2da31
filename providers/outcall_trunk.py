"""Outcall -> trunks: the ordered list of trunks an outcall tries (order is priority)."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator

from providers._base import ArgsBase, AssociationProvider, AssociationSpec, plain
from providers.confd import ConfdClient, ConfdNotFound


class OutcallTrunksArgs(ArgsBase):
    """Inputs of an outcall's trunk list."""

    outcall_id: int = Field(ge=1)
    trunk_ids: list[int] = Field(description="trunk ids, first tried first")
    # when adopting, a link confd already shows as declared is not made again
    adopt: StrictBool = False

    @field_validator("trunk_ids")
    @classmethod
    def _trunks(cls, value: list[int]) -> list[int]:
        if any(t < 1 for t in value):
            raise ValueError("trunk ids are positive integers")
        repeated = sorted({t for t in value if value.count(t) > 1})
        if repeated:
            raise ValueError(f"lists trunk {repeated[0]} twice (confd refuses the same trunk twice)")
        return value


def _observe(client: ConfdClient, outs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        outcall = client.get(f"/outcalls/{outs['outcall_id']}")
    except ConfdNotFound:
        return None
    return {"trunk_ids": [plain(t.get("id")) for t in outcall.get("trunks") or []]}


def _remove(client: ConfdClient, outs: dict[str, Any]) -> None:
    # an empty list unlinks every trunk; a 404 (the outcall is gone, links with it) is success
    client.put(f"/outcalls/{outs['outcall_id']}/trunks", {"trunks": []})


SPEC = AssociationSpec(
    kind="outcall trunk list",
    args=OutcallTrunksArgs,
    replace_on=frozenset({"tenant_uuid", "outcall_id"}),
    # the old list must be emptied before a new one is set on the same outcall
    delete_before_replace=True,
    id_of=lambda args: f"{args.outcall_id}/trunks",
    path=lambda args: f"/outcalls/{args.outcall_id}/trunks",
    body=lambda args: {"trunks": [{"id": t} for t in args.trunk_ids]},
    observe=_observe,
    remove=_remove,
)


class OutcallTrunksProvider(AssociationProvider):
    """Dynamic provider of outcall trunk lists."""

    spec: ClassVar[AssociationSpec] = SPEC


class OutcallTrunks(Resource, module="wazo-voip", name="OutcallTrunks"):
    """`PUT /outcalls/{outcall_id}/trunks` with the ordered trunk list."""

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        outcall_id: pulumi.Input[int],
        trunk_ids: pulumi.Input[list[pulumi.Input[int]]],
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"tenant_uuid": tenant_uuid, "outcall_id": outcall_id, "trunk_ids": trunk_ids, "adopt": adopt}
        super().__init__(OutcallTrunksProvider(), resource_name, props, opts)
