"""Trunks and their associations: a SIP endpoint (PJSIP or chan_sip) and, before 20.13, a register."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

from sandbox import errors
from sandbox.generations import Generation
from sandbox.rules import calld, chan_sip, contexts, sip
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    as_uuid,
    find_in_tenants,
    generation,
    link,
    scoped_listing,
    visible_tenants,
)
from sandbox.schema import Field, Schema, Str, StrictBool, load_body, one_of

CALLER_ID_FORMATS = ["+E164", "E164", "national"]
# what the column holds for a trunk made before it existed (its server default, 24.15)
DEFAULT_CALLER_ID_FORMAT = "+E164"


@cache
def trunk_schema(gen: Generation) -> Schema:
    fields: dict[str, Field] = {
        "context": Str(allow_none=True),
        "twilio_incoming": StrictBool(allow_none=True, default=False),
    }
    if gen.trunk_caller_id_format:
        fields["outgoing_caller_id_format"] = Str(
            default=DEFAULT_CALLER_ID_FORMAT, validate=[one_of(CALLER_ID_FORMATS)]
        )
    return Schema(fields)


@cache
def search_config(gen: Generation) -> SearchConfig:
    columns = {
        "id": lambda r: r["id"],
        "context": lambda r: r["context"],
        "description": lambda r: None,
    }
    if not gen.chan_sip:
        # the PJSIP trunk search (20.13 and later) also filters on its endpoint's name and label
        columns["name"] = lambda r: r["endpoint_name"]
        columns["label"] = lambda r: r["endpoint_label"]
    if gen.trunk_caller_id_format:
        columns["outgoing_caller_id_format"] = lambda r: r["outgoing_caller_id_format"]
    return SearchConfig(columns=columns, default_sort="id", integer_columns=frozenset({"id"}))


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


def embedded_endpoint(
    conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]
) -> dict[str, Any] | None:
    """The trunk's SIP endpoint as a trunk (or an outcall's trunk list) shows it."""
    if generation(conn).chan_sip:
        return chan_sip.embedded(conn, caller, row["endpoint_sip_id"])
    return sip.embedded(conn, caller, row["endpoint_sip_uuid"])


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    gen = generation(conn)
    result: dict[str, Any] = {
        "id": row["id"],
        "tenant_uuid": row["tenant_uuid"],
        "context": row["context"],
        "twilio_incoming": bool(row["twilio_incoming"]),
    }
    if gen.trunk_caller_id_format:
        result["outgoing_caller_id_format"] = row["outgoing_caller_id_format"]
    result.update(
        {
            "links": [link(caller, "trunks", f"trunks/{row['id']}")],
            "endpoint_sip": embedded_endpoint(conn, caller, row),
            "endpoint_custom": None,
            "endpoint_iax": None,
            "outcalls": outcall_refs(conn, caller, row["id"]),
            "register_iax": None,
        }
    )
    if gen.chan_sip:
        register = row["register_sip_id"]
        result["register_sip"] = (
            None
            if register is None
            else {"id": register, "links": [link(caller, "register_sip", f"registers/sip/{register}")]}
        )
    return result


def find(conn: sqlite3.Connection, tenants: list[str], trunk_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "trunks", "Trunk", tenants, trunk_id)


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    return scoped_listing(
        conn,
        caller,
        params,
        search_config(generation(conn)),
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
    form = load_body(trunk_schema(generation(conn)), body)
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
            form.get("outgoing_caller_id_format", DEFAULT_CALLER_ID_FORMAT),
        ),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def update(conn: sqlite3.Connection, caller: Caller, trunk_id: int, body: Any) -> None:
    row = find(conn, visible_tenants(conn, caller), trunk_id)
    form = load_body(trunk_schema(generation(conn)), body, partial=True)
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
    # a trunk takes its SIP endpoint with it, and before 20.13 its register too
    # (xivo-dao resources/trunk/persistor.py TrunkPersistor.delete)
    if row["endpoint_sip_uuid"]:
        endpoint = conn.execute(
            "SELECT name FROM endpoints WHERE uuid = ?", (row["endpoint_sip_uuid"],)
        ).fetchone()
        calld.trunk_deleted(conn, "sip", endpoint["name"])
        sip.delete_row(conn, row["endpoint_sip_uuid"])
    if row["endpoint_sip_id"] is not None:
        chan_sip.delete_endpoint_row(conn, row["endpoint_sip_id"])
    if row["register_sip_id"] is not None:
        chan_sip.delete_register_row(conn, row["register_sip_id"])


def _attachable(
    conn: sqlite3.Connection,
    trunk: sqlite3.Row,
    endpoint: sqlite3.Row,
    column: Literal["endpoint_sip_uuid", "endpoint_sip_id"],
    key: str,
    shown: Callable[[Any], Any],
) -> bool:
    """confd's checks before a SIP endpoint joins a trunk (plugins/trunk_endpoint): False when it is
    already on that trunk; an error when tenants differ or either side is taken by another.

    `column` is the trunk's link to the endpoint's `key`; `shown` formats an endpoint id for an error.
    """
    if trunk[column] == endpoint[key]:
        return False
    if trunk["tenant_uuid"] != endpoint["tenant_uuid"]:
        raise errors.different_tenants(
            trunk_tenant_uuid=trunk["tenant_uuid"], endpoint_tenant_uuid=endpoint["tenant_uuid"]
        )
    if trunk[column] is not None:
        raise errors.resource_associated(
            "Trunk", "Endpoint", trunk_id=trunk["id"], endpoint="sip", endpoint_id=shown(trunk[column])
        )
    other = conn.execute(f"SELECT id FROM trunks WHERE {column} = ?", (endpoint[key],)).fetchone()  # noqa: S608 - column is ours
    if other is not None:
        raise errors.resource_associated(
            "Trunk", "Endpoint", trunk_id=other["id"], endpoint="sip", endpoint_id=shown(endpoint[key])
        )
    return True


def associate_endpoint(conn: sqlite3.Connection, caller: Caller, trunk_id: int, sip_uuid: str) -> None:
    tenants = visible_tenants(conn, caller)
    trunk = find(conn, tenants, trunk_id)
    endpoint = sip.find(conn, tenants, sip_uuid, template=False)
    if not _attachable(conn, trunk, endpoint, "endpoint_sip_uuid", "uuid", as_uuid):
        return
    conn.execute("UPDATE trunks SET endpoint_sip_uuid = ? WHERE id = ?", (endpoint["uuid"], trunk_id))
    calld.trunk_endpoint_associated(conn, "sip", endpoint["name"])


def dissociate_endpoint(conn: sqlite3.Connection, caller: Caller, trunk_id: int, sip_uuid: str) -> None:
    tenants = visible_tenants(conn, caller)
    trunk = find(conn, tenants, trunk_id)
    endpoint = sip.find(conn, tenants, sip_uuid, template=False)
    if trunk["endpoint_sip_uuid"] == endpoint["uuid"]:
        conn.execute("UPDATE trunks SET endpoint_sip_uuid = NULL WHERE id = ?", (trunk_id,))


# -- the chan_sip API (20.12 and before) -------------------------------------------------------


def associate_legacy_endpoint(
    conn: sqlite3.Connection, caller: Caller, trunk_id: int, endpoint_id: int
) -> None:
    """`PUT /trunks/{id}/endpoints/sip/{id}` with an integer endpoint id (plugins/trunk_endpoint)."""
    tenants = visible_tenants(conn, caller)
    trunk = find(conn, tenants, trunk_id)
    endpoint = chan_sip.find(conn, tenants, endpoint_id)
    if not _attachable(conn, trunk, endpoint, "endpoint_sip_id", "id", lambda value: value):
        return
    conn.execute("UPDATE trunks SET endpoint_sip_id = ? WHERE id = ?", (endpoint["id"], trunk_id))
    # TrunkFixes: an endpoint on a trunk takes the trunk's context and becomes a trunk endpoint
    conn.execute(
        "UPDATE chan_sip_endpoints SET category = 'trunk', context = ? WHERE id = ?",
        (trunk["context"], endpoint["id"]),
    )


def dissociate_legacy_endpoint(
    conn: sqlite3.Connection, caller: Caller, trunk_id: int, endpoint_id: int
) -> None:
    tenants = visible_tenants(conn, caller)
    trunk = find(conn, tenants, trunk_id)
    endpoint = chan_sip.find(conn, tenants, endpoint_id)
    if trunk["endpoint_sip_id"] == endpoint["id"]:
        conn.execute("UPDATE trunks SET endpoint_sip_id = NULL WHERE id = ?", (trunk_id,))


def _any_trunk(conn: sqlite3.Connection, trunk_id: int) -> sqlite3.Row:
    # plugins/trunk_register/resource.py looks the trunk up without any tenant filter
    row: sqlite3.Row | None = conn.execute("SELECT * FROM trunks WHERE id = ?", (trunk_id,)).fetchone()
    if row is None:
        raise errors.not_found("Trunk", id=trunk_id)
    return row


def associate_register(conn: sqlite3.Connection, caller: Caller, trunk_id: int, register_id: int) -> None:
    """`PUT /trunks/{id}/registers/sip/{id}` (plugins/trunk_register service.py, validator.py)."""
    trunk = _any_trunk(conn, trunk_id)
    register = chan_sip.find_register(conn, register_id)
    if trunk["register_sip_id"] == register["id"]:
        return
    if trunk["register_sip_id"] is not None:
        raise errors.resource_associated(
            "Trunk", "SIPRegister", trunk_id=trunk_id, register_sip_id=trunk["register_sip_id"]
        )
    other = conn.execute("SELECT id FROM trunks WHERE register_sip_id = ?", (register["id"],)).fetchone()
    if other is not None:
        raise errors.resource_associated(
            "Trunk", "SIPRegister", trunk_id=other["id"], register_sip_id=register["id"]
        )
    conn.execute("UPDATE trunks SET register_sip_id = ? WHERE id = ?", (register["id"], trunk_id))


def dissociate_register(conn: sqlite3.Connection, caller: Caller, trunk_id: int, register_id: int) -> None:
    """`DELETE /trunks/{id}/registers/sip/{id}`: looks both up, then changes nothing.

    At 20.12 the SIP dissociation calls the IAX one (wazo-confd plugins/trunk_register/service.py,
    TrunkRegisterSIPService.dissociate, line 49), which finds no IAX register and returns: the link
    stays until the register or the trunk is deleted.
    """
    _any_trunk(conn, trunk_id)
    chan_sip.find_register(conn, register_id)
