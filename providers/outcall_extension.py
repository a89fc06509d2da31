"""Outcall <-> extension: a dial pattern of the outcall, with its digit manipulation and caller id."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator

from providers._base import ArgsBase, AssociationProvider, AssociationSpec, plain
from providers.confd import ConfdClient, ConfdNotFound

# confd's regex is `^\+|\+?[0-9#*]+$`, which lets anything starting with '+' through; be exact
DIAL_PREFIX = re.compile(r"^(\+|\+?[0-9#*]+)$")
NUMBER_LIKE = re.compile(r"^[-+0-9 ().]+$")
E164ISH = re.compile(r"^\+?[0-9]{1,15}$")
NAMED = re.compile(r'^\s*(?:"[^"]*"|[^"<>]*)\s*<(?P<number>[^<>]*)>\s*$')
FIELDS = ("strip_digits", "prefix", "external_prefix", "caller_id")


def check_caller_id(value: str) -> str:
    """A caller id that looks like a number must be one: '+' then up to 15 digits (E.164)."""
    named = NAMED.match(value)
    number = named.group("number") if named else value
    if (named or NUMBER_LIKE.match(number)) and not E164ISH.match(number):
        raise ValueError(
            f"{number!r} is not a valid number: write it in E.164 form, '+' then up to 15 digits with "
            f"no spaces (e.g. +15551234567), optionally as '\"Name\" <+15551234567>'"
        )
    return value


class OutcallExtensionArgs(ArgsBase):
    """Inputs of an outcall/extension link (a dial pattern)."""

    canon_rules: ClassVar[dict[str, Any]] = {"strip_digits": lambda v: 0 if v is None else plain(v)}

    outcall_id: int = Field(ge=1)
    extension_id: int = Field(ge=1)
    strip_digits: int = Field(default=0, ge=0, description="leading digits removed before sending")
    prefix: str | None = Field(default=None, max_length=32)
    external_prefix: str | None = Field(default=None, max_length=64)
    caller_id: str | None = Field(default=None, max_length=80)
    # when adopting, a link confd already shows as declared is not made again
    adopt: StrictBool = False

    @field_validator("prefix", "external_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not DIAL_PREFIX.match(value):
            raise ValueError("must be digits, * or #, optionally after a leading '+'")
        return value

    @field_validator("caller_id")
    @classmethod
    def _caller_id(cls, value: str | None) -> str | None:
        return None if value is None else check_caller_id(value)


def _path(values: OutcallExtensionArgs | dict[str, Any]) -> str:
    if isinstance(values, dict):
        return f"/outcalls/{values['outcall_id']}/extensions/{values['extension_id']}"
    return f"/outcalls/{values.outcall_id}/extensions/{values.extension_id}"


def _body(args: OutcallExtensionArgs) -> dict[str, Any]:
    # every field, nulls explicit: a re-PUT of an attached extension only updates what it names
    return {name: getattr(args, name) for name in FIELDS}


def _observe(client: ConfdClient, outs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        outcall = client.get(f"/outcalls/{outs['outcall_id']}")
    except ConfdNotFound:
        return None
    for pattern in outcall.get("extensions") or []:
        if str(pattern.get("id")) == str(outs.get("extension_id")):
            return {name: pattern.get(name) for name in FIELDS}
    return None


def _remove(client: ConfdClient, outs: dict[str, Any]) -> None:
    client.delete(_path(outs))


SPEC = AssociationSpec(
    kind="outcall dial pattern",
    args=OutcallExtensionArgs,
    replace_on=frozenset({"tenant_uuid", "outcall_id", "extension_id"}),
    delete_before_replace=True,  # an extension belongs to one outcall at most
    id_of=lambda args: f"{args.outcall_id}/{args.extension_id}",
    path=_path,
    body=_body,
    observe=_observe,
    remove=_remove,
)


class OutcallExtensionProvider(AssociationProvider):
    """Dynamic provider of outcall dial patterns."""

    spec: ClassVar[AssociationSpec] = SPEC


class OutcallExtension(Resource, module="wazo-voip", name="OutcallExtension"):
    """`PUT /outcalls/{outcall_id}/extensions/{extension_id}` with the dial-pattern fields."""

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        outcall_id: pulumi.Input[int],
        extension_id: pulumi.Input[int],
        strip_digits: pulumi.Input[int] | None = None,
        prefix: pulumi.Input[str] | None = None,
        external_prefix: pulumi.Input[str] | None = None,
        caller_id: pulumi.Input[str] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "outcall_id": outcall_id,
            "extension_id": extension_id,
            "strip_digits": strip_digits,
            "prefix": prefix,
            "external_prefix": external_prefix,
            "caller_id": caller_id,
            "adopt": adopt,
        }
        super().__init__(OutcallExtensionProvider(), resource_name, props, opts)
