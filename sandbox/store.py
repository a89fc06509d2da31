"""SQLite state: schema, a small connection pool, serialized write transactions."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tenants (
    uuid TEXT PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL UNIQUE, parent_uuid TEXT,
    sip_templates_generated INTEGER NOT NULL DEFAULT 0,
    global_sip_template_uuid TEXT, webrtc_sip_template_uuid TEXT,
    registration_trunk_sip_template_uuid TEXT, meeting_guest_sip_template_uuid TEXT,
    twilio_trunk_sip_template_uuid TEXT
);
CREATE TABLE auth_users (
    uuid TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password TEXT NOT NULL,
    tenant_uuid TEXT NOT NULL, acl TEXT NOT NULL
);
CREATE TABLE tokens (
    token TEXT PRIMARY KEY, session_uuid TEXT NOT NULL, auth_id TEXT NOT NULL,
    tenant_uuid TEXT NOT NULL, acl TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    refresh_token TEXT, remote_addr TEXT, user_agent TEXT
);
CREATE TABLE refresh_tokens (
    token TEXT PRIMARY KEY, client_id TEXT NOT NULL, auth_id TEXT NOT NULL,
    UNIQUE (client_id, auth_id)
);
-- SIP endpoint, template and transport names share one global namespace
CREATE TABLE sip_names (name TEXT PRIMARY KEY, kind TEXT NOT NULL, owner_uuid TEXT NOT NULL UNIQUE);
CREATE TABLE transports (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, options TEXT NOT NULL);
CREATE TABLE contexts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
    tenant_uuid TEXT NOT NULL, label TEXT, type TEXT NOT NULL, description TEXT,
    enabled INTEGER NOT NULL, ranges TEXT NOT NULL
);
CREATE TABLE context_includes (
    context_id INTEGER NOT NULL, include_id INTEGER NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (context_id, include_id)
);
CREATE TABLE endpoints (
    uuid TEXT PRIMARY KEY, seq INTEGER NOT NULL, tenant_uuid TEXT NOT NULL,
    template INTEGER NOT NULL, name TEXT NOT NULL UNIQUE, label TEXT, asterisk_id TEXT,
    transport_uuid TEXT, templates TEXT NOT NULL, sections TEXT NOT NULL,
    edited INTEGER NOT NULL DEFAULT 0
);
-- endpoint_sip_uuid: a PJSIP endpoint, endpoint_sip_id and register_sip_id: the chan_sip API (<= 20.12)
CREATE TABLE trunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_uuid TEXT NOT NULL, context TEXT,
    twilio_incoming INTEGER NOT NULL, outgoing_caller_id_format TEXT NOT NULL,
    endpoint_sip_uuid TEXT UNIQUE, endpoint_sip_id INTEGER, register_sip_id INTEGER
);
-- chan_sip endpoints (usersip): options split into named columns (`native`) and the rest (`extra`)
CREATE TABLE chan_sip_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_uuid TEXT NOT NULL, name TEXT NOT NULL UNIQUE,
    username TEXT, secret TEXT NOT NULL, type TEXT NOT NULL, host TEXT NOT NULL,
    category TEXT NOT NULL, context TEXT, native TEXT NOT NULL, extra TEXT NOT NULL
);
-- `register =>` lines of sip.conf (staticsip), not tenant-scoped
CREATE TABLE sip_registers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, var_val TEXT NOT NULL, commented INTEGER NOT NULL
);
CREATE TABLE outcalls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_uuid TEXT NOT NULL, name TEXT NOT NULL UNIQUE,
    description TEXT, enabled INTEGER NOT NULL, internal_caller_id INTEGER NOT NULL,
    preprocess_subroutine TEXT, ring_time INTEGER
);
CREATE TABLE outcall_trunks (
    outcall_id INTEGER NOT NULL, trunk_id INTEGER NOT NULL, priority INTEGER NOT NULL,
    PRIMARY KEY (outcall_id, trunk_id)
);
CREATE TABLE extensions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_uuid TEXT NOT NULL, exten TEXT NOT NULL,
    context TEXT NOT NULL, enabled INTEGER NOT NULL,
    type TEXT NOT NULL DEFAULT 'user', typeval TEXT NOT NULL DEFAULT '0',
    UNIQUE (exten, context)
);
CREATE TABLE dialpatterns (
    id INTEGER PRIMARY KEY AUTOINCREMENT, outcall_id INTEGER NOT NULL,
    extension_id INTEGER NOT NULL UNIQUE, strip_digits INTEGER, prefix TEXT,
    external_prefix TEXT, caller_id TEXT
);
CREATE TABLE incalls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_uuid TEXT NOT NULL, preprocess_subroutine TEXT,
    greeting_sound TEXT, caller_id_mode TEXT, caller_id_name TEXT, description TEXT,
    destination TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, tenant_uuid TEXT NOT NULL,
    firstname TEXT NOT NULL, lastname TEXT, email TEXT UNIQUE, created_at TEXT NOT NULL
);
-- read-only destination targets (groups, queues, IVRs, ...), one row per object
CREATE TABLE targets (
    kind TEXT NOT NULL, id INTEGER NOT NULL, uuid TEXT, tenant_uuid TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (kind, id)
);
-- wazo-calld's status cache: Asterisk's view of an endpoint, keyed by technology and name
CREATE TABLE calld_endpoints (
    techno TEXT NOT NULL, name TEXT NOT NULL, registered INTEGER, calls INTEGER NOT NULL,
    PRIMARY KEY (techno, name)
);
-- endpoint names whose trunk calld has not learnt of yet (an association event not consumed)
CREATE TABLE calld_unlisted (name TEXT PRIMARY KEY);
-- status changes a test hook scheduled for after a number of calld trunk listings
CREATE TABLE calld_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, changes TEXT NOT NULL,
    remaining INTEGER NOT NULL
);
"""


class Store:
    """One SQLite file; every write transaction holds a process-wide lock and BEGIN IMMEDIATE."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._pool_lock:
                self._pool.append(conn)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for reads."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A serialized write transaction, committed on success, rolled back on any error."""
        with self._write_lock, self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def is_initialized(self) -> bool:
        with self.read() as conn:
            row = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
            if row is None:
                return False
            return conn.execute("SELECT value FROM meta WHERE key='seeded'").fetchone() is not None

    def recreate(self, conn: sqlite3.Connection) -> None:
        """Drop every table and create the schema again (inside the caller's write transaction)."""
        tables = [
            row["name"]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not row["name"].startswith("sqlite_")
        ]
        for table in tables:
            conn.execute(f'DROP TABLE "{table}"')
        if conn.execute("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'").fetchone():
            conn.execute("DELETE FROM sqlite_sequence")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)

    def upgrade_schema(self, conn: sqlite3.Connection) -> None:
        """Add what a state file written by an older sandbox lacks (its data is kept)."""
        existing = {row["name"] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for statement in SCHEMA.split(";"):
            match = re.search(r"CREATE TABLE (\w+)", statement)
            if match and match.group(1) not in existing:
                conn.execute(statement)
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(trunks)")}
        for column in ("endpoint_sip_id", "register_sip_id"):
            if column not in columns:
                conn.execute(f"ALTER TABLE trunks ADD COLUMN {column} INTEGER")

    def close(self) -> None:
        with self._pool_lock:
            for conn in self._pool:
                conn.close()
            self._pool.clear()
