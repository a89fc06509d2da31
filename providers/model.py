"""The stack configuration: what an operator writes in stacks/Pulumi.<tenant>-<env>.yaml."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from providers.endpoint_sip import NAME as ENDPOINT_NAME
from providers.endpoint_sip import RESERVED_NAMES as RESERVED_ENDPOINT_NAMES
from providers.endpoint_sip import SIP_USER, TRANSPORT_NAME, check_section
from providers.extension import PATTERN_CHARS as PATTERN_CHARACTERS
from providers.incall import check_destination
from providers.outcall_extension import DIAL_PREFIX

NAMESPACE = "wazo-voip"

# The resources' own rules (imported above) plus the stack's, so that a stack fails before any
# request is sent. A dial pattern here must not be empty, though confd accepts ""
# (docs/confd-contract.md section 13, request #47).
OUTCALL_PATTERN = re.compile(r"^_?\+?[*#0-9_XxZzNn\[\].!-]+$")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$"
)
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
DID_DIGITS = re.compile(r"^[0-9]{1,40}$")
INCALL_EXTEN = re.compile(r"^[0-9*#]{1,40}$")
SIP_USER_RULE = 'must be a SIP user part: 1..80 characters, none of space, @ : ; < > or "'

PjsipSection = Literal[
    "aor",
    "auth",
    "endpoint",
    "identify",
    "registration",
    "registration_outbound_auth",
    "outbound_auth",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(HOSTNAME.match(value))
    return True


class Registration(_Model):
    """Outbound registration to the provider (PJSIP `registration` section)."""

    enabled: bool = True
    expiration: int = Field(default=120, ge=60, le=86400, description="REGISTER expiry in seconds")
    contact_user: str | None = Field(
        default=None,
        description="user part of the Contact sent in REGISTER (the old 'callback extension')",
    )

    @field_validator("contact_user")
    @classmethod
    def _contact_user(cls, value: str | None) -> str | None:
        if value is not None and not SIP_USER.match(value):
            raise ValueError(SIP_USER_RULE)
        return value


class Keepalive(_Model):
    """NAT keepalive: Asterisk qualifies the provider with OPTIONS every `frequency` seconds."""

    enabled: bool = True
    frequency: int = Field(default=60, ge=1, le=86400)


class DialPattern(_Model):
    """One outgoing dial pattern: an extension in the outcall context attached to the outcall."""

    exten: str = Field(description="Asterisk pattern, e.g. _0XXXXXXXXX or _+1NXXNXXXXXX")
    strip_digits: int = Field(default=0, ge=0, le=40)
    prefix: str | None = Field(default=None, max_length=32)
    external_prefix: str | None = Field(default=None, max_length=64)
    caller_id: str | None = Field(default=None, max_length=80)

    @field_validator("exten")
    @classmethod
    def _exten(cls, value: str) -> str:
        if len(value) > 40:
            raise ValueError("is longer than 40 characters (confd's limit)")
        if not OUTCALL_PATTERN.match(value):
            raise ValueError(
                "is not a dial pattern: use digits, *, #, X (0-9), Z (1-9), N (2-9), [ranges], . or !, "
                "optionally after a leading _ and +"
            )
        if not value.startswith("_") and PATTERN_CHARACTERS.search(value):
            raise ValueError(
                f"contains pattern characters but does not start with '_': Asterisk would treat it as "
                f"the literal number {value!r}; write '_{value}'"
            )
        return value

    @field_validator("prefix", "external_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not DIAL_PREFIX.match(value):
            raise ValueError("must be digits, * or #, optionally after a leading +")
        return value


class Outgoing(_Model):
    """Outgoing calls: the outcall, its dial patterns and the order of its trunks."""

    outcall: str = Field(min_length=1, max_length=128, description="outcall name (unique on the Wazo)")
    description: str | None = None
    trunks: list[str] | None = Field(
        default=None,
        description="provider names of this stack in priority order; default: only this provider",
    )
    patterns: list[DialPattern] = Field(min_length=1)
    renamed_from: list[str] = Field(
        default_factory=list,
        description="former names of this outcall: renamed in place (one write) instead of replaced",
    )

    @model_validator(mode="after")
    def _unique_patterns(self) -> Outgoing:
        seen: set[str] = set()
        for pattern in self.patterns:
            if pattern.exten in seen:
                raise ValueError(f"pattern {pattern.exten!r} is listed twice")
            seen.add(pattern.exten)
        if self.trunks is not None and len(set(self.trunks)) != len(self.trunks):
            raise ValueError("trunks lists a provider twice")
        if self.outcall in self.renamed_from:
            raise ValueError("renamed_from lists the outcall's own name")
        return self


class Did(_Model):
    """One public number routed to a destination: an extension, an incall and their link."""

    did: str = Field(
        description="the public number, in E.164 (+15551234567) or as the digits it arrives with"
    )
    exten: str | None = Field(
        default=None,
        description="the exten stored in the incall context; default: derived from the DID and the "
        "context's incall ranges (their did_length)",
    )
    destination: dict[str, Any]
    caller_id_mode: Literal["prepend", "overwrite", "append"] | None = None
    caller_id_name: str | None = Field(default=None, max_length=80)
    greeting_sound: str | None = Field(default=None, max_length=255)
    description: str | None = None

    @field_validator("did", "exten", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        # `pulumi config set --path ... +15551230003` stores a number (the CLI reads the value as
        # YAML, dropping the '+'). A whole number keeps every digit (a leading 0 keeps it a string),
        # and a DID's digits are what its exten comes from: take it as the digits-only form.
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        return value

    @field_validator("did")
    @classmethod
    def _did(cls, value: str) -> str:
        if value.startswith("+"):
            if not E164.match(value):
                raise ValueError("is not an E.164 number: '+', a country code, then 7 to 15 digits in all")
        elif not DID_DIGITS.match(value):
            raise ValueError("must be an E.164 number (+15551234567) or digits only")
        return value

    @field_validator("exten")
    @classmethod
    def _exten(cls, value: str | None) -> str | None:
        if value is not None and not INCALL_EXTEN.match(value):
            raise ValueError("must be 1..40 digits, * or # (confd refuses '+' and patterns here)")
        return value

    @field_validator("destination")
    @classmethod
    def _destination(cls, value: dict[str, Any]) -> dict[str, Any]:
        kind = value.get("type")
        if kind == "user" and ("user_id" in value) == ("user_email" in value):
            raise ValueError("a user destination needs exactly one of user_id or user_email")
        checked = dict(value)
        if "user_email" in checked:
            email = checked.pop("user_email")
            if kind != "user" or not isinstance(email, str) or "@" not in email:
                raise ValueError("user_email must be an email address, in a user destination")
            # the email is looked up at run time; the rest is checked as confd checks it
            checked["user_id"] = 1
        check_destination(checked)
        return value

    @property
    def digits(self) -> str:
        """The DID without its '+'."""
        return self.did.lstrip("+")


class Provider(_Model):
    """One VoIP provider: its trunk (SIP endpoint) and what goes out and comes in through it."""

    name: str = Field(description="SIP endpoint name; unique across the whole Wazo, all tenants")
    label: str | None = Field(default=None, max_length=128)
    username: str
    password: SecretStr | None = Field(
        default=None,
        description="a secret: `pulumi config set --secret --path 'providers[N].password' ...`",
    )
    host: str = Field(description="the provider's SIP server, a hostname or an IP address")
    port: int = Field(default=5060, ge=1, le=65535)
    transport: str = Field(default="transport-udp", description="name of a SIP transport of the Wazo")
    registration: Registration = Registration()
    keepalive: Keepalive = Keepalive()
    match: list[str] = Field(
        default_factory=list, description="hosts, IPs or CIDRs that identify the provider"
    )
    outgoing_caller_id_format: Literal["+E164", "E164", "national"] = "+E164"
    options: dict[PjsipSection, list[tuple[str, str]]] = Field(
        default_factory=dict, description="extra PJSIP options per section, as [key, value] string pairs"
    )
    outgoing: Outgoing | None = None
    incoming: list[Did] = Field(default_factory=list)
    renamed_from: list[str] = Field(
        default_factory=list,
        description="former names of this provider: its trunk and SIP endpoint are kept and the "
        "endpoint renamed in place (one write) instead of replaced",
    )

    @field_validator("renamed_from")
    @classmethod
    def _former_names(cls, value: list[str]) -> list[str]:
        for name in value:
            cls._name(name)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENDPOINT_NAME.match(value):
            raise ValueError("must be 1..79 characters among letters, digits, '-', '_' and '.'")
        if value in RESERVED_ENDPOINT_NAMES:
            raise ValueError(f"{value!r} is a reserved Asterisk section name")
        return value

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not SIP_USER.match(value):
            raise ValueError(SIP_USER_RULE)
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        if len(value.get_secret_value()) > 4092:
            raise ValueError("is longer than 4092 characters")
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not _is_host(value):
            raise ValueError("must be a hostname or an IP address, without scheme or port")
        return value

    @field_validator("transport")
    @classmethod
    def _transport(cls, value: str) -> str:
        if not TRANSPORT_NAME.match(value):
            raise ValueError("must be a transport name such as transport-udp")
        return value

    @field_validator("match")
    @classmethod
    def _match(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if not _is_host(entry):
                    raise ValueError(f"{entry!r} is neither a hostname, an IP address nor a CIDR") from None
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        problems = []
        for section, pairs in value.items():
            try:
                check_section(f"{section}_section_options", [list(pair) for pair in pairs])
            except ValueError as error:
                problems.append(f"{section}: {error}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _incoming_unique(self) -> Provider:
        seen: set[str] = set()
        for did in self.incoming:
            if did.digits in seen:
                raise ValueError(f"DID {did.did} is listed twice")
            seen.add(did.digits)
        return self

    @property
    def server_uri(self) -> str:
        return f"sip:{self.host}" if self.port == 5060 else f"sip:{self.host}:{self.port}"

    @property
    def client_uri(self) -> str:
        return f"sip:{self.username}@{self.host}" + ("" if self.port == 5060 else f":{self.port}")

    @property
    def contact_uri(self) -> str:
        return f"sip:{self.host}:{self.port}"


class IncallRange(_Model):
    start: str = Field(pattern=r"^[0-9]{1,16}$")
    end: str | None = Field(default=None, pattern=r"^[0-9]{1,16}$")
    did_length: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> IncallRange:
        if self.end is not None:
            if len(self.end) != len(self.start):
                raise ValueError("start and end must have the same length")
            if int(self.end) < int(self.start):
                raise ValueError("start must be lower than or equal to end")
        return self


class Contexts(_Model):
    """Where the tenant's calls come in and go out; found with ?type= unless named here."""

    incall: str | None = Field(default=None, description="incall context name (override the lookup)")
    outcall: str | None = Field(default=None, description="outcall context name (override the lookup)")
    create: bool = Field(
        default=False,
        description="when the tenant has no incall/outcall context, create them and manage them",
    )
    incall_ranges: list[IncallRange] = Field(
        default_factory=list, description="incall ranges of a context created by this stack"
    )


class StackConfig(_Model):
    """Everything one stack (one tenant, one environment) declares."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    url: str = Field(description="base URL of the Wazo, e.g. https://wazo.example.com")
    tenant: UUID
    username: str | None = Field(default=None, description="wazo-auth user (or WAZO_USERNAME)")
    password: SecretStr | None = Field(default=None, description="wazo-auth password, a secret")
    token: SecretStr | None = Field(default=None, description="a wazo-auth token instead of a password")
    ca_bundle: str | None = Field(default=None, alias="caBundle", description="CA bundle for TLS")
    insecure: bool = Field(default=False, description="allow credentials over plain http to a remote host")
    confd_url: str | None = Field(
        default=None, alias="confdUrl", description="confd base URL, if not <url>/api/confd/1.1"
    )
    auth_url: str | None = Field(
        default=None, alias="authUrl", description="wazo-auth base URL, if not <url>/api/auth/0.1"
    )
    calld_url: str | None = Field(
        default=None,
        alias="calldUrl",
        description="wazo-calld base URL, if not <url>/api/calld/1.0 (read by `python -m stacks status`)",
    )
    contexts: Contexts = Contexts()
    providers: list[Provider] = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", value):
            raise ValueError("must be an http(s) URL such as https://wazo.example.com")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        names = [p.name for p in self.providers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"provider names must be unique; repeated: {', '.join(duplicates)}")
        outcalls: dict[str, str] = {}
        dids: dict[str, str] = {}
        for provider in self.providers:
            for former in provider.renamed_from:
                if former in names or sum(former in p.renamed_from for p in self.providers) > 1:
                    raise ValueError(
                        f"providers {provider.name!r}: renamed_from names {former!r}, which is a "
                        f"provider of this stack or a former name of another one"
                    )
            if provider.outgoing is not None:
                current = {p.outgoing.outcall for p in self.providers if p.outgoing is not None}
                for former in provider.outgoing.renamed_from:
                    if former in current:
                        raise ValueError(
                            f"outcall {provider.outgoing.outcall!r}: renamed_from names {former!r}, "
                            f"which is the name of an outcall of this stack"
                        )
                owner = outcalls.setdefault(provider.outgoing.outcall, provider.name)
                if owner != provider.name:
                    raise ValueError(
                        f"outcall {provider.outgoing.outcall!r} is declared by {owner!r} and "
                        f"{provider.name!r}; declare it once and list both in its trunks"
                    )
                for trunk in provider.outgoing.trunks or []:
                    if trunk not in names:
                        raise ValueError(
                            f"providers {provider.name!r}: outgoing.trunks names {trunk!r}, "
                            f"which is not a provider of this stack ({', '.join(names)})"
                        )
            for did in provider.incoming:
                owner = dids.setdefault(did.digits, provider.name)
                if owner != provider.name:
                    raise ValueError(f"DID {did.did} is declared by {owner!r} and {provider.name!r}")
        return self


class ConfigError(Exception):
    """A stack configuration error; every line names the config key and says how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _key_path(loc: tuple[int | str, ...]) -> str:
    """('providers', 0, 'incoming', 1, 'did') -> 'wazo-voip:providers[0].incoming[1].did'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not text:
            text = f"{NAMESPACE}:{part}"
        else:
            text += f".{part}"
    return text or f"{NAMESPACE}"


def describe_errors(error: ValidationError) -> list[str]:
    """One readable line per problem, naming the config key; never echoes a secret value."""
    lines = []
    # inputs are read only for their type and never shown: a secret may be among them
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is missing: set it with `pulumi config set` (see README)"
        elif item["type"] == "string_type" and isinstance(item.get("input"), int | float):
            # the CLI stores `config set --path` values that look like numbers as numbers, and a
            # number has lost a leading '+': ask for the string again rather than guess it
            path = _key_path(loc).removeprefix(f"{NAMESPACE}:")
            secret = "--secret " if loc and loc[-1] in ("password", "token") else ""
            message = (
                "is a number, not a string (`pulumi config set --path` reads numbers, dropping a "
                f"leading '+'): set it with `pulumi config set {secret}--type string --path '{path}' "
                "<value>`"
            )
        elif item["type"] == "extra_forbidden":
            message = "is not a known setting: check its spelling (see README for every key)"
        lines.append(f"{_key_path(loc)}: {message}")
    return lines


def load_stack_config(values: dict[str, Any]) -> StackConfig:
    """Validate the stack's settings, keyed without namespace ({"url": ..., "providers": [...]})."""
    try:
        return StackConfig.model_validate(values)
    except ValidationError as error:
        raise ConfigError(describe_errors(error)) from None
