"""Incalls and the incall <-> extension association (one extension per incall)."""

from __future__ import annotations

import json
import sqlite3
from functools import cache
from typing import Any

from sandbox import errors
from sandbox.generations import Generation
from sandbox.rules import contexts, destinations, extensions
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
from sandbox.schema import Schema, Str, length, load_body, one_of


@cache
def incall_schema(gen: Generation) -> Schema:
    return Schema(
        {
            "preprocess_subroutine": Str(allow_none=True, validate=[length(max=gen.subroutine_max)]),
            "greeting_sound": Str(allow_none=True, validate=[length(max=255)]),
            "caller_id_mode": Str(allow_none=True, validate=[one_of(["prepend", "overwrite", "append"])]),
            "caller_id_name": Str(allow_none=True, validate=[length(max=80)]),
            "destination": destinations.DestinationField(gen, required=True),
            "description": Str(allow_none=True),
        }
    )


CONFIG = SearchConfig(
    columns={
        "preprocess_subroutine": lambda r: r["preprocess_subroutine"],
        "greeting_sound": lambda r: r["greeting_sound"],
        "description": lambda r: r["description"],
        "exten": lambda r: r["exten"],
        "user_id": lambda r: r["user_id"],
    },
    default_sort="exten",
    search=["preprocess_subroutine", "greeting_sound", "description", "exten"],
    integer_columns=frozenset({"user_id"}),
)


def _extension_rows(conn: sqlite3.Connection, incall_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM extensions WHERE type = 'incall' AND typeval = ? ORDER BY id", (str(incall_id),)
    ).fetchall()


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_uuid": row["tenant_uuid"],
        "preprocess_subroutine": row["preprocess_subroutine"],
        "greeting_sound": row["greeting_sound"],
        "caller_id_mode": row["caller_id_mode"],
        "caller_id_name": row["caller_id_name"],
        "description": row["description"],
        "destination": destinations.render(conn, json.loads(row["destination"]), generation(conn)),
        "links": [link(caller, "incalls", f"incalls/{row['id']}")],
        "extensions": [
            {
                "id": e["id"],
                "exten": e["exten"],
                "context": e["context"],
                "links": [link(caller, "extensions", f"extensions/{e['id']}")],
            }
            for e in _extension_rows(conn, row["id"])
        ],
        "schedules": [],
    }


def find(conn: sqlite3.Connection, tenants: list[str], incall_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "incalls", "Incall", tenants, incall_id)


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    def searchable(row: dict[str, Any]) -> dict[str, Any]:
        # incalls are searched and ordered by their extension's exten, and filtered by user_id
        attached = _extension_rows(conn, row["id"])
        row["exten"] = attached[0]["exten"] if attached else None
        destination = json.loads(row["destination"])
        row["user_id"] = destination.get("user_id") if destination.get("type") == "user" else None
        return row

    query = "SELECT * FROM incalls WHERE tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY id"
    return scoped_listing(conn, caller, params, CONFIG, query, render, enrich=searchable)


def get(conn: sqlite3.Connection, caller: Caller, incall_id: int) -> dict[str, Any]:
    return render(conn, caller, find(conn, visible_tenants(conn, caller), incall_id))


_COLUMNS = ("preprocess_subroutine", "greeting_sound", "caller_id_mode", "caller_id_name", "description")


def create(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    form = load_body(incall_schema(generation(conn)), body)
    destination = destinations.validate_and_store(conn, form["destination"])
    cursor = conn.execute(
        "INSERT INTO incalls (tenant_uuid, preprocess_subroutine, greeting_sound, caller_id_mode,"
        " caller_id_name, description, destination) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (caller.tenant_uuid, *(form.get(column) for column in _COLUMNS), json.dumps(destination)),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def update(conn: sqlite3.Connection, caller: Caller, incall_id: int, body: Any) -> None:
    row = find(conn, visible_tenants(conn, caller), incall_id)
    form = load_body(incall_schema(generation(conn)), body, partial=True)
    destination = row["destination"]
    if "destination" in form:
        destination = json.dumps(destinations.validate_and_store(conn, form["destination"]))
    values = [form[column] if column in form else row[column] for column in _COLUMNS]
    conn.execute(
        "UPDATE incalls SET preprocess_subroutine = ?, greeting_sound = ?, caller_id_mode = ?,"
        " caller_id_name = ?, description = ?, destination = ? WHERE id = ?",
        (*values, destination, incall_id),
    )


def delete(conn: sqlite3.Connection, caller: Caller, incall_id: int) -> None:
    find(conn, visible_tenants(conn, caller), incall_id)
    for extension in _extension_rows(conn, incall_id):
        extensions.release(conn, extension["id"])
    conn.execute("DELETE FROM incalls WHERE id = ?", (incall_id,))


def associate_extension(conn: sqlite3.Connection, caller: Caller, incall_id: int, extension_id: int) -> None:
    tenants = visible_tenants(conn, caller)
    incall = find(conn, tenants, incall_id)
    extension = extensions.find(conn, tenants, extension_id)
    if extension["type"] == "incall" and extension["typeval"] == str(incall_id):
        return
    if extension["tenant_uuid"] != incall["tenant_uuid"]:
        raise errors.different_tenants(
            extension_tenant_uuid=extension["tenant_uuid"], incall_tenant_uuid=incall["tenant_uuid"]
        )
    attached = _extension_rows(conn, incall_id)
    if attached:
        raise errors.resource_associated(
            "Incall", "Extension", incall_id=attached[0]["typeval"], extension_id=attached[0]["id"]
        )
    if extension["type"] == "incall":
        raise errors.resource_associated(
            "Incall", "Extension", incall_id=extension["typeval"], extension_id=extension_id
        )
    extensions.check_unassigned(extension)
    context = contexts.by_name(conn, extension["context"])
    if context is None or context["type"] != "incall":
        context_type = context["type"] if context is not None else None
        raise errors.unhandled_context_type(str(context_type), id=extension_id, context=extension["context"])
    extensions.assign(conn, extension_id, "incall", str(incall_id))


def dissociate_extension(conn: sqlite3.Connection, caller: Caller, incall_id: int, extension_id: int) -> None:
    tenants = visible_tenants(conn, caller)
    find(conn, tenants, incall_id)
    extension = extensions.find(conn, tenants, extension_id)
    if extension["type"] == "incall" and extension["typeval"] == str(incall_id):
        extensions.release(conn, extension_id)


def forget_user(conn: sqlite3.Connection, user_id: int) -> None:
    """A deleted user stops being a destination: those incalls now go nowhere."""
    for row in conn.execute("SELECT id, destination FROM incalls").fetchall():
        if destinations.references_user(json.loads(row["destination"]), user_id):
            conn.execute(
                "UPDATE incalls SET destination = ? WHERE id = ?", (json.dumps({"type": "none"}), row["id"])
            )
