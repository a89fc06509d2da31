"""wazo-auth: token issuance and checks, ACL matching, the tenant tree."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sandbox import errors
from sandbox.errors import AuthError
from sandbox.rules.common import Caller, subtree
from sandbox.schema import Int, Invalid, Schema, Str, length, one_of, value_range
from sandbox.seed import WAZO_UUID

DEFAULT_EXPIRATION = 7200
TEN_YEARS = 3600 * 24 * 365 * 10


def _check_offline(data: dict[str, Any]) -> str | None:
    if data.get("access_type") != "offline":
        return None
    if data.get("refresh_token"):
        return 'cannot use the "access_type" "offline" with a refresh token'
    if not data.get("client_id"):
        return '"client_id" must be specified when using "access_type" is "offline"'
    return None


def _check_refresh(data: dict[str, Any]) -> str | None:
    if data.get("refresh_token") and not data.get("client_id"):
        return '"client_id" must be specified when using a "refresh_token"'
    return None


def _check_tenant_domain(data: dict[str, Any]) -> str | None:
    if data.get("tenant_id") and data.get("domain_name"):
        return '"tenant_id" and "domain_name" must be mutually exclusive'
    return None


TOKEN_REQUEST = Schema(
    {
        "backend": Str(default="wazo_user"),
        "expiration": Int(validate=[value_range(min=1, max=TEN_YEARS)]),
        "access_type": Str(validate=[one_of(["online", "offline"])]),
        "client_id": Str(validate=[length(min=1, max=1024)]),
        "refresh_token": Str(),
        "tenant_id": Str(),
        "domain_name": Str(),
    },
    checks=(_check_offline, _check_tenant_domain, _check_refresh),
)


def acl_matches(acl: list[str], required: str) -> bool:
    """wazo's ACL syntax: `*` one segment, `#` any remainder, a leading `!` negates."""

    def compile_pattern(pattern: str) -> re.Pattern[str]:
        regex = re.escape(pattern).replace(r"\*", "[^.#]*?").replace(r"\#", ".*?")
        return re.compile(f"^{regex}$")

    negatives = [compile_pattern(entry[1:]) for entry in acl if entry.startswith("!")]
    positives = [compile_pattern(entry) for entry in acl if not entry.startswith("!")]
    if any(regex.match(required) for regex in negatives):
        return False
    return any(regex.match(required) for regex in positives)


def _local(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).isoformat()


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _token_dict(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    user = conn.execute("SELECT * FROM auth_users WHERE uuid = ?", (row["auth_id"],)).fetchone()
    result: dict[str, Any] = {
        "token": row["token"],
        "auth_id": row["auth_id"],
        "xivo_user_uuid": None,
        "xivo_uuid": WAZO_UUID,
        "issued_at": _local(row["issued_at"]),
        "expires_at": _local(row["expires_at"]),
        "utc_issued_at": _utc(row["issued_at"]),
        "utc_expires_at": _utc(row["expires_at"]),
        "acl": json.loads(row["acl"]),
        "metadata": {
            "uuid": row["auth_id"],
            "tenant_uuid": row["tenant_uuid"],
            "auth_id": row["auth_id"],
            "pbx_user_uuid": None,
            "xivo_uuid": WAZO_UUID,
            "purpose": "external_api",
            "admin": False,
            "username": user["username"] if user else None,
        },
        "session_uuid": row["session_uuid"],
        "remote_addr": row["remote_addr"],
        "user_agent": row["user_agent"],
    }
    if row["refresh_token"]:
        result["refresh_token"] = row["refresh_token"]
    return result


def issue_token(
    conn: sqlite3.Connection,
    body: Any,
    login: str | None,
    password: str | None,
    remote_addr: str | None,
    user_agent: str,
) -> dict[str, Any]:
    """`POST /token`: Basic credentials or a refresh token; returns the token's `data`."""
    try:
        args = TOKEN_REQUEST.load(body or {})
    except Invalid as error:
        raise AuthError(400, str(error.messages)) from None

    if args.get("refresh_token"):
        refresh = conn.execute(
            "SELECT * FROM refresh_tokens WHERE token = ? AND client_id = ?",
            (args["refresh_token"], args.get("client_id")),
        ).fetchone()
        if refresh is None:
            raise AuthError(401, "Authentication Failed")
        user = conn.execute("SELECT * FROM auth_users WHERE uuid = ?", (refresh["auth_id"],)).fetchone()
    else:
        user = None
        if login and password:
            user = conn.execute(
                "SELECT * FROM auth_users WHERE username = ? AND password = ?", (login, password)
            ).fetchone()
    if user is None:
        raise AuthError(401, "Authentication Failed")

    refresh_token: str | None = None
    if args.get("access_type") == "offline":
        existing = conn.execute(
            "SELECT token FROM refresh_tokens WHERE client_id = ? AND auth_id = ?",
            (args["client_id"], user["uuid"]),
        ).fetchone()
        if existing is not None:
            refresh_token = existing["token"]
        else:
            refresh_token = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO refresh_tokens (token, client_id, auth_id) VALUES (?, ?, ?)",
                (refresh_token, args["client_id"], user["uuid"]),
            )

    now = time.time()
    expiration = args.get("expiration", DEFAULT_EXPIRATION)
    token = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO tokens (token, session_uuid, auth_id, tenant_uuid, acl, issued_at, expires_at,"
        " refresh_token, remote_addr, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            token,
            str(uuid.uuid4()),
            user["uuid"],
            user["tenant_uuid"],
            user["acl"],
            now,
            now + expiration,
            refresh_token,
            remote_addr,
            user_agent,
        ),
    )
    row: sqlite3.Row = conn.execute("SELECT * FROM tokens WHERE token = ?", (token,)).fetchone()
    return _token_dict(conn, row)


def _live_token(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM tokens WHERE token = ?", (token,)).fetchone()
    if row is None or time.time() > row["expires_at"]:
        return None
    return row


def _tenant_allowed(conn: sqlite3.Connection, token_row: sqlite3.Row, tenant: str) -> bool:
    try:
        uuid.UUID(tenant)
    except ValueError:
        return False
    return tenant in subtree(conn, token_row["tenant_uuid"])


def check_token_for_auth(
    conn: sqlite3.Connection, token: str, scope: str | None, tenant: str | None
) -> dict[str, Any]:
    """`HEAD/GET /token/{token}?scope=&tenant=`: 404 unknown/expired, 403 ACL or tenant refused."""
    row = _live_token(conn, token)
    if row is None:
        raise AuthError(404, "No such token")
    if scope and not acl_matches(json.loads(row["acl"]), scope):
        raise AuthError(403, f"Unauthorized for {scope}")
    if tenant and not _tenant_allowed(conn, row, tenant):
        raise AuthError(403, f"Unauthorized for tenant {tenant}")
    return _token_dict(conn, row)


def expire_all(conn: sqlite3.Connection) -> None:
    """The test hook: every issued access token is expired from now on."""
    conn.execute("UPDATE tokens SET expires_at = ? WHERE expires_at > ?", (time.time() - 1, time.time() - 1))


def authenticate(
    conn: sqlite3.Connection,
    token: str,
    required_acl: str,
    tenant_header: str | None,
    base_url: str,
    master_only: bool = False,
) -> Caller:
    """What confd does with X-Auth-Token and Wazo-Tenant: a Caller, or confd's opaque 401."""
    row = _live_token(conn, token) if token else None
    if row is None:
        raise errors.Unauthorized(token, required_acl)
    if not acl_matches(json.loads(row["acl"]), required_acl):
        raise errors.Unauthorized(token, required_acl, tenant_header)
    if tenant_header is not None and not _tenant_allowed(conn, row, tenant_header):
        raise errors.Unauthorized(token, required_acl, tenant_header)
    if master_only:
        master = conn.execute("SELECT uuid FROM tenants WHERE parent_uuid IS NULL").fetchone()
        if master is None or row["tenant_uuid"] != master["uuid"]:
            raise errors.Unauthorized(token)
    return Caller(
        token=token,
        tenant_uuid=tenant_header or row["tenant_uuid"],
        token_tenant_uuid=row["tenant_uuid"],
        base_url=base_url,
    )


def list_auth_tenants(conn: sqlite3.Connection, token: str, tenant_header: str | None) -> dict[str, Any]:
    """wazo-auth `GET /tenants`: the scoping tenant and its descendants."""
    row = _live_token(conn, token) if token else None
    if row is None or not acl_matches(json.loads(row["acl"]), "auth.tenants.read"):
        raise AuthError(401, "Unauthorized")
    scoping = tenant_header or row["tenant_uuid"]
    if not _tenant_allowed(conn, row, scoping):
        raise AuthError(401, "Unauthorized")
    uuids = subtree(conn, scoping)
    items = []
    for tenant_uuid in uuids:
        tenant = conn.execute("SELECT * FROM tenants WHERE uuid = ?", (tenant_uuid,)).fetchone()
        items.append(
            {
                "uuid": tenant["uuid"],
                "name": tenant["name"],
                "slug": tenant["slug"],
                "parent_uuid": tenant["parent_uuid"] or tenant["uuid"],
                "contact": None,
                "phone": None,
                "domain_names": [],
                "address": {
                    "line_1": None,
                    "line_2": None,
                    "city": None,
                    "state": None,
                    "country": None,
                    "zip_code": None,
                },
                "default_authentication_method": "native",
            }
        )
    return {"total": len(items), "filtered": len(items), "items": items}
