"""A SIP register of Wazo 20.12 and before: the `register =>` line that registers a trunk.

`/registers/sip` (CONTRACT 9.3; wazo-confd plugins/register_sip at tag wazo-20.12) stores one
line, `[transport://]user[:password[:authuser]]@host[:port][/extension][~expiry]`, and reads
its fields back from it. So each field must keep the line parseable (no `:`, `/`, `~` or space
where the syntax uses them), a port or an expiry of 0 would read back as unset, and the whole
line fits 255 characters. Registers belong to no tenant and have no name: the registers of the
same account at the same host are what a POST could be taken for (read before it, and again after
a lost answer: only one that appeared meanwhile, holds what was sent and is on no trunk is ours).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator, model_validator

from providers._base import ArgsBase, ObjectProvider, ObjectSpec
from providers.confd import ConfdClient

LINE_MAX = 255
TRANSPORT_NAME = re.compile(r"^[-_.a-zA-Z0-9]{1,79}$")
NO_SEPARATOR = re.compile(r"^[^:/\s]+$")
HOST = re.compile(r"^[^:/~\s]+$")
EXTENSION = re.compile(r"^[^~\s]+$")


def line_of(args: RegisterSipArgs) -> str:
    """The line confd will store (its fields in the order of the syntax)."""
    line = f"{args.transport}://" if args.transport else ""
    line += args.sip_username
    line += f":{args.auth_password}" if args.auth_password else ""
    line += f":{args.auth_username}" if args.auth_username else ""
    line += f"@{args.remote_host}"
    line += f":{args.remote_port}" if args.remote_port else ""
    line += f"/{args.callback_extension}" if args.callback_extension else ""
    line += f"~{args.expiration}" if args.expiration else ""
    return line


class RegisterSipArgs(ArgsBase):
    """Inputs of a SIP register line."""

    transport: str | None = Field(default=None, description="a SIP transport of the Wazo, by name")
    sip_username: str = Field(description="the user part registered (the account)")
    auth_username: str | None = Field(default=None, description="who authenticates, if not sip_username")
    auth_password: str | None = Field(default=None, description="a secret")
    remote_host: str
    remote_port: int | None = Field(default=None, ge=1, le=65535)
    callback_extension: str | None = Field(default=None, description="the Contact user (where calls arrive)")
    expiration: int | None = Field(default=None, ge=1, description="seconds")
    enabled: StrictBool = True

    @field_validator("transport")
    @classmethod
    def _transport(cls, value: str | None) -> str | None:
        if value is not None and not TRANSPORT_NAME.match(value):
            raise ValueError("must be the name of a SIP transport of the Wazo, such as transport-udp")
        return value

    @field_validator("sip_username", "auth_username")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        if value is not None and not NO_SEPARATOR.match(value):
            raise ValueError("must be non-empty, without ':', '/' or spaces (the register line's separators)")
        return value

    @field_validator("auth_password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        if value is not None and not NO_SEPARATOR.match(value):
            # never echo it
            raise ValueError("must be non-empty, without ':', '/' or spaces (the register line's separators)")
        return value

    @field_validator("remote_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not HOST.match(value):
            raise ValueError("must be a host, without ':', '/', '~' or spaces")
        return value

    @field_validator("callback_extension")
    @classmethod
    def _extension(cls, value: str | None) -> str | None:
        if value is not None and not EXTENSION.match(value):
            raise ValueError("must not contain '~' or spaces")
        return value

    @model_validator(mode="after")
    def _line(self) -> RegisterSipArgs:
        if self.auth_username and not self.auth_password:
            raise ValueError("auth_username needs auth_password")
        if len(line_of(self)) > LINE_MAX:
            raise ValueError(f"the register line would be longer than {LINE_MAX} characters")
        return self


_FIELDS = (
    "transport",
    "sip_username",
    "auth_username",
    "auth_password",
    "remote_host",
    "remote_port",
    "callback_extension",
    "expiration",
    "enabled",
)


def _body(args: RegisterSipArgs) -> dict[str, Any]:
    return {field: getattr(args, field) for field in _FIELDS}


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    return {field: obj.get(field) for field in _FIELDS}


def _candidates(client: ConfdClient, args: RegisterSipArgs) -> list[dict[str, Any]]:
    # the list filters on no field of the line: the whole list (a Wazo has few), kept by account
    items: list[dict[str, Any]] = client.get("/registers/sip").get("items", [])
    return [
        item
        for item in items
        if item.get("sip_username") == args.sip_username and item.get("remote_host") == args.remote_host
    ]


SPEC = ObjectSpec(
    kind="SIP register",
    args=RegisterSipArgs,
    # registers have no tenant: the input only picks the Wazo-Tenant header and is kept as given
    local_fields=frozenset({"adopt", "tenant_uuid"}),
    secret_fields=frozenset({"auth_password"}),
    redact=lambda args: [args.auth_password] if args.auth_password else [],
    collection="/registers/sip",
    id_key="id",
    id_output="register_id",
    to_body=_body,
    from_server=_from_server,
    candidates=_candidates,
    in_use=lambda obj: bool(obj.get("trunk")),
)


class RegisterSipProvider(ObjectProvider):
    """Dynamic provider of SIP registers (Wazo 20.12 and before)."""

    spec: ClassVar[ObjectSpec] = SPEC


class RegisterSip(Resource, module="wazo-voip", name="RegisterSip"):
    """A SIP register (`/registers/sip`); its password is a secret output."""

    register_id: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        sip_username: pulumi.Input[str],
        remote_host: pulumi.Input[str],
        transport: pulumi.Input[str] | None = None,
        auth_username: pulumi.Input[str] | None = None,
        auth_password: pulumi.Input[str] | None = None,
        remote_port: pulumi.Input[int] | None = None,
        callback_extension: pulumi.Input[str] | None = None,
        expiration: pulumi.Input[int] | None = None,
        enabled: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "transport": transport,
            "sip_username": sip_username,
            "auth_username": auth_username,
            "auth_password": auth_password,
            "remote_host": remote_host,
            "remote_port": remote_port,
            "callback_extension": callback_extension,
            "expiration": expiration,
            "enabled": enabled,
            "register_id": None,
        }
        secrets = pulumi.ResourceOptions(additional_secret_outputs=["auth_password"])
        super().__init__(
            RegisterSipProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secrets)
        )
