"""The chan_sip API of Wazo 20.12 and before: `/endpoints/sip` (integer ids) and `/registers/sip`.

Written from wazo-platform/wazo-confd at tag wazo-20.12 (plugins endpoint_sip, register_sip) and
xivo-dao at the same tag (alchemy/usersip.py, alchemy/staticsip.py, helpers/asterisk.py,
resources/endpoint_sip/persistor.py, resources/register_sip/). The trunk associations live in
trunks.py, next to the PJSIP one.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import string
from typing import Any

from sandbox import errors
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    find_in_tenants,
    link,
    listing,
    scoped_listing,
    search_rows,
    visible_tenants,
)
from sandbox.schema import (
    Int,
    ListOf,
    Schema,
    Str,
    StrictBool,
    length,
    load_body,
    one_of,
    regexp,
    value_range,
)

# -- endpoints ------------------------------------------------------------------------------

# plugins/endpoint_sip/schema.py: names and usernames; a secret is 1..80 printable ASCII characters
USERNAME_REGEX = r"^[a-zA-Z0-9_+-]{1,40}$"
ENDPOINT_TYPES = ["friend", "peer", "user"]


def _secret(value: Any) -> str | None:
    if 1 <= len(value) <= 80 and all(ch in string.printable for ch in value):
        return None
    return "String does not match expected pattern."


def _endpoint_schema(nullable: bool) -> Schema:
    # POST accepts null for username, secret and host (SipSchemaNullable); PUT does not
    return Schema(
        {
            "username": Str(allow_none=nullable, validate=[regexp(USERNAME_REGEX)]),
            "name": Str(validate=[regexp(USERNAME_REGEX)]),
            "secret": Str(allow_none=nullable, validate=[_secret]),
            "type": Str(validate=[one_of(ENDPOINT_TYPES)]),
            "host": Str(allow_none=nullable, validate=[length(max=255)]),
            "options": ListOf(ListOf(Str(), validate=[length(equal=2)])),
        }
    )


CREATE_ENDPOINT = _endpoint_schema(nullable=True)
UPDATE_ENDPOINT = _endpoint_schema(nullable=False)

# The usersip columns an `options` pair lands in instead of the free list, with the database's
# constraint on each (xivo-dao alchemy/usersip.py at 20.12: every column except id, commented,
# options, tenant_uuid, and the ones confd shows as fields: name, username, secret, type, host,
# context, category, protocol). "bool" columns hold Asterisk's ast_true() of the value as 0/1.
_NAT = ["no", "force_rport", "comedia", "force_rport,comedia", "auto_force_rport", "auto_comedia"]
NATIVE: dict[str, tuple[Any, ...]] = {
    "md5secret": ("str", 32),
    "language": ("str", 20),
    "accountcode": ("str", 20),
    "amaflags": ("enum", "useriax_amaflags", ["default", "omit", "billing", "documentation"]),
    "allowtransfer": ("bool",),
    "fromuser": ("str", 80),
    "fromdomain": ("str", 255),
    "subscribemwi": ("bool",),
    "buggymwi": ("bool",),
    "call-limit": ("int",),
    "callerid": ("str", 160),
    "fullname": ("str", 80),
    "cid_number": ("str", 80),
    "maxcallbitrate": ("int",),
    "insecure": ("enum", "usersip_insecure", ["port", "invite", "port,invite"]),
    "nat": ("enum", "usersip_nat", [*_NAT, "auto_force_rport,auto_comedia"]),
    "promiscredir": ("bool",),
    "usereqphone": ("bool",),
    "videosupport": ("enum", "usersip_videosupport", ["no", "yes", "always"]),
    "trustrpid": ("bool",),
    "sendrpid": ("str", 16),
    "allowsubscribe": ("bool",),
    "allowoverlap": ("bool",),
    "dtmfmode": ("enum", "usersip_dtmfmode", ["rfc2833", "inband", "info", "auto"]),
    "rfc2833compensate": ("bool",),
    "qualify": ("str", 4),
    "g726nonstandard": ("bool",),
    "disallow": ("str", 100),
    "allow": ("text",),
    "autoframing": ("bool",),
    "mohinterpret": ("str", 80),
    "useclientcode": ("bool",),
    "progressinband": ("enum", "usersip_progressinband", ["no", "yes", "never"]),
    "t38pt_udptl": ("bool",),
    "t38pt_usertpsource": ("bool",),
    "rtptimeout": ("int",),
    "rtpholdtimeout": ("int",),
    "rtpkeepalive": ("int",),
    "deny": ("str", 31),
    "permit": ("str", 31),
    "defaultip": ("str", 255),
    "port": ("int",),
    "regexten": ("str", 80),
    "subscribecontext": ("str", 80),
    "vmexten": ("str", 40),
    "callingpres": ("int",),
    "parkinglot": ("int",),
    "outboundproxy": ("str", 1024),
    "transport": ("str", 255),
    "remotesecret": ("str", 255),
    "directmedia": ("check", 20, ["no", "yes", "nonat", "update", "update,nonat", "outgoing"]),
    "callcounter": ("bool",),
    "busylevel": ("int",),
    "ignoresdpversion": ("bool",),
    "session-timers": ("enum", "usersip_session_timers", ["originate", "accept", "refuse"]),
    "session-expires": ("int",),
    "session-minse": ("int",),
    "session-refresher": ("enum", "usersip_session_refresher", ["uac", "uas"]),
    "callbackextension": ("str", 255),
    "timert1": ("int",),
    "timerb": ("int",),
    "qualifyfreq": ("int",),
    "contactpermit": ("str", 1024),
    "contactdeny": ("str", 1024),
    "unsolicited_mailbox": ("str", 1024),
    "use_q850_reason": ("bool",),
    "encryption": ("bool",),
    "snom_aoc_enabled": ("bool",),
    "maxforwards": ("int",),
    "disallowed_methods": ("str", 1024),
    "textsupport": ("bool",),
}
# the columns' server defaults, which an endpoint gets whether or not it sends options
NATIVE_DEFAULTS: dict[str, Any] = {
    "md5secret": "",
    "amaflags": "default",
    "subscribemwi": 0,
    "call-limit": 10,
}
# Asterisk's ast_true() (xivo-dao helpers/asterisk.py): anything else, "Yes" included, is false
AST_TRUE = ("yes", "true", "y", "t", "1", "on")
INT_RE = re.compile(r"^\s*[+-]?[0-9]+\s*$")
INT_MAX = 2**31 - 1

ENDPOINT_CONFIG = SearchConfig(
    # resources/endpoint_sip/search.py: the `username` column is the endpoint's *name*
    columns={"username": lambda r: r["name"], "type": lambda r: r["type"], "host": lambda r: r["host"]},
    default_sort="username",
)


def _database_error(kind: str, text: str) -> errors.SandboxError:
    """What confd answers when PostgreSQL refuses a value: a 500 with the driver's text."""
    return errors.SandboxError(f"Unexpected error: (psycopg2.{kind}) {text}")


def _store_native(name: str, value: str) -> Any:
    """The column value PostgreSQL would store for an option, or the error it would raise."""
    spec = NATIVE[name]
    kind = spec[0]
    if kind == "bool":
        return int(value in AST_TRUE)
    if kind == "int":
        if not INT_RE.match(value):
            raise _database_error("DataError", f'invalid input syntax for integer: "{value}"')
        number = int(value)
        if abs(number) > INT_MAX:
            raise _database_error("DataError", f'value "{value.strip()}" is out of range for type integer')
        return number
    if kind == "enum":
        if value not in spec[2]:
            raise _database_error("DataError", f'invalid input value for enum {spec[1]}: "{value}"')
        return value
    if kind in ("str", "check") and len(value) > spec[1]:
        raise _database_error("DataError", f"value too long for type character varying({spec[1]})")
    if kind == "check" and value not in spec[2]:
        raise _database_error(
            "IntegrityError",
            f'new row for relation "usersip" violates check constraint "usersip_{name}_check"',
        )
    return value


def split_options(options: list[list[str]]) -> tuple[dict[str, Any], list[list[str]]]:
    """Setting `options` resets every column to its default, then fills columns and the free list."""
    native: dict[str, Any] = dict(NATIVE_DEFAULTS)
    extra: list[list[str]] = []
    for key, value in options:
        if key in NATIVE:
            native[key] = _store_native(key, value)
        else:
            extra.append([key, value])
    return native, extra


def render_options(row: sqlite3.Row | dict[str, Any]) -> list[list[str]]:
    """Columns first (those set, yes/no for the ast_true ones), then the free list.

    xivo-dao walks the columns as a Python set, so their order is not defined; the sandbox sorts
    them by name, which is not the order a client sent them in either.
    """
    native: dict[str, Any] = json.loads(row["native"])
    shown = []
    for name in sorted(native):
        value = native[name]
        if value is None or value == "":
            continue
        if NATIVE[name][0] == "bool":
            shown.append([name, "yes" if value else "no"])
        else:
            shown.append([name, str(value)])
    extra: list[list[str]] = json.loads(row["extra"])
    return shown + extra


def _random_hash(conn: sqlite3.Connection, column: str) -> str:
    while True:
        candidate = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))
        clash = conn.execute(
            f"SELECT 1 FROM chan_sip_endpoints WHERE {column} = ?",  # noqa: S608 - column is ours
            (candidate,),
        ).fetchone()
        if clash is None:
            return candidate


def _trunk_of(conn: sqlite3.Connection, column: str, object_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT id FROM trunks WHERE {column} = ?",  # noqa: S608 - column is ours
        (object_id,),
    ).fetchone()
    return row


def _trunk_ref(caller: Caller, trunk: sqlite3.Row | None) -> dict[str, Any] | None:
    if trunk is None:
        return None
    return {"id": trunk["id"], "links": [link(caller, "trunks", f"trunks/{trunk['id']}")]}


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_uuid": row["tenant_uuid"],
        "username": row["username"],
        "name": row["name"],
        "secret": row["secret"],
        "type": row["type"],
        "host": row["host"],
        "options": render_options(row),
        "links": [link(caller, "endpoint_sip", f"endpoints/sip/{row['id']}")],
        "trunk": _trunk_ref(caller, _trunk_of(conn, "endpoint_sip_id", row["id"])),
        "line": None,
    }


def embedded(conn: sqlite3.Connection, caller: Caller, endpoint_id: int | None) -> dict[str, Any] | None:
    """The endpoint as a trunk shows it: id, username, name, links (plugins/trunk/schema.py)."""
    if endpoint_id is None:
        return None
    row = conn.execute("SELECT * FROM chan_sip_endpoints WHERE id = ?", (endpoint_id,)).fetchone()
    if row is None:
        return None
    return {
        "id": row["id"],
        "username": row["username"],
        "name": row["name"],
        "links": [link(caller, "endpoint_sip", f"endpoints/sip/{row['id']}")],
    }


def find(conn: sqlite3.Connection, tenants: list[str], endpoint_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "chan_sip_endpoints", "SIPEndpoint", tenants, endpoint_id)


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    query = (
        "SELECT * FROM chan_sip_endpoints WHERE tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY id"
    )
    return scoped_listing(conn, caller, params, ENDPOINT_CONFIG, query, render)


def get(conn: sqlite3.Connection, caller: Caller, endpoint_id: int) -> dict[str, Any]:
    return render(conn, caller, find(conn, visible_tenants(conn, caller), endpoint_id))


def _name_from_username(form: dict[str, Any]) -> dict[str, Any]:
    # a compatibility rule of 19.15 (SipSchema.set_name_to_username_if_missing), on POST and PUT:
    # a username without a name becomes the name too
    if not form.get("name") and "username" in form:
        form["name"] = form["username"]
    return form


def _check_unique_name(conn: sqlite3.Connection, name: str, endpoint_id: int | None) -> None:
    # names are unique across every tenant (UniqueConstraint('name'); sip_dao.find_by(name=...))
    clash = conn.execute("SELECT id FROM chan_sip_endpoints WHERE name = ?", (name,)).fetchone()
    if clash is not None and clash["id"] != endpoint_id:
        raise errors.resource_exists("SIPEndpoint", name=name)


def create(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    form = _name_from_username(load_body(CREATE_ENDPOINT, body))
    if form.get("name") is not None:
        _check_unique_name(conn, form["name"], None)
    native, extra = split_options(form["options"]) if "options" in form else (dict(NATIVE_DEFAULTS), [])
    # persistor.fill_default_values
    name = form.get("name") or _random_hash(conn, "name")
    username = form["username"] if form.get("username") is not None else name
    secret = form["secret"] if form.get("secret") is not None else _random_hash(conn, "secret")
    cursor = conn.execute(
        "INSERT INTO chan_sip_endpoints (tenant_uuid, name, username, secret, type, host, category,"
        " context, native, extra) VALUES (?, ?, ?, ?, ?, ?, 'user', NULL, ?, ?)",
        (
            caller.tenant_uuid,
            name,
            username,
            secret,
            form.get("type") or "friend",
            form["host"] if form.get("host") is not None else "dynamic",
            json.dumps(native),
            json.dumps(extra),
        ),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def update(conn: sqlite3.Connection, caller: Caller, endpoint_id: int, body: Any) -> None:
    row = find(conn, visible_tenants(conn, caller), endpoint_id)
    form = _name_from_username(load_body(UPDATE_ENDPOINT, body, partial=True))
    if "name" in form:
        _check_unique_name(conn, form["name"], endpoint_id)
    native, extra = json.loads(row["native"]), json.loads(row["extra"])
    if "options" in form:
        # the options setter replaces everything: columns back to their defaults, the free list emptied
        native, extra = split_options(form["options"])
    merged = {**dict(row), **{key: value for key, value in form.items() if key != "options"}}
    conn.execute(
        "UPDATE chan_sip_endpoints SET name = ?, username = ?, secret = ?, type = ?, host = ?, native = ?,"
        " extra = ? WHERE id = ?",
        (
            merged["name"],
            merged["username"],
            merged["secret"],
            merged["type"],
            merged["host"],
            json.dumps(native),
            json.dumps(extra),
            endpoint_id,
        ),
    )


def delete(conn: sqlite3.Connection, caller: Caller, endpoint_id: int) -> None:
    find(conn, visible_tenants(conn, caller), endpoint_id)
    delete_endpoint_row(conn, endpoint_id)


def delete_endpoint_row(conn: sqlite3.Connection, endpoint_id: int) -> None:
    # trunkfeatures.endpoint_sip_id is ON DELETE SET NULL: the trunk stays
    conn.execute("UPDATE trunks SET endpoint_sip_id = NULL WHERE endpoint_sip_id = ?", (endpoint_id,))
    conn.execute("DELETE FROM chan_sip_endpoints WHERE id = ?", (endpoint_id,))


# -- registers ------------------------------------------------------------------------------

# plugins/register_sip/resource.py RegisterSIPSchema: the characters the line's syntax reserves
_NO_SEPARATOR = r"^[^:/ ]*$"
# the stored line: [transport://]user[:password[:authuser]]@host[:port][/extension][~expiry]
REGISTER_LINE = re.compile(
    r"^(?:(?P<transport>.*)://)?(?P<sip_username>[^:/]*)(?::(?P<auth_password>[^:/]*))?"
    r"(?::(?P<auth_username>[^:/]*))?@(?P<remote_host>[^:~/]*)(?::(?P<remote_port>\d*))?"
    r"(?:/(?P<callback_extension>[^~]*))?(?:~(?P<expiration>\d*))?$"
)
REGISTER_LINE_MAX = 255


def register_line(form: dict[str, Any]) -> str:
    """The `register =>` value; falsy parts (a port or an expiry of 0 too) are left out."""
    line = f"{form['transport']}://" if form.get("transport") else ""
    line += str(form.get("sip_username"))
    if form.get("auth_password"):
        line += f":{form['auth_password']}"
    if form.get("auth_username"):
        line += f":{form['auth_username']}"
    line += f"@{form.get('remote_host')}"
    if form.get("remote_port"):
        line += f":{form['remote_port']}"
    if form.get("callback_extension"):
        line += f"/{form['callback_extension']}"
    if form.get("expiration"):
        line += f"~{form['expiration']}"
    return line


def _auth_username_needs_password(form: dict[str, Any]) -> tuple[str, str] | None:
    if form.get("auth_username") and not form.get("auth_password"):
        return ("auth_username", 'Cannot set field "auth_username" if the field "auth_password" is not set')
    return None


def _line_fits(form: dict[str, Any]) -> str | None:
    if len(register_line(form)) > REGISTER_LINE_MAX:
        return f"The sum of all fields is longer than maximum length {REGISTER_LINE_MAX}"
    return None


REGISTER_SCHEMA = Schema(
    {
        "transport": Str(allow_none=True),
        "sip_username": Str(required=True, validate=[regexp(_NO_SEPARATOR)]),
        "auth_username": Str(allow_none=True, validate=[regexp(_NO_SEPARATOR)]),
        "auth_password": Str(allow_none=True, validate=[regexp(_NO_SEPARATOR)]),
        "remote_host": Str(required=True, validate=[regexp(r"^[^:/~ ]*$")]),
        "remote_port": Int(allow_none=True, validate=[value_range(min=0, max=65535)]),
        "callback_extension": Str(allow_none=True, validate=[regexp(r"^[^~ ]*$")]),
        "expiration": Int(allow_none=True, validate=[value_range(min=0)]),
        "enabled": StrictBool(default=True),
    },
    checks=(_auth_username_needs_password, _line_fits),
)
REGISTER_CONFIG = SearchConfig(
    columns={"id": lambda r: r["id"]}, default_sort="id", integer_columns=frozenset({"id"})
)
REGISTER_FIELDS = (
    "transport",
    "sip_username",
    "auth_username",
    "auth_password",
    "remote_host",
    "remote_port",
    "callback_extension",
    "expiration",
)


def parse_line(var_val: str) -> dict[str, Any]:
    """The register's fields, read back from its line (pre_dump convert_from_chansip)."""
    match = REGISTER_LINE.match(var_val)
    groups = match.groupdict() if match else {}
    parsed: dict[str, Any] = {field: groups.get(field) for field in REGISTER_FIELDS}
    for number in ("remote_port", "expiration"):
        if parsed[number] is not None:
            parsed[number] = int(parsed[number])
    return parsed


def render_register(
    conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": row["id"],
        **parse_line(row["var_val"]),
        "enabled": row["commented"] == 0,
        "links": [link(caller, "register_sip", f"registers/sip/{row['id']}")],
        "trunk": _trunk_ref(caller, _trunk_of(conn, "register_sip_id", row["id"])),
    }


def find_register(conn: sqlite3.Connection, register_id: int) -> sqlite3.Row:
    # registers belong to no tenant (staticsip has no tenant column)
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sip_registers WHERE id = ?", (register_id,)
    ).fetchone()
    if row is None:
        raise errors.not_found("SIPRegister", id=register_id)
    return row


def _check_transport(conn: sqlite3.Connection, form: dict[str, Any]) -> None:
    # validator.py GetTransportValidator: a transport is the name of a PJSIP transport
    name = form.get("transport")
    if name and conn.execute("SELECT 1 FROM transports WHERE name = ?", (name,)).fetchone() is None:
        raise errors.param_not_found("transport", "Transport", transport=name)


def list_registers(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    rows = [dict(r) for r in conn.execute("SELECT * FROM sip_registers ORDER BY id")]
    total, page = search_rows(REGISTER_CONFIG, rows, params)
    return listing(total, [render_register(conn, caller, row) for row in page])


def get_register(conn: sqlite3.Connection, caller: Caller, register_id: int) -> dict[str, Any]:
    return render_register(conn, caller, find_register(conn, register_id))


def create_register(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    form = load_body(REGISTER_SCHEMA, body)
    _check_transport(conn, form)
    cursor = conn.execute(
        "INSERT INTO sip_registers (var_val, commented) VALUES (?, ?)",
        (register_line(form), int(form["enabled"] is False)),
    )
    return get_register(conn, caller, int(cursor.lastrowid or 0))


def update_register(conn: sqlite3.Connection, caller: Caller, register_id: int, body: Any) -> None:
    row = find_register(conn, register_id)
    changes = load_body(REGISTER_SCHEMA, body, partial=True)
    # the stored fields with the changes on top, validated again as a whole (RegisterSIPItem.put)
    current = {**parse_line(row["var_val"]), "enabled": row["commented"] == 0}
    form = load_body(REGISTER_SCHEMA, {**current, **changes})
    _check_transport(conn, form)
    conn.execute(
        "UPDATE sip_registers SET var_val = ?, commented = ? WHERE id = ?",
        (register_line(form), int(form["enabled"] is False), register_id),
    )


def delete_register(conn: sqlite3.Connection, caller: Caller, register_id: int) -> None:
    find_register(conn, register_id)
    delete_register_row(conn, register_id)


def delete_register_row(conn: sqlite3.Connection, register_id: int) -> None:
    # trunkfeatures.register_sip_id is ON DELETE SET NULL
    conn.execute("UPDATE trunks SET register_sip_id = NULL WHERE register_sip_id = ?", (register_id,))
    conn.execute("DELETE FROM sip_registers WHERE id = ?", (register_id,))
