"""Contexts: names (generated from 23.12, chosen by the client before), ranges, includes, refusals."""

from __future__ import annotations

import json
import sqlite3
import uuid
from functools import cache
from typing import Any

from sandbox import errors
from sandbox.generations import Generation
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    find_in_tenants,
    generation,
    link,
    listing,
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
    is_digit,
    length,
    load_body,
    one_of,
    regexp,
    value_range,
)

RANGE_KINDS = ("user_ranges", "group_ranges", "queue_ranges", "conference_room_ranges", "incall_ranges")
CONTEXT_TYPES = ["internal", "incall", "outcall", "services", "others"]


def _check_range(data: dict[str, Any]) -> str | None:
    start, end = data.get("start"), data.get("end")
    if start and end:
        if len(start) != len(end):
            return "Start and end must be of the same length"
        if int(start) > int(end):
            return "Start of range must be lower than or equal to the end"
    return None


def _range_schema(incall: bool) -> Schema:
    fields: dict[str, Any] = {
        "start": Str(required=True, validate=[is_digit, length(max=16)]),
        "end": Str(validate=[is_digit, length(max=16)]),
    }
    if incall:
        fields["did_length"] = Int(validate=[value_range(min=0)])
    return Schema(fields, checks=(_check_range,))


# before 23.12 the client named a context (plugins/context/schema.py ContextSchema at 20.12)
LEGACY_NAME_REGEX = r"^[a-zA-Z0-9-_]*$"
RESERVED_NAMES = [
    "authentication",
    "general",
    "global",
    "globals",
    "parkedcalls",
    "xivo-features",
    "zonemessages",
]


def _none_of(words: list[str]) -> Any:
    def check(value: Any) -> str | None:
        return "Invalid input." if value in words else None

    return check


@cache
def context_schema(gen: Generation, create: bool) -> Schema:
    fields: dict[str, Any] = {}
    if gen.context_names_generated:
        fields["label"] = Str(required=create, validate=[length(min=1, max=128)])
    else:
        if create:
            name_rules = [regexp(LEGACY_NAME_REGEX), length(min=1, max=39), _none_of(RESERVED_NAMES)]
            fields["name"] = Str(required=True, validate=name_rules)
        fields["label"] = Str(allow_none=True, validate=[length(max=128)])
    return Schema(
        {
            **fields,
            "type": Str(default="internal", validate=[one_of(CONTEXT_TYPES)]),
            "user_ranges": ListOf(Nested(_range_schema(False))),
            "group_ranges": ListOf(Nested(_range_schema(False))),
            "queue_ranges": ListOf(Nested(_range_schema(False))),
            "conference_room_ranges": ListOf(Nested(_range_schema(False))),
            "incall_ranges": ListOf(Nested(_range_schema(True))),
            "description": Str(allow_none=True),
            "enabled": StrictBool(),
        }
    )


INCLUDES = Schema({"contexts": ListOf(Nested(Schema({"id": Int(required=True)})), required=True)})


@cache
def search_config(gen: Generation) -> SearchConfig:
    columns = {
        "id": lambda r: r["id"],
        "description": lambda r: r["description"],
        "name": lambda r: r["name"],
        "type": lambda r: r["type"],
    }
    if gen.context_names_generated:
        columns["label"] = lambda r: r["label"]
    return SearchConfig(columns=columns, default_sort="id", integer_columns=frozenset({"id"}))


def _alias_name(body: Any) -> Any:
    # deprecated: a `name` without `label` is used as the label
    if isinstance(body, dict) and "label" not in body and "name" in body:
        return {**body, "label": body["name"]}
    return body


def _normalize_ranges(kind: str, ranges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for item in ranges:
        entry: dict[str, Any] = {"start": item["start"], "end": item.get("end") or item["start"]}
        if kind == "incall_ranges":
            entry["did_length"] = item.get("did_length", 0)
        result.append(entry)
    return result


def render(conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    ranges = json.loads(row["ranges"])
    includes = conn.execute(
        "SELECT c.* FROM context_includes i JOIN contexts c ON c.id = i.include_id"
        " WHERE i.context_id = ? ORDER BY i.position",
        (row["id"],),
    ).fetchall()
    head: dict[str, Any] = {"id": row["id"]}
    if generation(conn).context_names_generated:
        head["uuid"] = row["uuid"]
    return {
        **head,
        "name": row["name"],
        "label": row["label"],
        "type": row["type"],
        **{kind: ranges[kind] for kind in RANGE_KINDS},
        "description": row["description"],
        "tenant_uuid": row["tenant_uuid"],
        "enabled": bool(row["enabled"]),
        "links": [link(caller, "contexts", f"contexts/{row['id']}")],
        "contexts": [
            {
                "id": inc["id"],
                "name": inc["name"],
                "label": inc["label"],
                "links": [link(caller, "contexts", f"contexts/{inc['id']}")],
            }
            for inc in includes
        ],
    }


def find(conn: sqlite3.Connection, tenants: list[str], context_id: int) -> sqlite3.Row:
    return find_in_tenants(conn, "contexts", "Context", tenants, context_id)


def by_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM contexts WHERE name = ?", (name,)).fetchone()
    return row


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams) -> dict[str, Any]:
    return scoped_listing(
        conn,
        caller,
        params,
        search_config(generation(conn)),
        "SELECT * FROM contexts WHERE tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY id",
        render,
    )


def get(conn: sqlite3.Connection, caller: Caller, context_id: int) -> dict[str, Any]:
    return render(conn, caller, find(conn, visible_tenants(conn, caller), context_id))


def create(conn: sqlite3.Connection, caller: Caller, body: Any) -> dict[str, Any]:
    gen = generation(conn)
    form = load_body(
        context_schema(gen, create=True), _alias_name(body) if gen.context_names_generated else body
    )
    context_uuid = str(uuid.uuid4())
    if gen.context_names_generated:
        tenant = conn.execute("SELECT slug FROM tenants WHERE uuid = ?", (caller.tenant_uuid,)).fetchone()
        name = f"ctx-{tenant['slug'] if tenant else None}-{form['type']}-{context_uuid}"
    else:
        name = form["name"]
        if by_name(conn, name) is not None:
            raise errors.resource_exists("Context", name=name)
    ranges = {kind: _normalize_ranges(kind, form.get(kind) or []) for kind in RANGE_KINDS}
    cursor = conn.execute(
        "INSERT INTO contexts (uuid, name, tenant_uuid, label, type, description, enabled, ranges)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            context_uuid,
            name,
            caller.tenant_uuid,
            form.get("label"),
            form["type"],
            form.get("description"),
            int(form.get("enabled", True)),
            json.dumps(ranges),
        ),
    )
    return get(conn, caller, int(cursor.lastrowid or 0))


def update(conn: sqlite3.Connection, caller: Caller, context_id: int, body: Any) -> None:
    row = find(conn, visible_tenants(conn, caller), context_id)
    gen = generation(conn)
    form = load_body(
        context_schema(gen, create=False),
        _alias_name(body) if gen.context_names_generated else body,
        partial=True,
    )
    ranges = json.loads(row["ranges"])
    for kind in RANGE_KINDS:
        if kind in form:
            ranges[kind] = _normalize_ranges(kind, form[kind] or [])
    conn.execute(
        "UPDATE contexts SET label = ?, type = ?, description = ?, enabled = ?, ranges = ? WHERE id = ?",
        (
            form["label"] if "label" in form else row["label"],
            form.get("type", row["type"]),
            form["description"] if "description" in form else row["description"],
            int(form["enabled"]) if "enabled" in form else row["enabled"],
            json.dumps(ranges),
            context_id,
        ),
    )


def delete(conn: sqlite3.Connection, caller: Caller, context_id: int) -> None:
    row = find(conn, visible_tenants(conn, caller), context_id)
    extension = conn.execute(
        "SELECT id FROM extensions WHERE context = ? ORDER BY id", (row["name"],)
    ).fetchone()
    if extension is not None:
        raise errors.resource_associated(
            "Context", "Extension", context_id=context_id, extension_id=extension["id"]
        )
    trunk = conn.execute("SELECT id FROM trunks WHERE context = ? ORDER BY id", (row["name"],)).fetchone()
    if trunk is not None:
        raise errors.resource_associated("Context", "Trunk", context_id=context_id, trunk_id=trunk["id"])
    conn.execute(
        "DELETE FROM context_includes WHERE context_id = ? OR include_id = ?", (context_id, context_id)
    )
    conn.execute("DELETE FROM contexts WHERE id = ?", (context_id,))


def set_includes(conn: sqlite3.Connection, caller: Caller, context_id: int, body: Any) -> None:
    """`PUT /contexts/{id}/contexts`; like confd, the lookups here are not tenant-scoped."""
    context = conn.execute("SELECT * FROM contexts WHERE id = ?", (context_id,)).fetchone()
    if context is None:
        raise errors.not_found("Context", id=context_id)
    form = load_body(INCLUDES, body)
    ids: list[int] = []
    for item in form["contexts"]:
        found = conn.execute("SELECT id FROM contexts WHERE id = ?", (item["id"],)).fetchone()
        if found is None:
            raise errors.param_not_found("contexts", "Context", id=item["id"])
        ids.append(found["id"])
    if len(ids) != len(set(ids)):
        raise errors.not_permitted("Cannot include same context more than once")
    if context_id in ids:
        raise errors.not_permitted("Cannot include context inside itself")
    conn.execute("DELETE FROM context_includes WHERE context_id = ?", (context_id,))
    for position, include_id in enumerate(ids):
        conn.execute(
            "INSERT INTO context_includes (context_id, include_id, position) VALUES (?, ?, ?)",
            (context_id, include_id, position),
        )


def _range_items(
    ranges: list[dict[str, Any]], extens: list[str], available: bool, did: bool
) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    for entry in ranges:
        start, end = entry["start"], entry["end"]
        size = entry.get("did_length", 0) if did else 0
        if size:
            start, end = start[-size:], end[-size:]
        if not available:
            items.append({"start": start, "end": end})
            continue
        width = len(start)
        low, high = int(start), int(end)
        used = sorted(
            {int(e[-size:] if size else e) for e in extens if low <= int(e[-size:] if size else e) <= high}
        )
        current = low
        for number in used:
            if number > current:
                items.append({"start": str(current).zfill(width), "end": str(number - 1).zfill(width)})
            current = number + 1
        if current <= high:
            items.append({"start": str(current).zfill(width), "end": str(high).zfill(width)})
    return items


def ranges(
    conn: sqlite3.Connection, caller: Caller, context_id: int, range_type: str, availability: str
) -> dict[str, Any]:
    row = find(conn, visible_tenants(conn, caller), context_id)
    if availability not in ("available", "all"):
        raise errors.schema_error({"availability": ["Must be one of: available, all."]})
    kind = {
        "user": "user_ranges",
        "group": "group_ranges",
        "queue": "queue_ranges",
        "conference": "conference_room_ranges",
        "incall": "incall_ranges",
    }[range_type]
    extens = [
        r["exten"]
        for r in conn.execute("SELECT exten FROM extensions WHERE context = ?", (row["name"],))
        if r["exten"].isdigit()
    ]
    items = _range_items(
        json.loads(row["ranges"])[kind], extens, availability == "available", kind == "incall_ranges"
    )
    return listing(len(items), items)
