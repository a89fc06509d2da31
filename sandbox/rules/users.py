"""confd users (incall destinations) and the other read-only destination targets."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sandbox import errors
from sandbox.rules import incalls
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    link,
    list_tenants,
    listing,
    scoped_listing,
    search_rows,
    tenant_list,
    visible_tenants,
)

CONFIG = SearchConfig(
    columns={
        "id": lambda r: r["id"],
        "uuid": lambda r: r["uuid"],
        "firstname": lambda r: r["firstname"],
        "lastname": lambda r: r["lastname"],
        "fullname": lambda r: f"{r['firstname']} {r['lastname'] or ''}".rstrip(),
        "caller_id": lambda r: f'"{r["firstname"]} {r["lastname"] or ""}"'.replace(' "', '"'),
        "description": lambda r: None,
        "userfield": lambda r: None,
        "email": lambda r: r["email"],
        "mobile_phone_number": lambda r: None,
        "music_on_hold": lambda r: None,
        "outgoing_caller_id": lambda r: None,
        "preprocess_subroutine": lambda r: None,
        "voicemail_number": lambda r: None,
        "provisioning_code": lambda r: None,
        "exten": lambda r: None,
        "extension": lambda r: None,
        "context": lambda r: None,
        "username": lambda r: None,
        "enabled": lambda r: True,
        "subscription_type": lambda r: 0,
    },
    default_sort="lastname",
    search=[
        "fullname",
        "caller_id",
        "description",
        "userfield",
        "email",
        "mobile_phone_number",
        "preprocess_subroutine",
        "outgoing_caller_id",
        "exten",
        "username",
        "provisioning_code",
        "subscription_type",
    ],
    integer_columns=frozenset({"id", "subscription_type"}),
    insensitive_sort=frozenset({"firstname", "lastname", "fullname", "description"}),
)


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    user_incalls = []
    for incall in conn.execute("SELECT id, destination FROM incalls ORDER BY id").fetchall():
        destination = json.loads(incall["destination"])
        if destination.get("type") == "user" and destination.get("user_id") == row["id"]:
            attached = conn.execute(
                "SELECT * FROM extensions WHERE type = 'incall' AND typeval = ? ORDER BY id",
                (str(incall["id"]),),
            ).fetchall()
            user_incalls.append(
                {
                    "id": incall["id"],
                    "extensions": [
                        {
                            "id": e["id"],
                            "exten": e["exten"],
                            "context": e["context"],
                            "links": [link(caller, "extensions", f"extensions/{e['id']}")],
                        }
                        for e in attached
                    ],
                    "links": [link(caller, "incalls", f"incalls/{incall['id']}")],
                }
            )
    fullname = f"{row['firstname']} {row['lastname'] or ''}".strip()
    return {
        "id": row["id"],
        "uuid": row["uuid"],
        "firstname": row["firstname"],
        "lastname": row["lastname"],
        "email": row["email"],
        "timezone": None,
        "country": None,
        "language": None,
        "description": None,
        "caller_id": f'"{fullname}"',
        "outgoing_caller_id": None,
        "mobile_phone_number": None,
        "mobile_fallback_enabled": False,
        "username": None,
        "password": None,
        "music_on_hold": None,
        "preprocess_subroutine": None,
        "userfield": None,
        "call_transfer_enabled": False,
        "dtmf_hangup_enabled": False,
        "call_record_outgoing_external_enabled": False,
        "call_record_outgoing_internal_enabled": False,
        "call_record_incoming_internal_enabled": False,
        "call_record_incoming_external_enabled": False,
        "online_call_record_enabled": False,
        "supervision_enabled": True,
        "ring_seconds": 30,
        "simultaneous_calls": 5,
        "call_permission_password": None,
        "subscription_type": 0,
        "created_at": row["created_at"],
        "enabled": True,
        "tenant_uuid": row["tenant_uuid"],
        "links": [link(caller, "users", f"users/{row['id']}")],
        "agent": None,
        "call_permissions": [],
        "fallbacks": {
            "noanswer_destination": None,
            "busy_destination": None,
            "congestion_destination": None,
            "fail_destination": None,
        },
        "groups": [],
        "incalls": user_incalls,
        "lines": [],
        "forwards": {
            "busy": {"enabled": False, "destination": None},
            "noanswer": {"enabled": False, "destination": None},
            "unconditional": {"enabled": False, "destination": None},
        },
        "schedules": [],
        "services": {"dnd": {"enabled": False}, "incallfilter": {"enabled": False}},
        "switchboards": [],
        "voicemail": None,
        "queues": [],
        "func_key_template_id": None,
        "call_record_enabled": False,
        "call_pickup_target_users": [],
    }


def _find(conn: sqlite3.Connection, tenants: list[str], user_ref: str) -> sqlite3.Row:
    column = "id" if user_ref.isdigit() else "uuid"
    value: Any = int(user_ref) if column == "id" else user_ref
    query = (
        "SELECT * FROM users WHERE id = ? AND tenant_uuid IN (SELECT value FROM json_each(?))"
        if column == "id"
        else "SELECT * FROM users WHERE uuid = ? AND tenant_uuid IN (SELECT value FROM json_each(?))"
    )
    row: sqlite3.Row | None = conn.execute(query, (value, tenant_list(tenants))).fetchone()
    if row is None:
        raise errors.not_found("User", **{column: value})
    return row


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    return scoped_listing(
        conn,
        caller,
        params,
        CONFIG,
        "SELECT * FROM users WHERE tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY id",
        render,
    )


def get(conn: sqlite3.Connection, caller: Caller, user_ref: str) -> dict[str, Any]:
    return render(conn, caller, _find(conn, visible_tenants(conn, caller), user_ref))


def delete(conn: sqlite3.Connection, caller: Caller, user_ref: str) -> None:
    row = _find(conn, visible_tenants(conn, caller), user_ref)
    incalls.forget_user(conn, row["id"])
    conn.execute("DELETE FROM users WHERE id = ?", (row["id"],))


# -- other destination targets, read-only ---------------------------------------------------

TARGETS = {
    # url segment: (kind, resource name in errors, key used in item URLs)
    "groups": ("group", "Group", "id"),
    "queues": ("queue", "Queue", "id"),
    "ivr": ("ivr", "IVR", "id"),
    "voicemails": ("voicemail", "Voicemail", "id"),
    "conferences": ("conference", "Conference", "id"),
    "switchboards": ("switchboard", "Switchboard", "uuid"),
    "moh": ("moh", "MOH", "uuid"),
    "applications": ("application", "Application", "uuid"),
    "agents/skillrules": ("skill_rule", "SkillRule", "id"),
}
TARGET_CONFIG = SearchConfig(
    columns={"id": lambda r: r["id"], "name": lambda r: r["name"]},
    default_sort="id",
    integer_columns=frozenset({"id"}),
)


def _render_target(caller: Caller, segment: str, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    kind, _resource, key = TARGETS[segment]
    result: dict[str, Any] = {"id": row["id"]} if key == "id" or kind != "switchboard" else {}
    if row["uuid"] and key == "uuid":
        result = {"uuid": row["uuid"]}
    elif kind in ("group",):
        result["uuid"] = row["uuid"]
    result.update(json.loads(row["data"]))
    result["tenant_uuid"] = row["tenant_uuid"]
    result["links"] = [link(caller, segment.replace("/", "_"), f"{segment}/{row[key]}")]
    return result


def list_targets(
    conn: sqlite3.Connection, caller: Caller, segment: str, params: ListParams
) -> dict[str, Any]:
    kind = TARGETS[segment][0]
    tenants = list_tenants(conn, caller, params.recurse)
    rows = []
    for r in conn.execute(
        "SELECT * FROM targets WHERE kind = ? AND"
        " tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY id",
        (kind, tenant_list(tenants)),
    ):
        row = dict(r)
        row["name"] = json.loads(row["data"]).get("name")
        rows.append(row)
    total, page = search_rows(TARGET_CONFIG, rows, params)
    return listing(total, [_render_target(caller, segment, row) for row in page])


def get_target(conn: sqlite3.Connection, caller: Caller, segment: str, ref: str) -> dict[str, Any]:
    kind, resource, key = TARGETS[segment]
    tenants = visible_tenants(conn, caller)
    value: Any = ref
    if key == "id":
        if not ref.isdigit():
            raise errors.not_found(resource, id=ref)
        value = int(ref)
    query = (
        "SELECT * FROM targets WHERE kind = ? AND id = ? AND tenant_uuid IN (SELECT value FROM json_each(?))"
        if key == "id"
        else "SELECT * FROM targets WHERE kind = ? AND uuid = ?"
        " AND tenant_uuid IN (SELECT value FROM json_each(?))"
    )
    row: sqlite3.Row | None = conn.execute(query, (kind, value, tenant_list(tenants))).fetchone()
    if row is None:
        raise errors.not_found(resource, **{key: value})
    return _render_target(caller, segment, row)
