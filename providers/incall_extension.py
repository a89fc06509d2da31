"""Incall <-> extension: the DID that reaches an incall (an incall holds one extension)."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool

from providers._base import ArgsBase, AssociationProvider, AssociationSpec
from providers.confd import ConfdClient, ConfdNotFound


class IncallExtensionArgs(ArgsBase):
    """Inputs of an incall/extension link."""

    incall_id: int = Field(ge=1)
    extension_id: int = Field(ge=1)
    # when adopting, a link confd already shows as declared is not made again
    adopt: StrictBool = False


def _path(values: IncallExtensionArgs | dict[str, Any]) -> str:
    if isinstance(values, dict):
        return f"/incalls/{values['incall_id']}/extensions/{values['extension_id']}"
    return f"/incalls/{values.incall_id}/extensions/{values.extension_id}"


def _observe(client: ConfdClient, outs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        incall = client.get(f"/incalls/{outs['incall_id']}")
    except ConfdNotFound:
        return None
    ids = {str(e.get("id")) for e in incall.get("extensions") or []}
    return {} if str(outs.get("extension_id")) in ids else None


def _remove(client: ConfdClient, outs: dict[str, Any]) -> None:
    client.delete(_path(outs))


SPEC = AssociationSpec(
    kind="incall/extension link",
    args=IncallExtensionArgs,
    replace_on=frozenset({"tenant_uuid", "incall_id", "extension_id"}),
    delete_before_replace=True,  # one extension per incall, one incall per extension
    id_of=lambda args: f"{args.incall_id}/{args.extension_id}",
    path=_path,
    observe=_observe,
    remove=_remove,
)


class IncallExtensionProvider(AssociationProvider):
    """Dynamic provider of incall/extension links."""

    spec: ClassVar[AssociationSpec] = SPEC


class IncallExtension(Resource, module="wazo-voip", name="IncallExtension"):
    """`PUT /incalls/{incall_id}/extensions/{extension_id}`."""

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        incall_id: pulumi.Input[int],
        extension_id: pulumi.Input[int],
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "incall_id": incall_id,
            "extension_id": extension_id,
            "adopt": adopt,
        }
        super().__init__(IncallExtensionProvider(), resource_name, props, opts)
