"""confd's read-only view of tenants."""

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox import errors
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    list_tenants,
    listing,
    search_rows,
    visible_tenants,
)

CONFIG = SearchConfig(columns={"uuid": lambda r: r["uuid"], "name": lambda r: r["name"]}, default_sort="uuid")


def render(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "uuid": row["uuid"],
        "sip_templates_generated": bool(row["sip_templates_generated"]),
        "global_sip_template_uuid": row["global_sip_template_uuid"],
        "webrtc_sip_template_uuid": row["webrtc_sip_template_uuid"],
        "registration_trunk_sip_template_uuid": row["registration_trunk_sip_template_uuid"],
        "meeting_guest_sip_template_uuid": row["meeting_guest_sip_template_uuid"],
    }


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    uuids = list_tenants(conn, caller, params.recurse)
    rows = [dict(row) for row in conn.execute("SELECT * FROM tenants") if row["uuid"] in uuids]
    total, page = search_rows(CONFIG, rows, params)
    return listing(total, [render(row) for row in page])  # type: ignore[arg-type]


def get(conn: sqlite3.Connection, caller: Caller, tenant_uuid: str) -> dict[str, Any]:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM tenants WHERE uuid = ?", (tenant_uuid,)).fetchone()
    if row is None or row["uuid"] not in visible_tenants(conn, caller):
        raise errors.not_found("Tenant", uuid=tenant_uuid)
    return render(row)
