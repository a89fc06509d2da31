"""The outcall: the route that sends matching dialled numbers out through its trunks."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator

from providers._base import ArgsBase, ObjectProvider, ObjectSpec, plain


def _ring_time(value: Any) -> Any:
    # confd stores 0 as "no ring time" and reads it back as null
    value = plain(value)
    return None if value == 0 else value


class OutcallArgs(ArgsBase):
    """Inputs of an outcall."""

    canon_rules: ClassVar[dict[str, Any]] = {"ring_time": _ring_time}

    name: str = Field(min_length=1, max_length=128, description="unique across the whole Wazo")
    description: str | None = None
    enabled: StrictBool = True
    internal_caller_id: StrictBool = False
    preprocess_subroutine: str | None = Field(default=None, max_length=79)
    ring_time: int | None = Field(default=None, ge=0, description="seconds; 0 or null: no limit")
    adopt: StrictBool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        return value


def _body(args: OutcallArgs) -> dict[str, Any]:
    return {
        "name": args.name,
        "description": args.description,
        "enabled": args.enabled,
        "internal_caller_id": args.internal_caller_id,
        "preprocess_subroutine": args.preprocess_subroutine,
        "ring_time": args.ring_time,
    }


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    keys = ("tenant_uuid", "name", "description", "enabled", "internal_caller_id")
    return {key: obj.get(key) for key in (*keys, "preprocess_subroutine", "ring_time")}


SPEC = ObjectSpec(
    kind="outcall",
    args=OutcallArgs,
    delete_before_replace=True,  # the name is unique across the whole Wazo
    collection="/outcalls",
    id_key="id",
    id_output="outcall_id",
    to_body=_body,
    from_server=_from_server,
    natural_key=lambda args: {"name": args.name},
    in_use=lambda obj: bool(obj.get("trunks") or obj.get("extensions")),
)


class OutcallProvider(ObjectProvider):
    """Dynamic provider of confd outcalls."""

    spec: ClassVar[ObjectSpec] = SPEC


class Outcall(Resource, module="wazo-voip", name="Outcall"):
    """A confd outcall (`/outcalls`)."""

    outcall_id: pulumi.Output[int]
    name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        name: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        enabled: pulumi.Input[bool] | None = None,
        internal_caller_id: pulumi.Input[bool] | None = None,
        preprocess_subroutine: pulumi.Input[str] | None = None,
        ring_time: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "name": name,
            "description": description,
            "enabled": enabled,
            "internal_caller_id": internal_caller_id,
            "preprocess_subroutine": preprocess_subroutine,
            "ring_time": ring_time,
            "adopt": adopt,
            "outcall_id": None,
        }
        super().__init__(OutcallProvider(), resource_name, props, opts)
