"""Extensions: exten rules per context type, uniqueness, late range checks, delete refusals."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from sandbox import errors
from sandbox.rules import contexts
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    find_in_tenants,
    link,
    scoped_listing,
    visible_tenants,
)
from sandbox.schema import Bool, Schema, Str, length, load_body

EXTEN_REGEX = re.compile(r"^(?:_[*#0-9_XxZzNn\[\].!-]{1,39}|[*#0-9]{1,40})$")
EXTEN_OUTCALL_REGEX = re.compile(r"^_?\+?[*#0-9_XxZzNn\[\].!-]*$")

EXTENSION_SCHEMA = Schema(
    {
        "exten": Str(required=True, validate=[length(max=40)]),
        "context": Str(required=True),
        "commented": Bool(),
        "enabled": Bool(),
    }
)

CONFIG = SearchConfig(
    columns={
        "exten": lambda r: r["exten"],
        "context": lambda r: r["context"],
        "type": lambda r: r["context_type"],
    },
    default_sort="exten",
)


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    incall: dict[str, Any] | None = None
    outcall: dict[str, Any] | None = None
    if row["type"] == "incall":
        incall_id = int(row["typeval"])
        incall = {"id": incall_id, "links": [link(caller, "incalls", f"incalls/{incall_id}")]}
    elif row["type"] == "outcall":
        found = conn.execute(
            "SELECT o.id, o.name FROM dialpatterns d JOIN outcalls o ON o.id = d.outcall_id WHERE d.id = ?",
            (int(row["typeval"]),),
        ).fetchone()
        if found is not None:
            outcall = {
                "id": found["id"],
                "name": found["name"],
                "links": [link(caller, "outcalls", f"outcalls/{found['id']}")],
            }
    return {
        "id": row["id"],
        "tenant_uuid": row["tenant_uuid"],
        "exten": row["exten"],
        "context": row["context"],
        "commented": not row["enabled"],
        "enabled": bool(row["enabled"]),
        "links": [link(caller, "extensions", f"extensions/{row['id']}")],
        "conference": None,
        "parking_lot": None,
        "group": None,
        "incall": incall,
        "lines": [],
        "outcall": outcall,
        "queue": None,
    }


def find(conn: sqlite3.Connection, tenants: list[str], extension_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "extensions", "Extension", tenants, extension_id)


def check_unassigned(extension: sqlite3.Row) -> None:
    """An extension attached to anything cannot take another owner (nor be deleted)."""
    if extension["type"] != "user" or extension["typeval"] != "0":
        raise errors.resource_associated(
            "Extension", extension["type"], extension_id=extension["id"], associated_id=extension["typeval"]
        )


def assign(conn: sqlite3.Connection, extension_id: int, kind: str, typeval: str) -> None:
    conn.execute("UPDATE extensions SET type = ?, typeval = ? WHERE id = ?", (kind, typeval, extension_id))


def release(conn: sqlite3.Connection, extension_id: int) -> None:
    conn.execute("UPDATE extensions SET type = 'user', typeval = '0' WHERE id = ?", (extension_id,))


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    return scoped_listing(
        conn,
        caller,
        params,
        CONFIG,
        (
            "SELECT e.*, c.type AS context_type FROM extensions e LEFT JOIN contexts c ON c.name = e.context"
            " WHERE e.tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY e.id"
        ),
        render,
    )


def get(conn: sqlite3.Connection, caller: Caller, extension_id: int) -> dict[str, Any]:
    return render(conn, caller, find(conn, visible_tenants(conn, caller), extension_id))


def _context(conn: sqlite3.Connection, tenants: list[str], name: str) -> sqlite3.Row:
    context = contexts.by_name(conn, name)
    if context is None or context["tenant_uuid"] not in tenants:
        raise errors.param_not_found("context", "Context", context=name)
    return context


def _check_exten(context: sqlite3.Row, exten: str) -> None:
    regex = EXTEN_OUTCALL_REGEX if context["type"] == "outcall" else EXTEN_REGEX
    if regex.match(exten) is None:
        raise errors.InputError("exten: ['String does not match expected pattern.']")


def _check_unique(conn: sqlite3.Connection, exten: str, context: str, extension_id: int | None) -> None:
    clash = conn.execute(
        "SELECT id FROM extensions WHERE exten = ? AND context = ?", (exten, context)
    ).fetchone()
    if clash is not None and clash["id"] != extension_id:
        raise errors.resource_exists("Extension", exten=exten, context=context)


def _enabled(form: dict[str, Any], current: bool) -> bool:
    if "enabled" in form:
        return bool(form["enabled"])
    if "commented" in form:
        return not form["commented"]
    return current


def create(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    form = load_body(EXTENSION_SCHEMA, body)
    context = _context(conn, visible_tenants(conn, caller), form["context"])
    _check_unique(conn, form["exten"], form["context"], None)
    _check_exten(context, form["exten"])
    cursor = conn.execute(
        "INSERT INTO extensions (tenant_uuid, exten, context, enabled) VALUES (?, ?, ?, ?)",
        (context["tenant_uuid"], form["exten"], form["context"], int(_enabled(form, True))),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def _in_range(exten: str, entry: dict[str, Any]) -> bool:
    size = entry.get("did_length", 0)
    try:
        number = int(exten)
        start = int(entry["start"][-size:] if size else entry["start"])
        end = int(entry["end"][-size:] if size else entry["end"])
    except ValueError:
        # confd's comparison crashes on such values
        raise errors.SandboxError(
            f"Unexpected error: invalid literal for int() with base 10: '{exten}'"
        ) from None
    return start <= number <= end


def update(conn: sqlite3.Connection, caller: Caller, extension_id: int, body: Any) -> None:
    """Every PUT runs the full edit validation, even when nothing changes."""
    tenants = visible_tenants(conn, caller)
    row = find(conn, tenants, extension_id)
    form = load_body(EXTENSION_SCHEMA, body, partial=True)
    exten = form.get("exten", row["exten"])
    context_name = form.get("context", row["context"])
    context = _context(conn, tenants, context_name)
    _check_unique(conn, exten, context_name, extension_id)
    if row["type"] == "incall" and context["type"] != "incall":
        raise errors.unhandled_context_type(context["type"])
    if row["type"] == "outcall" and context["type"] != "outcall":
        raise errors.unhandled_context_type(context["type"])
    if row["type"] == "incall" and not exten.startswith("_"):
        ranges = json.loads(context["ranges"])["incall_ranges"]
        if not any(_in_range(exten, entry) for entry in ranges):
            raise errors.outside_context_range(exten, context_name)
    _check_exten(context, exten)
    old_context = contexts.by_name(conn, row["context"])
    if old_context is not None and old_context["tenant_uuid"] != context["tenant_uuid"]:
        raise errors.different_tenants(
            current_tenant_uuid=old_context["tenant_uuid"], context_tenant_uuid=context["tenant_uuid"]
        )
    conn.execute(
        "UPDATE extensions SET exten = ?, context = ?, enabled = ? WHERE id = ?",
        (exten, context_name, int(_enabled(form, bool(row["enabled"]))), extension_id),
    )


def delete(conn: sqlite3.Connection, caller: Caller, extension_id: int) -> None:
    row = find(conn, visible_tenants(conn, caller), extension_id)
    check_unassigned(row)
    conn.execute("DELETE FROM extensions WHERE id = ?", (extension_id,))
