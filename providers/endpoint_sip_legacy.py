"""A chan_sip SIP endpoint, as Wazo 20.12 and before store them: username, secret, type, host, options.

The object behind `POST /endpoints/sip` before 20.13 (CONTRACT 9.2): integer id, the peer's
credentials and host as fields, everything else as `[key, value]` options. About seventy option
names are database columns (xivo-dao alchemy/usersip.py at tag wazo-20.12) with their own rules:
enumerations, integers, lengths, yes/no read through Asterisk's ast_true(). A value PostgreSQL
refuses makes confd answer 500, so they are checked here first. The columns come back in no
defined order, with the database defaults of three of them added: options compare as a multiset,
those defaults left out.
"""

from __future__ import annotations

import re
import string
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, field_validator

from providers._base import ArgsBase, ObjectProvider, ObjectSpec, plain

# wazo-confd plugins/endpoint_sip/schema.py at 20.12: names and usernames
NAME = re.compile(r"^[a-zA-Z0-9_+-]{1,40}$")
NAME_RULE = "must be 1..40 characters among letters, digits, '_', '+' and '-' (Wazo 20.12's rule)"
HOST_MAX = 255
SECRET_MAX = 80

# Column name -> rule: "yes/no", "int", ("str", max length), ("one of", values). Source: xivo-dao
# xivo_dao/alchemy/usersip.py at wazo-20.12 (the columns AsteriskOptionsMixin fills from options).
_NAT = ("no", "force_rport", "comedia", "force_rport,comedia", "auto_force_rport", "auto_comedia")
COLUMNS: dict[str, Any] = {
    "md5secret": ("str", 32),
    "language": ("str", 20),
    "accountcode": ("str", 20),
    "amaflags": ("one of", ("default", "omit", "billing", "documentation")),
    "fromuser": ("str", 80),
    "fromdomain": ("str", 255),
    "call-limit": "int",
    "callerid": ("str", 160),
    "fullname": ("str", 80),
    "cid_number": ("str", 80),
    "maxcallbitrate": "int",
    "insecure": ("one of", ("port", "invite", "port,invite")),
    "nat": ("one of", (*_NAT, "auto_force_rport,auto_comedia")),
    "videosupport": ("one of", ("no", "yes", "always")),
    "sendrpid": ("str", 16),
    "dtmfmode": ("one of", ("rfc2833", "inband", "info", "auto")),
    "qualify": ("str", 4),
    "disallow": ("str", 100),
    "allow": ("str", None),
    "mohinterpret": ("str", 80),
    "progressinband": ("one of", ("no", "yes", "never")),
    "rtptimeout": "int",
    "rtpholdtimeout": "int",
    "rtpkeepalive": "int",
    "deny": ("str", 31),
    "permit": ("str", 31),
    "defaultip": ("str", 255),
    "port": "int",
    "regexten": ("str", 80),
    "subscribecontext": ("str", 80),
    "vmexten": ("str", 40),
    "callingpres": "int",
    "parkinglot": "int",
    "outboundproxy": ("str", 1024),
    "transport": ("str", 255),
    "remotesecret": ("str", 255),
    "directmedia": ("one of", ("no", "yes", "nonat", "update", "update,nonat", "outgoing")),
    "busylevel": "int",
    "session-timers": ("one of", ("originate", "accept", "refuse")),
    "session-expires": "int",
    "session-minse": "int",
    "session-refresher": ("one of", ("uac", "uas")),
    "callbackextension": ("str", 255),
    "timert1": "int",
    "timerb": "int",
    "qualifyfreq": "int",
    "contactpermit": ("str", 1024),
    "contactdeny": ("str", 1024),
    "unsolicited_mailbox": ("str", 1024),
    "maxforwards": "int",
    "disallowed_methods": ("str", 1024),
    **{
        column: "yes/no"
        for column in (
            "allowtransfer",
            "subscribemwi",
            "buggymwi",
            "promiscredir",
            "usereqphone",
            "trustrpid",
            "allowsubscribe",
            "allowoverlap",
            "rfc2833compensate",
            "g726nonstandard",
            "autoframing",
            "useclientcode",
            "t38pt_udptl",
            "t38pt_usertpsource",
            "callcounter",
            "ignoresdpversion",
            "use_q850_reason",
            "encryption",
            "snom_aoc_enabled",
            "textsupport",
        )
    },
}
# what Asterisk's ast_true() reads as true (xivo-dao helpers/asterisk.py); a column reads back yes/no
TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"no", "false", "n", "f", "0", "off"})
# the columns' database defaults: every endpoint shows them, sent or not
SERVER_DEFAULTS = frozenset({("amaflags", "default"), ("subscribemwi", "no"), ("call-limit", "10")})
INT32 = 2**31 - 1


def _column_problem(key: str, value: str) -> str | None:
    rule = COLUMNS[key]
    if rule == "yes/no":
        if value not in TRUE_WORDS | FALSE_WORDS:
            return "must be yes or no, in lower case (Asterisk's ast_true() reads anything else as no)"
        return None
    if rule == "int":
        if not re.fullmatch(r"[+-]?[0-9]+", value) or abs(int(value)) > INT32:
            return 'must be a whole number (as a string, e.g. "60")'
        return None
    kind, detail = rule
    if kind == "one of" and value not in detail:
        return "must be one of " + ", ".join(detail)
    if kind == "str" and detail is not None and len(value) > detail:
        return f"is longer than {detail} characters"
    return None


def canonical_value(key: str, value: str) -> str:
    """A value as the server reads it back: yes/no for ast_true columns, integers without padding."""
    rule = COLUMNS.get(key)
    if rule == "yes/no":
        return "yes" if value in TRUE_WORDS else "no"
    if rule == "int" and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return str(int(value))
    return value


def canonical_options(value: Any) -> Any:
    """Options as a multiset of read-back pairs, the server's three defaults left out."""
    if not isinstance(value, list | tuple):
        return plain(value)
    pairs = []
    for pair in value:
        if isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            key, item = pair
            normalized = (key, canonical_value(key, item))
            if normalized not in SERVER_DEFAULTS:
                pairs.append(list(normalized))
        else:
            pairs.append(plain(pair))
    return sorted(pairs, key=lambda pair: [str(p) for p in pair])


def check_options(value: Any) -> list[list[str]]:
    """Every problem at once; a column may appear once (it holds one value)."""
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of [key, value] pairs of strings")
    problems: list[str] = []
    pairs: list[list[str]] = []
    seen: set[str] = set()
    for index, pair in enumerate(value):
        where = f"[{index}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            problems.append(f"{where} must be a [key, value] pair")
            continue
        key, item = pair
        if not isinstance(key, str) or not isinstance(item, str):
            problems.append(f'{where} key and value must both be strings (write "60", not 60)')
            continue
        if not key or not item:
            problems.append(f"{where} {key or '(empty key)'}: key and value must not be empty")
            continue
        if key in COLUMNS:
            if key in seen:
                problems.append(f"{where} {key} is given twice; it is a column and holds one value")
                continue
            seen.add(key)
            problem = _column_problem(key, item)
            if problem:
                problems.append(f"{where} {key} = {item!r} {problem}")
                continue
        pairs.append([key, item])
    if problems:
        raise ValueError("; ".join(problems))
    return pairs


class EndpointSipLegacyArgs(ArgsBase):
    """Inputs of a chan_sip SIP endpoint."""

    canon_rules: ClassVar[dict[str, Any]] = {"options": canonical_options}

    name: str = Field(description="unique across the whole Wazo")
    username: str = Field(description="the account at the provider")
    secret: str = Field(description="the account's password (a secret)")
    type: Literal["friend", "peer", "user"] = "peer"
    host: str = Field(default="dynamic", description="where the peer is; dynamic: it registers")
    options: list[list[str]] = Field(default_factory=list)
    adopt: StrictBool = False

    @field_validator("name", "username")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value) or value.endswith("\n"):
            raise ValueError(NAME_RULE)
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        # never echo it: only its length and the rule
        if not 1 <= len(value) <= SECRET_MAX or any(ch not in string.printable for ch in value):
            raise ValueError(f"must be 1..{SECRET_MAX} printable ASCII characters (Wazo 20.12's rule)")
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value or len(value) > HOST_MAX:
            raise ValueError(f"must be 1..{HOST_MAX} characters")
        return value

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> list[list[str]]:
        return check_options(value)


def _body(args: EndpointSipLegacyArgs) -> dict[str, Any]:
    # the name goes with the username every time: a username alone renames the endpoint
    # (SipSchema.set_name_to_username_if_missing runs on PUT too)
    return {
        "name": args.name,
        "username": args.username,
        "secret": args.secret,
        "type": args.type,
        "host": args.host,
        "options": [list(pair) for pair in args.options],
    }


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        key: obj.get(key) for key in ("tenant_uuid", "name", "username", "secret", "type", "host", "options")
    }


SPEC = ObjectSpec(
    kind="chan_sip SIP endpoint",
    args=EndpointSipLegacyArgs,
    delete_before_replace=True,  # the name is unique across the whole Wazo
    secret_fields=frozenset({"secret"}),
    redact=lambda args: [args.secret],
    collection="/endpoints/sip",
    id_key="id",
    id_output="endpoint_id",
    to_body=_body,
    from_server=_from_server,
    # at 20.12 the list does not filter on `name` (it ignores the parameter): the client keeps the
    # items whose name is exactly this one
    natural_key=lambda args: {"name": args.name},
    in_use=lambda obj: bool(obj.get("trunk") or obj.get("line")),
)


class EndpointSipLegacyProvider(ObjectProvider):
    """Dynamic provider of chan_sip SIP endpoints (Wazo 20.12 and before)."""

    spec: ClassVar[ObjectSpec] = SPEC


class EndpointSipLegacy(Resource, module="wazo-voip", name="EndpointSipLegacy"):
    """A chan_sip SIP endpoint (`/endpoints/sip`, integer id); its secret is a secret output."""

    endpoint_id: pulumi.Output[int]
    name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        name: pulumi.Input[str],
        username: pulumi.Input[str],
        secret: pulumi.Input[str],
        type: pulumi.Input[str] | None = None,
        host: pulumi.Input[str] | None = None,
        options: pulumi.Input[list[Any]] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "name": name,
            "username": username,
            "secret": secret,
            "type": type,
            "host": host,
            "options": options,
            "adopt": adopt,
            "endpoint_id": None,
        }
        secrets = pulumi.ResourceOptions(additional_secret_outputs=["secret"])
        super().__init__(
            EndpointSipLegacyProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secrets)
        )
