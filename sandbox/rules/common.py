"""What every rule module shares: the caller, links, tenant trees and the list engine."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox import errors
from sandbox.generations import CURRENT, Generation, by_version
from sandbox.schema import parse_bool


@dataclass(frozen=True)
class Caller:
    """An authenticated confd request: its token, resolved tenant and the base URL for links."""

    token: str
    tenant_uuid: str
    token_tenant_uuid: str
    base_url: str

    def href(self, rel_path: str) -> str:
        return f"{self.base_url}/{rel_path}"


def generation(conn: sqlite3.Connection) -> Generation:
    """The API generation this state was seeded as (or upgraded to): where the rules differ."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'api'").fetchone()
    return by_version(row["value"]) if row is not None else CURRENT


def link(caller: Caller, rel: str, path: str) -> dict[str, str]:
    return {"rel": rel, "href": caller.href(path)}


def subtree(conn: sqlite3.Connection, tenant_uuid: str) -> list[str]:
    """The tenant and all its descendants."""
    rows = conn.execute("SELECT uuid, parent_uuid FROM tenants").fetchall()
    children: dict[str | None, list[str]] = {}
    for row in rows:
        children.setdefault(row["parent_uuid"], []).append(row["uuid"])
    result: list[str] = []
    pending = [tenant_uuid]
    while pending:
        current = pending.pop(0)
        result.append(current)
        pending.extend(children.get(current, []))
    return result


def visible_tenants(conn: sqlite3.Connection, caller: Caller) -> list[str]:
    """Item access and associations: the resolved tenant and its sub-tenants."""
    return subtree(conn, caller.tenant_uuid)


def list_tenants(conn: sqlite3.Connection, caller: Caller, recurse: bool) -> list[str]:
    return subtree(conn, caller.tenant_uuid) if recurse else [caller.tenant_uuid]


def tenant_list(tenants: list[str]) -> str:
    """A tenant list as one SQL parameter, for `tenant_uuid IN (SELECT value FROM json_each(?))`."""
    return json.dumps(tenants)


def find_in_tenants(
    conn: sqlite3.Connection, table: str, resource: str, tenants: list[str], object_id: int
) -> sqlite3.Row:
    """One object of a tenant-scoped table by id, among `tenants`; else confd's not-found error."""
    row: sqlite3.Row | None = conn.execute(
        f"SELECT * FROM {table} WHERE id = ? AND tenant_uuid IN (SELECT value FROM json_each(?))",  # noqa: S608 - table is a constant of the calling module
        (object_id, tenant_list(tenants)),
    ).fetchone()
    if row is None:
        raise errors.not_found(resource, id=object_id)
    return row


def scoped_listing(
    conn: sqlite3.Connection,
    caller: Caller,
    params: ListParams,
    config: SearchConfig,
    query: str,
    render: Callable[[sqlite3.Connection, Caller, Any], dict[str, Any]],
    enrich: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A list answer: the rows of `query` (its one `?` is the listed tenants), searched and paged."""
    tenants = list_tenants(conn, caller, params.recurse)
    rows = [dict(r) for r in conn.execute(query, (tenant_list(tenants),))]
    if enrich is not None:
        rows = [enrich(row) for row in rows]
    total, page = search_rows(config, rows, params)
    return listing(total, [render(conn, caller, row) for row in page])


def as_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


# -- list parameters -------------------------------------------------------------------------


@dataclass
class ListParams:
    """Validated common list parameters plus the raw query for exact-match filters."""

    search: str | None
    order: str | None
    direction: str
    limit: int | None
    offset: int
    recurse: bool
    raw: dict[str, str]


def _type_error(kind: str) -> dict[str, Any]:
    messages = {"integer": "Not a valid integer.", "boolean": "Not a valid boolean."}
    return {"message": messages[kind], "constraint_id": "type", "constraint": kind}


def _range_error() -> list[dict[str, Any]]:
    return [
        {"constraint_id": "range", "constraint": {"min": 0}, "message": "Must be greater than or equal to 0."}
    ]


def parse_list_params(args: Mapping[str, str]) -> ListParams:
    """confd's ListSchema (limit, offset, search, recurse), with its constraint-style messages."""
    raw = dict(args)
    problems: dict[str, Any] = {}
    numbers: dict[str, int | None] = {"limit": None, "offset": 0}
    for name in ("limit", "offset"):
        if name not in raw:
            continue
        try:
            value = int(raw[name].strip())
        except ValueError:
            problems[name] = _type_error("integer")
            continue
        if value < 0:
            problems[name] = _range_error()
        else:
            numbers[name] = value
    recurse = False
    if "recurse" in raw:
        parsed = parse_bool(raw["recurse"])
        if parsed is None:
            problems["recurse"] = _type_error("boolean")
        else:
            recurse = parsed
    if problems:
        raise errors.schema_error(problems)
    return ListParams(
        search=raw.get("search"),
        order=raw.get("order"),
        direction=raw.get("direction", "asc"),
        limit=numbers["limit"],
        offset=numbers["offset"] or 0,
        recurse=recurse,
        raw=raw,
    )


@dataclass
class SearchConfig:
    """The searchable/sortable columns of one resource, as xivo-dao declares them."""

    columns: dict[str, Callable[[dict[str, Any]], Any]]
    default_sort: str
    search: list[str] | None = None
    integer_columns: frozenset[str] = frozenset()
    insensitive_sort: frozenset[str] = frozenset()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def search_rows(
    config: SearchConfig, rows: list[dict[str, Any]], params: ListParams
) -> tuple[int, list[dict[str, Any]]]:
    """Search, exact filters, sort, paginate; returns (total before paging, page)."""
    if params.limit is not None and params.limit <= 0:
        raise errors.wrong_type("limit", "positive number")
    if params.direction not in ("asc", "desc"):
        raise errors.InputError("Input Error - direction: must be 'asc' or 'desc'")

    selected = list(rows)
    if params.search:
        term = _fold(params.search)
        names = config.search if config.search is not None else list(config.columns)
        selected = [
            row
            for row in selected
            if any(
                (text := _as_text(config.columns[name](row))) is not None and term in _fold(text)
                for name in names
            )
        ]
    for name, value in params.raw.items():
        getter = config.columns.get(name)
        if getter is None:
            continue
        if name in config.integer_columns:
            try:
                wanted: Any = int(value)
            except ValueError:
                return 0, []
            selected = [row for row in selected if getter(row) == wanted]
        else:
            selected = [row for row in selected if _as_text(getter(row)) == value]

    order = params.order or config.default_sort
    if order not in config.columns:
        raise errors.InputError(f"Input Error - order: column '{order}' was not found")
    getter = config.columns[order]
    present = [row for row in selected if getter(row) is not None]
    absent = [row for row in selected if getter(row) is None]

    def key(row: dict[str, Any]) -> Any:
        value = getter(row)
        if order in config.insensitive_sort and isinstance(value, str):
            return value.lower()
        return value

    present.sort(key=key, reverse=params.direction == "desc")
    # PostgreSQL puts NULLs last in ascending order and first in descending order
    ordered = present + absent if params.direction == "asc" else absent + present
    total = len(ordered)
    page = ordered[params.offset :]
    if params.limit is not None:
        page = page[: params.limit]
    return total, page


def listing(total: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": total, "items": items}
