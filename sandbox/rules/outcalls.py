"""Outcalls, their ordered trunk list and their dial patterns (outcall <-> extension)."""

from __future__ import annotations

import sqlite3
from functools import cache
from typing import Any

from sandbox import errors
from sandbox.generations import Generation
from sandbox.rules import contexts, extensions, trunks
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    find_in_tenants,
    generation,
    link,
    scoped_listing,
    visible_tenants,
)
from sandbox.schema import (
    Int,
    ListOf,
    Nested,
    Schema,
    Str,
    StrictBool,
    length,
    load_body,
    regexp,
    value_range,
)


@cache
def outcall_schema(gen: Generation) -> Schema:
    return Schema(
        {
            "name": Str(required=True, validate=[length(max=128)]),
            "description": Str(allow_none=True),
            "enabled": StrictBool(default=True),
            "internal_caller_id": StrictBool(default=False),
            "preprocess_subroutine": Str(allow_none=True, validate=[length(max=gen.subroutine_max)]),
            "ring_time": Int(allow_none=True, validate=[value_range(min=0)]),
        }
    )


TRUNKS_SCHEMA = Schema({"trunks": ListOf(Nested(Schema({"id": Int(required=True)})), required=True)})
# the alternation makes these accept anything that starts with "+" (confd's own regexes)
PREFIX_REGEX = r"^\+|\+?[0-9#*]+$"
DIAL_PATTERN_SCHEMA = Schema(
    {
        "prefix": Str(allow_none=True, validate=[length(max=32), regexp(PREFIX_REGEX)]),
        "external_prefix": Str(allow_none=True, validate=[length(max=64), regexp(PREFIX_REGEX)]),
        "strip_digits": Int(validate=[value_range(min=0)]),
        "caller_id": Str(allow_none=True, validate=[length(max=80)]),
    }
)

CONFIG = SearchConfig(
    columns={
        "id": lambda r: r["id"],
        "description": lambda r: r["description"],
        "name": lambda r: r["name"],
        "preprocess_subroutine": lambda r: r["preprocess_subroutine"],
    },
    default_sort="id",
    integer_columns=frozenset({"id"}),
)


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    trunk_rows = conn.execute(
        "SELECT t.* FROM outcall_trunks o JOIN trunks t ON t.id = o.trunk_id"
        " WHERE o.outcall_id = ? ORDER BY o.priority",
        (row["id"],),
    ).fetchall()
    pattern_rows = conn.execute(
        "SELECT d.*, e.exten, e.context FROM dialpatterns d JOIN extensions e ON e.id = d.extension_id"
        " WHERE d.outcall_id = ? ORDER BY d.id",
        (row["id"],),
    ).fetchall()
    return {
        "id": row["id"],
        "tenant_uuid": row["tenant_uuid"],
        "name": row["name"],
        "internal_caller_id": bool(row["internal_caller_id"]),
        "preprocess_subroutine": row["preprocess_subroutine"],
        "ring_time": row["ring_time"] or None,
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "links": [link(caller, "outcalls", f"outcalls/{row['id']}")],
        "trunks": [
            {
                "tenant_uuid": t["tenant_uuid"],
                "id": t["id"],
                "endpoint_sip": trunks.embedded_endpoint(conn, caller, t),
                "endpoint_custom": None,
                "links": [link(caller, "trunks", f"trunks/{t['id']}")],
            }
            for t in trunk_rows
        ],
        "extensions": [
            {
                "external_prefix": p["external_prefix"],
                "prefix": p["prefix"],
                "strip_digits": p["strip_digits"],
                "caller_id": p["caller_id"],
                "id": p["extension_id"],
                "exten": p["exten"],
                "context": p["context"],
                "links": [link(caller, "extensions", f"extensions/{p['extension_id']}")],
            }
            for p in pattern_rows
        ],
        "schedules": [],
        "call_permissions": [],
    }


def find(conn: sqlite3.Connection, tenants: list[str], outcall_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "outcalls", "Outcall", tenants, outcall_id)


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    return scoped_listing(
        conn,
        caller,
        params,
        CONFIG,
        "SELECT * FROM outcalls WHERE tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY id",
        render,
    )


def get(conn: sqlite3.Connection, caller: Caller, outcall_id: int) -> dict[str, Any]:
    return render(conn, caller, find(conn, visible_tenants(conn, caller), outcall_id))


def _check_name(conn: sqlite3.Connection, name: str, outcall_id: int | None) -> None:
    clash = conn.execute("SELECT id FROM outcalls WHERE name = ?", (name,)).fetchone()
    if clash is not None and clash["id"] != outcall_id:
        raise errors.resource_exists("Outcall", name=name)


def create(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    form = load_body(outcall_schema(generation(conn)), body)
    _check_name(conn, form["name"], None)
    cursor = conn.execute(
        "INSERT INTO outcalls (tenant_uuid, name, description, enabled, internal_caller_id,"
        " preprocess_subroutine, ring_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            caller.tenant_uuid,
            form["name"],
            form.get("description"),
            int(form["enabled"]),
            int(form["internal_caller_id"]),
            form.get("preprocess_subroutine"),
            form.get("ring_time"),
        ),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def update(conn: sqlite3.Connection, caller: Caller, outcall_id: int, body: Any) -> None:
    row = find(conn, visible_tenants(conn, caller), outcall_id)
    form = load_body(outcall_schema(generation(conn)), body, partial=True)
    merged = {**dict(row), **form}
    if "name" in form:
        _check_name(conn, form["name"], outcall_id)
    conn.execute(
        "UPDATE outcalls SET name = ?, description = ?, enabled = ?, internal_caller_id = ?,"
        " preprocess_subroutine = ?, ring_time = ? WHERE id = ?",
        (
            merged["name"],
            merged["description"],
            int(merged["enabled"]),
            int(merged["internal_caller_id"]),
            merged["preprocess_subroutine"],
            merged["ring_time"],
            outcall_id,
        ),
    )


def delete(conn: sqlite3.Connection, caller: Caller, outcall_id: int) -> None:
    find(conn, visible_tenants(conn, caller), outcall_id)
    for pattern in conn.execute("SELECT extension_id FROM dialpatterns WHERE outcall_id = ?", (outcall_id,)):
        extensions.release(conn, pattern["extension_id"])
    conn.execute("DELETE FROM dialpatterns WHERE outcall_id = ?", (outcall_id,))
    conn.execute("DELETE FROM outcall_trunks WHERE outcall_id = ?", (outcall_id,))
    conn.execute("DELETE FROM outcalls WHERE id = ?", (outcall_id,))


def set_trunks(conn: sqlite3.Connection, caller: Caller, outcall_id: int, body: Any) -> None:
    """`PUT /outcalls/{id}/trunks`: the ordered list is replaced whole."""
    tenants = visible_tenants(conn, caller)
    outcall = find(conn, tenants, outcall_id)
    form = load_body(TRUNKS_SCHEMA, body)
    rows = []
    for item in form["trunks"]:
        try:
            rows.append(trunks.find(conn, tenants, item["id"]))
        except errors.NotFound:
            raise errors.param_not_found("trunks", "Trunk", id=item["id"]) from None
    for trunk in rows:
        if trunk["tenant_uuid"] != outcall["tenant_uuid"]:
            raise errors.different_tenants(
                outcall_tenant_uuid=outcall["tenant_uuid"], trunk_tenant_uuid=trunk["tenant_uuid"]
            )
    ids = [trunk["id"] for trunk in rows]
    if len(ids) != len(set(ids)):
        raise errors.not_permitted("Cannot associate same trunk more than once")
    conn.execute("DELETE FROM outcall_trunks WHERE outcall_id = ?", (outcall_id,))
    for priority, trunk_id in enumerate(ids):
        conn.execute(
            "INSERT INTO outcall_trunks (outcall_id, trunk_id, priority) VALUES (?, ?, ?)",
            (outcall_id, trunk_id, priority),
        )


def associate_extension(
    conn: sqlite3.Connection, caller: Caller, outcall_id: int, extension_id: int, body: Any
) -> None:
    tenants = visible_tenants(conn, caller)
    outcall = find(conn, tenants, outcall_id)
    extension = extensions.find(conn, tenants, extension_id)
    form = load_body(DIAL_PATTERN_SCHEMA, body)
    pattern = conn.execute(
        "SELECT * FROM dialpatterns WHERE outcall_id = ? AND extension_id = ?", (outcall_id, extension_id)
    ).fetchone()
    if pattern is not None:
        # already attached: only the dial-pattern attributes present in the body change
        merged = {**dict(pattern), **form}
        conn.execute(
            "UPDATE dialpatterns SET strip_digits = ?, prefix = ?, external_prefix = ?, caller_id = ?"
            " WHERE id = ?",
            (
                merged["strip_digits"],
                merged["prefix"],
                merged["external_prefix"],
                merged["caller_id"],
                pattern["id"],
            ),
        )
        return
    if extension["tenant_uuid"] != outcall["tenant_uuid"]:
        raise errors.different_tenants(
            extension_tenant_uuid=extension["tenant_uuid"], outcall_tenant_uuid=outcall["tenant_uuid"]
        )
    extensions.check_unassigned(extension)
    context = contexts.by_name(conn, extension["context"])
    if context is None or context["type"] != "outcall":
        context_type = context["type"] if context is not None else None
        raise errors.unhandled_context_type(str(context_type), id=extension_id, context=extension["context"])
    cursor = conn.execute(
        "INSERT INTO dialpatterns"
        " (outcall_id, extension_id, strip_digits, prefix, external_prefix, caller_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            outcall_id,
            extension_id,
            form.get("strip_digits"),
            form.get("prefix"),
            form.get("external_prefix"),
            form.get("caller_id"),
        ),
    )
    extensions.assign(conn, extension_id, "outcall", str(cursor.lastrowid))


def dissociate_extension(
    conn: sqlite3.Connection, caller: Caller, outcall_id: int, extension_id: int
) -> None:
    tenants = visible_tenants(conn, caller)
    find(conn, tenants, outcall_id)
    extensions.find(conn, tenants, extension_id)
    pattern = conn.execute(
        "SELECT id FROM dialpatterns WHERE outcall_id = ? AND extension_id = ?", (outcall_id, extension_id)
    ).fetchone()
    if pattern is not None:
        conn.execute("DELETE FROM dialpatterns WHERE id = ?", (pattern["id"],))
        extensions.release(conn, extension_id)
