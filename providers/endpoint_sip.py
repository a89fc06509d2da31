"""The SIP endpoint of a provider trunk: PJSIP sections (auth, registration, aor, identify, ...)."""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, ValidationInfo, field_validator

from providers._base import (
    ADOPTION_FIELDS,
    AdoptableArgs,
    ObjectProvider,
    ObjectSpec,
    check_uuid,
    plain,
    sorted_pairs,
)

NAME = re.compile(r"^[-_.a-zA-Z0-9]{1,79}$")
RESERVED_NAMES = frozenset({"global", "system"})
HOST = re.compile(
    r"^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*)$"
)
SIP_URI = re.compile(
    r"^(?P<scheme>sips?):(?:(?P<user>[^@\s;]+)@)?(?P<host>[^:;@\s]+|\[[^\]]+\])(?::(?P<port>[^;]*))?(?P<params>;.*)?$"
)
SIP_USER = re.compile(r"^[^\s@:;<>\"]{1,80}$")
TRANSPORT_NAME = re.compile(r"^[-_.a-zA-Z0-9]{1,79}$")
MAX_OPTIONS = 512
MAX_TEXT = 4092

SECTIONS = (
    "aor_section_options",
    "auth_section_options",
    "endpoint_section_options",
    "identify_section_options",
    "registration_section_options",
    "registration_outbound_auth_section_options",
    "outbound_auth_section_options",
)
AUTH_SECTIONS = frozenset(
    {"auth_section_options", "outbound_auth_section_options", "registration_outbound_auth_section_options"}
)
# which list of pjsip-option-names.json validates each section's keys
_NAMES_OF = {
    "aor_section_options": "aor",
    "auth_section_options": "auth",
    "endpoint_section_options": "endpoint",
    "identify_section_options": "identify",
    "registration_section_options": "registration",
    "registration_outbound_auth_section_options": "auth",
    "outbound_auth_section_options": "auth",
}
_CUSTOM_ALLOWED = frozenset({"aor", "endpoint"})  # '@variable' keys
URI_KEYS = {("aor", "contact"), ("registration", "server_uri"), ("registration", "client_uri")}
WHOLE_NUMBER_KEYS = {
    ("aor", "qualify_frequency"),
    ("aor", "max_contacts"),
    ("aor", "default_expiration"),
    ("aor", "maximum_expiration"),
    ("aor", "minimum_expiration"),
    ("registration", "expiration"),
    ("registration", "max_retries"),
    ("registration", "retry_interval"),
    ("registration", "forbidden_retry_interval"),
    ("registration", "fatal_retry_interval"),
    ("endpoint", "rtp_timeout"),
    ("endpoint", "rtp_timeout_hold"),
    ("endpoint", "timers_sess_expires"),
    ("endpoint", "timers_min_se"),
}
YES_NO = frozenset({"yes", "no", "true", "false", "on", "off", "y", "n", "1", "0"})
YES_NO_KEYS = {
    ("aor", "remove_existing"),
    ("aor", "authenticate_qualify"),
    ("registration", "auth_rejection_permanent"),
    ("registration", "support_path"),
    ("registration", "support_outbound"),
    ("registration", "line"),
    ("endpoint", "rewrite_contact"),
    ("endpoint", "force_rport"),
    ("endpoint", "rtp_symmetric"),
    ("endpoint", "send_pai"),
    ("endpoint", "send_rpid"),
    ("endpoint", "trust_id_inbound"),
    ("endpoint", "trust_id_outbound"),
    ("endpoint", "direct_media"),
}
ENUM_KEYS = {
    ("endpoint", "dtmf_mode"): frozenset({"rfc4733", "inband", "info", "auto", "auto_info"}),
    ("auth", "auth_type"): frozenset({"userpass", "md5", "digest", "google_oauth"}),
}


@cache
def option_names() -> dict[str, frozenset[str]]:
    """Option names confd accepts per section (from Asterisk's PJSIP doc, as confd reads it)."""
    path = Path(__file__).resolve().parent / "confd" / "pjsip_option_names.json"
    data = json.loads(path.read_text())
    return {k: frozenset(v) - {"type"} for k, v in data.items() if not k.startswith("_")}


def _uri_problem(value: str) -> str | None:
    match = SIP_URI.match(value)
    if not match:
        return "must be a SIP URI such as sip:host, sip:user@host or sip:host:5060"
    host = match.group("host")
    if not (HOST.match(host) or _is_ip(host)):
        return f"has an invalid host {host!r}"
    port = match.group("port")
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return f"has an invalid port {port!r} (1..65535)"
    return None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _match_problem(value: str) -> str | None:
    for entry in (part.strip() for part in value.split(",")):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if not HOST.match(entry):
                return f"{entry!r} is neither an IP address, a CIDR nor a hostname"
    return None


def _value_problem(names: str, key: str, value: str) -> str | None:
    if (names, key) in URI_KEYS:
        return _uri_problem(value)
    if (names, key) in WHOLE_NUMBER_KEYS and not value.isdigit():
        return 'must be a whole number (as a string, e.g. "60")'
    if (names, key) in YES_NO_KEYS and value.lower() not in YES_NO:
        return "must be yes or no"
    allowed = ENUM_KEYS.get((names, key))
    if allowed is not None and value not in allowed:
        return "must be one of " + ", ".join(sorted(allowed))
    if (names, key) == ("identify", "match"):
        return _match_problem(value)
    if (names, key) == ("registration", "contact_user") and not SIP_USER.match(value):
        return "must be a SIP user part (no spaces, '@', ':' or ';')"
    if (names, key) == ("registration", "transport") and not TRANSPORT_NAME.match(value):
        return "must be a transport name such as transport-udp"
    return None


def check_section(section: str, value: Any) -> list[list[str]]:
    """Validate one *_section_options list; every problem is reported, secrets never echoed."""
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of [key, value] pairs of strings")
    names = _NAMES_OF[section]
    allowed = option_names()[names]
    secret = section in AUTH_SECTIONS
    problems: list[str] = []
    pairs: list[list[str]] = []
    if len(value) > MAX_OPTIONS:
        problems.append(f"has {len(value)} options; confd accepts at most {MAX_OPTIONS}")
    for index, pair in enumerate(value):
        where = f"[{index}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            problems.append(f"{where} must be a [key, value] pair")
            continue
        key, val = pair
        if not isinstance(key, str) or not isinstance(val, str):
            problems.append(f'{where} key and value must both be strings (write "60", not 60)')
            continue
        # in an auth section anything but a known option name may be a password (a reversed pair,
        # a typo): such a text is never shown, the position is enough to find it
        shown_key = key if not secret or key in allowed else "(key not shown: auth options are secret)"
        if not key or not val:
            problems.append(f"{where} {shown_key or '(empty key)'}: key and value must not be empty")
            continue
        if len(key) > MAX_TEXT or len(val) > MAX_TEXT:
            problems.append(f"{where} {shown_key[:40]}: keys and values are limited to {MAX_TEXT} characters")
            continue
        if key.startswith("@"):
            if names not in _CUSTOM_ALLOWED:
                problems.append(f"{where} custom variables ('@...') are accepted only in aor and endpoint")
                continue
        elif key not in allowed:
            if secret:
                problems.append(
                    f"{where} is not a PJSIP {names} option (the key is not shown: auth options are "
                    f"secret); is the pair written [value, key] instead of [key, value]?"
                )
            else:
                problems.append(f"{where} {key!r} is not a PJSIP {names} option" + _suggest(key, allowed))
            continue
        problem = _value_problem(names, key, val)
        if problem:
            shown = "" if secret else f" = {val!r}"
            problems.append(f"{where} {key}{shown} {problem}")
            continue
        pairs.append([key, val])
    if secret and pairs:
        keys = {k for k, _ in pairs}
        if "password" in keys and "username" not in keys:
            problems.append("has a password but no username")
    if problems:
        raise ValueError("; ".join(problems))
    return pairs


def _suggest(key: str, allowed: frozenset[str]) -> str:
    close = difflib.get_close_matches(key.lower(), sorted(allowed), n=3, cutoff=0.75)
    if close:
        return f" (did you mean {', '.join(close)}?)"
    return f" (accepted: {', '.join(sorted(allowed))})" if len(allowed) < 20 else ""


class EndpointSipArgs(AdoptableArgs):
    """Inputs of a SIP endpoint."""

    canon_rules: ClassVar[dict[str, Any]] = {
        **{section: sorted_pairs for section in SECTIONS},
        "templates": lambda v: [str(u).lower() for u in v],
        "transport_uuid": lambda v: None if v is None else str(v).lower(),
    }

    name: str = Field(description="unique across the whole Wazo (endpoints, templates, transports)")
    label: str | None = Field(default=None, max_length=128)
    templates: list[str] = Field(default_factory=list, description="template uuids; later ones win")
    transport_uuid: str | None = None
    aor_section_options: list[list[str]] = Field(default_factory=list)
    auth_section_options: list[list[str]] = Field(default_factory=list)
    endpoint_section_options: list[list[str]] = Field(default_factory=list)
    identify_section_options: list[list[str]] = Field(default_factory=list)
    registration_section_options: list[list[str]] = Field(default_factory=list)
    registration_outbound_auth_section_options: list[list[str]] = Field(default_factory=list)
    outbound_auth_section_options: list[list[str]] = Field(default_factory=list)
    trunk_id: int | None = Field(
        default=None,
        ge=1,
        description="the trunk it is for: an endpoint of this name already attached to that trunk is "
        "taken over (what Wazo 20.13's migration leaves of a chan_sip endpoint)",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("must be 1..79 characters among letters, digits, '-', '_' and '.'")
        if value in RESERVED_NAMES:
            raise ValueError(f"{value!r} is a reserved Asterisk section name")
        return value

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: list[str]) -> list[str]:
        uuids = [check_uuid(v, "a SIP template uuid") for v in value]
        if len(set(uuids)) != len(uuids):
            raise ValueError("lists a template twice")
        return uuids

    @field_validator("transport_uuid")
    @classmethod
    def _transport(cls, value: str | None) -> str | None:
        return None if value is None else check_uuid(value, "a SIP transport uuid")

    @field_validator(*SECTIONS, mode="before")
    @classmethod
    def _section(cls, value: Any, info: ValidationInfo) -> list[list[str]]:
        return check_section(str(info.field_name), value)


def _body(args: EndpointSipArgs) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": args.name,
        "label": args.label,
        "templates": [{"uuid": uuid} for uuid in args.templates],
        "transport": {"uuid": args.transport_uuid} if args.transport_uuid else None,
    }
    for section in SECTIONS:
        body[section] = [list(pair) for pair in getattr(args, section)]
    return body


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    transport = obj.get("transport") or {}
    seen = {
        "tenant_uuid": obj.get("tenant_uuid"),
        "name": obj.get("name"),
        "label": obj.get("label"),
        "templates": [t.get("uuid") for t in obj.get("templates") or []],
        "transport_uuid": transport.get("uuid"),
    }
    for section in SECTIONS:
        seen[section] = plain(obj.get(section) or [])
    return seen


def _attachments(obj: dict[str, Any]) -> dict[str, list[str]]:
    return {kind: [str(obj[kind]["id"])] for kind in ("trunk", "line") if obj.get(kind)}


def _passwords(args: EndpointSipArgs) -> list[str]:
    # every value of a secret section, not only under `password`: md5_cred, a token in auth_type's
    # neighbour... whatever confd echoes back of a secret input is masked
    return [value for section in AUTH_SECTIONS for _key, value in getattr(args, section)]


def _may_adopt(args: EndpointSipArgs, existing: dict[str, Any]) -> bool:
    """An explicit adopt, or the endpoint is already the SIP side of this resource's own trunk."""
    trunk = existing.get("trunk") or {}
    return args.adopt or (args.trunk_id is not None and trunk.get("id") == args.trunk_id)


SPEC = ObjectSpec(
    kind="SIP endpoint",
    args=EndpointSipArgs,
    local_fields=ADOPTION_FIELDS | {"trunk_id"},
    may_adopt=_may_adopt,
    # the trunk it is made for is the stack's: the endpoint may already be on it
    declared=lambda args: {"trunk": [str(args.trunk_id)]} if args.trunk_id is not None else {},
    delete_before_replace=True,  # the name is unique across the whole Wazo
    secret_fields=AUTH_SECTIONS,
    redact=_passwords,
    collection="/endpoints/sip",
    id_key="uuid",
    id_output="uuid",
    to_body=_body,
    from_server=_from_server,
    natural_key=lambda args: {"name": args.name},
    in_use=lambda obj: bool(obj.get("trunk") or obj.get("line")),
    attachments=_attachments,
    link_names={"trunk": "trunk", "line": "the line (a phone) of id"},
    link_hints={
        "trunk": "If that trunk is this provider's, record its id on the provider (trunk_id: {value}) to "
        "adopt it too; `python -m stacks export` writes it",
    },
)


class EndpointSipProvider(ObjectProvider):
    """Dynamic provider of confd SIP endpoints."""

    spec: ClassVar[ObjectSpec] = SPEC


class EndpointSip(Resource, module="wazo-voip", name="EndpointSip"):
    """A confd SIP endpoint (`/endpoints/sip`); its auth sections are secret outputs."""

    uuid: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        name: pulumi.Input[str],
        label: pulumi.Input[str] | None = None,
        templates: pulumi.Input[list[pulumi.Input[str]]] | None = None,
        transport_uuid: pulumi.Input[str] | None = None,
        aor_section_options: pulumi.Input[list[Any]] | None = None,
        auth_section_options: pulumi.Input[list[Any]] | None = None,
        endpoint_section_options: pulumi.Input[list[Any]] | None = None,
        identify_section_options: pulumi.Input[list[Any]] | None = None,
        registration_section_options: pulumi.Input[list[Any]] | None = None,
        registration_outbound_auth_section_options: pulumi.Input[list[Any]] | None = None,
        outbound_auth_section_options: pulumi.Input[list[Any]] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        declared_links: pulumi.Input[dict[str, Any]] | None = None,
        trunk_id: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "name": name,
            "label": label,
            "templates": templates,
            "transport_uuid": transport_uuid,
            "aor_section_options": aor_section_options,
            "auth_section_options": auth_section_options,
            "endpoint_section_options": endpoint_section_options,
            "identify_section_options": identify_section_options,
            "registration_section_options": registration_section_options,
            "registration_outbound_auth_section_options": registration_outbound_auth_section_options,
            "outbound_auth_section_options": outbound_auth_section_options,
            "adopt": adopt,
            "declared_links": declared_links,
            "trunk_id": trunk_id,
            "uuid": None,
        }
        secrets = pulumi.ResourceOptions(additional_secret_outputs=sorted(AUTH_SECTIONS))
        super().__init__(
            EndpointSipProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secrets)
        )
