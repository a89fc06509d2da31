"""wazo-calld's trunk statuses: confd's trunks of one tenant joined with Asterisk's state of each.

Real calld keeps two caches in memory (wazo_calld/plugins/endpoints/services.py): the trunks it learnt
from confd (listed once, then kept up to date by confd's bus events) and the status of each Asterisk
endpoint (seeded from ARI, then updated by AMI events). Here the first is confd's own tables, as if
every bus event were consumed at once, less the names in `calld_unlisted`; the second is the
`calld_endpoints` table, which confd's trunk rules update as calld's bus handlers would and which the
test hooks set in place of Asterisk.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sandbox import errors
from sandbox.errors import AuthError
from sandbox.rules import auth

TRUNKS_ACL = "calld.trunks.read"
# confd's technology name -> Asterisk's, as calld maps them before looking a status up
ASTERISK_TECHNO = {"sip": "PJSIP", "iax": "IAX2"}
CHANGE_KEYS = frozenset({"registered", "current_call_count", "listed"})


def authenticate(conn: sqlite3.Connection, token: str, required_acl: str, tenant_header: str | None) -> str:
    """What calld's auth verifier does: ask wazo-auth about the token, ACL and tenant; the tenant to use.

    wazo-auth answers 404 for an unknown or expired token and 403 for a missing ACL or a tenant outside
    the token's subtree; calld turns both into a 401 whose `reason` tells them apart.
    """
    try:
        data = auth.check_token_for_auth(conn, token, required_acl, tenant_header)
    except AuthError as error:
        if error.status == 404:
            raise errors.calld_invalid_token(token, required_acl) from None
        raise errors.calld_missing_permission(token, required_acl, tenant_header) from None
    tenant: str = tenant_header or data["metadata"]["tenant_uuid"]
    return tenant


# -- what confd's bus events do to calld's caches ----------------------------------------------


def trunk_endpoint_associated(conn: sqlite3.Connection, techno: str, name: str) -> None:
    """`trunk_endpoint_sip_associated`: calld starts tracking the endpoint as unregistered, no call.

    Whether or not the endpoint registers: calld sets the same initial state (services.py
    add_new_sip_endpoint); only a later Registry or PeerStatus event changes it.
    """
    conn.execute(
        "INSERT OR REPLACE INTO calld_endpoints (techno, name, registered, calls) VALUES (?, ?, 0, 0)",
        (ASTERISK_TECHNO[techno], name),
    )


def trunk_deleted(conn: sqlite3.Connection, techno: str, name: str) -> None:
    """`trunk_deleted`: calld forgets the trunk and the status of its endpoint."""
    conn.execute("DELETE FROM calld_endpoints WHERE techno = ? AND name = ?", (ASTERISK_TECHNO[techno], name))
    conn.execute("DELETE FROM calld_unlisted WHERE name = ?", (name,))


# -- GET /trunks ----------------------------------------------------------------------------------


def list_trunks(conn: sqlite3.Connection, tenant_uuid: str) -> dict[str, Any]:
    """The tenant's trunks that have an endpoint, exact tenant match (calld never recurses)."""
    _serve_pending(conn)
    rows = conn.execute(
        "SELECT t.id, e.name FROM trunks t JOIN endpoints e ON e.uuid = t.endpoint_sip_uuid"
        " WHERE t.tenant_uuid = ? AND e.name NOT IN (SELECT name FROM calld_unlisted) ORDER BY t.id",
        (tenant_uuid,),
    ).fetchall()
    items = []
    for row in rows:
        status = conn.execute(
            "SELECT registered, calls FROM calld_endpoints WHERE techno = ? AND name = ?",
            (ASTERISK_TECHNO["sip"], row["name"]),
        ).fetchone()
        registered = None if status is None or status["registered"] is None else bool(status["registered"])
        items.append(
            {
                "id": row["id"],
                "name": row["name"],
                "technology": "sip",
                "registered": registered,
                "current_call_count": None if status is None else status["calls"],
            }
        )
    return {"items": items, "total": len(items), "filtered": len(items)}


# -- the test hooks' changes -------------------------------------------------------------------------


class ChangeError(ValueError):
    """A status change the hook refuses."""


def check_change(changes: Any) -> dict[str, Any]:
    """{registered: bool|null, current_call_count: int >= 0, listed: bool}, at least one of them."""
    if not isinstance(changes, dict) or not changes:
        raise ChangeError("the change must be a JSON object with registered, current_call_count or listed")
    unknown = set(changes) - CHANGE_KEYS
    if unknown:
        raise ChangeError(f"unknown keys: {', '.join(sorted(unknown))}")
    if "registered" in changes and not isinstance(changes["registered"], bool | None):
        raise ChangeError("registered must be true, false or null")
    count = changes.get("current_call_count", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ChangeError("current_call_count must be an integer >= 0")
    if "listed" in changes and not isinstance(changes["listed"], bool):
        raise ChangeError("listed must be true or false")
    return dict(changes)


def schedule(conn: sqlite3.Connection, name: str, changes: dict[str, Any], after: int) -> None:
    """Apply now (after=0), or once `after` trunk listings have been served with the old state."""
    if after == 0:
        apply(conn, name, changes)
        return
    conn.execute(
        "INSERT INTO calld_pending (name, changes, remaining) VALUES (?, ?, ?)",
        (name, json.dumps(changes), after),
    )


def apply(conn: sqlite3.Connection, name: str, changes: dict[str, Any]) -> None:
    """What Asterisk's events would do (registered, calls) or calld's bus consumer (listed)."""
    techno = ASTERISK_TECHNO["sip"]
    if "registered" in changes or "current_call_count" in changes:
        row = conn.execute(
            "SELECT registered, calls FROM calld_endpoints WHERE techno = ? AND name = ?", (techno, name)
        ).fetchone()
        registered = row["registered"] if row is not None else None
        calls = row["calls"] if row is not None else 0
        if "registered" in changes:
            registered = None if changes["registered"] is None else int(changes["registered"])
        calls = changes.get("current_call_count", calls)
        conn.execute(
            "INSERT OR REPLACE INTO calld_endpoints (techno, name, registered, calls) VALUES (?, ?, ?, ?)",
            (techno, name, registered, calls),
        )
    if changes.get("listed") is False:
        conn.execute("INSERT OR IGNORE INTO calld_unlisted (name) VALUES (?)", (name,))
    elif changes.get("listed") is True:
        conn.execute("DELETE FROM calld_unlisted WHERE name = ?", (name,))


def forget(conn: sqlite3.Connection, name: str) -> None:
    """calld has no Asterisk state for the endpoint (e.g. absent from ARI when calld started)."""
    conn.execute("DELETE FROM calld_endpoints WHERE techno = ? AND name = ?", (ASTERISK_TECHNO["sip"], name))


def _serve_pending(conn: sqlite3.Connection) -> None:
    """Count this listing: changes whose listings are all served apply now, the others wait one less."""
    for row in conn.execute("SELECT * FROM calld_pending ORDER BY id").fetchall():
        if row["remaining"] <= 0:
            apply(conn, row["name"], json.loads(row["changes"]))
            conn.execute("DELETE FROM calld_pending WHERE id = ?", (row["id"],))
        else:
            conn.execute("UPDATE calld_pending SET remaining = remaining - 1 WHERE id = ?", (row["id"],))
