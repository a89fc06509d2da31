"""Trunks and the trunk <-> SIP endpoint association."""

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox import errors
from sandbox.rules import calld, contexts, sip
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    as_uuid,
    find_in_tenants,
    link,
    scoped_listing,
    visible_tenants,
)
from sandbox.schema import Schema, Str, StrictBool, load_body, one_of

TRUNK_SCHEMA = Schema(
    {
        "context": Str(allow_none=True),
        "twilio_incoming": StrictBool(allow_none=True, default=False),
        "outgoing_caller_id_format": Str(default="+E164", validate=[one_of(["+E164", "E164", "national"])]),
    }
)

CONFIG = SearchConfig(
    columns={
        "id": lambda r: r["id"],
        "context": lambda r: r["context"],
        "description": lambda r: None,
        "name": lambda r: r["endpoint_name"],
        "label": lambda r: r["endpoint_label"],
        "outgoing_caller_id_format": lambda r: r["outgoing_caller_id_format"],
    },
    default_sort="id",
    integer_columns=frozenset({"id"}),
)


def outcall_refs(conn: sqlite3.Connection, caller: Caller, trunk_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT o.id, o.name FROM outcall_trunks t JOIN outcalls o ON o.id = t.outcall_id"
        " WHERE t.trunk_id = ? ORDER BY o.id",
        (trunk_id,),
    ).fetchall()
    return [
        {"id": r["id"], "name": r["name"], "links": [link(caller, "outcalls", f"outcalls/{r['id']}")]}
        for r in rows
    ]


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_uuid": row["tenant_uuid"],
        "context": row["context"],
        "twilio_incoming": bool(row["twilio_incoming"]),
        "outgoing_caller_id_format": row["outgoing_caller_id_format"],
        "links": [link(caller, "trunks", f"trunks/{row['id']}")],
        "endpoint_sip": sip.embedded(conn, caller, row["endpoint_sip_uuid"]),
        "endpoint_custom": None,
        "endpoint_iax": None,
        "outcalls": outcall_refs(conn, caller, row["id"]),
        "register_iax": None,
    }


def find(conn: sqlite3.Connection, tenants: list[str], trunk_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "trunks", "Trunk", tenants, trunk_id)


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    return scoped_listing(
        conn,
        caller,
        params,
        CONFIG,
        (
            "SELECT t.*, e.name AS endpoint_name, e.label AS endpoint_label FROM trunks t"
            " LEFT JOIN endpoints e ON e.uuid = t.endpoint_sip_uuid"
            " WHERE t.tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY t.id"
        ),
        render,
    )


def get(conn: sqlite3.Connection, caller: Caller, trunk_id: int) -> dict[str, Any]:
    return render(conn, caller, find(conn, visible_tenants(conn, caller), trunk_id))


def _check_context(conn: sqlite3.Connection, name: str | None, trunk_tenant: str) -> None:
    if name is None:
        return
    context = contexts.by_name(conn, name)
    if context is None:
        raise errors.param_not_found("context", "Context", context=name)
    if context["tenant_uuid"] != trunk_tenant:
        raise errors.different_tenants(
            trunk_tenant_uuid=trunk_tenant, context_tenant_uuid=context["tenant_uuid"]
        )


def create(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    form = load_body(TRUNK_SCHEMA, body)
    _check_context(conn, form.get("context"), caller.tenant_uuid)
    if form["twilio_incoming"] is None:
        # the schema allows null but the column is NOT NULL: confd fails with a 500
        raise errors.SandboxError("Unexpected error: twilio_incoming may not be null")
    cursor = conn.execute(
        "INSERT INTO trunks (tenant_uuid, context, twilio_incoming, outgoing_caller_id_format)"
        " VALUES (?, ?, ?, ?)",
        (
            caller.tenant_uuid,
            form.get("context"),
            int(form["twilio_incoming"]),
            form["outgoing_caller_id_format"],
        ),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def update(conn: sqlite3.Connection, caller: Caller, trunk_id: int, body: Any) -> None:
    row = find(conn, visible_tenants(conn, caller), trunk_id)
    form = load_body(TRUNK_SCHEMA, body, partial=True)
    context = form["context"] if "context" in form else row["context"]
    _check_context(conn, context, row["tenant_uuid"])
    twilio = form["twilio_incoming"] if "twilio_incoming" in form else bool(row["twilio_incoming"])
    if twilio is None:
        raise errors.SandboxError("Unexpected error: twilio_incoming may not be null")
    conn.execute(
        "UPDATE trunks SET context = ?, twilio_incoming = ?, outgoing_caller_id_format = ? WHERE id = ?",
        (
            context,
            int(twilio),
            form.get("outgoing_caller_id_format", row["outgoing_caller_id_format"]),
            trunk_id,
        ),
    )


def delete(conn: sqlite3.Connection, caller: Caller, trunk_id: int) -> None:
    row = find(conn, visible_tenants(conn, caller), trunk_id)
    conn.execute("DELETE FROM outcall_trunks WHERE trunk_id = ?", (trunk_id,))
    conn.execute("DELETE FROM trunks WHERE id = ?", (trunk_id,))
    if row["endpoint_sip_uuid"]:
        endpoint = conn.execute(
            "SELECT name FROM endpoints WHERE uuid = ?", (row["endpoint_sip_uuid"],)
        ).fetchone()
        calld.trunk_deleted(conn, "sip", endpoint["name"])
        # a trunk takes its SIP endpoint with it
        sip.delete_row(conn, row["endpoint_sip_uuid"])


def associate_endpoint(conn: sqlite3.Connection, caller: Caller, trunk_id: int, sip_uuid: str) -> None:
    tenants = visible_tenants(conn, caller)
    trunk = find(conn, tenants, trunk_id)
    endpoint = sip.find(conn, tenants, sip_uuid, template=False)
    if trunk["endpoint_sip_uuid"] == endpoint["uuid"]:
        return
    if trunk["tenant_uuid"] != endpoint["tenant_uuid"]:
        raise errors.different_tenants(
            trunk_tenant_uuid=trunk["tenant_uuid"], endpoint_tenant_uuid=endpoint["tenant_uuid"]
        )
    if trunk["endpoint_sip_uuid"]:
        raise errors.resource_associated(
            "Trunk",
            "Endpoint",
            trunk_id=trunk_id,
            endpoint="sip",
            endpoint_id=as_uuid(trunk["endpoint_sip_uuid"]),
        )
    other = conn.execute("SELECT id FROM trunks WHERE endpoint_sip_uuid = ?", (endpoint["uuid"],)).fetchone()
    if other is not None:
        raise errors.resource_associated(
            "Trunk", "Endpoint", trunk_id=other["id"], endpoint="sip", endpoint_id=as_uuid(endpoint["uuid"])
        )
    conn.execute("UPDATE trunks SET endpoint_sip_uuid = ? WHERE id = ?", (endpoint["uuid"], trunk_id))
    calld.trunk_endpoint_associated(conn, "sip", endpoint["name"])


def dissociate_endpoint(conn: sqlite3.Connection, caller: Caller, trunk_id: int, sip_uuid: str) -> None:
    tenants = visible_tenants(conn, caller)
    trunk = find(conn, tenants, trunk_id)
    endpoint = sip.find(conn, tenants, sip_uuid, template=False)
    if trunk["endpoint_sip_uuid"] == endpoint["uuid"]:
        conn.execute("UPDATE trunks SET endpoint_sip_uuid = NULL WHERE id = ?", (trunk_id,))
