"""SIP transports, SIP endpoints and SIP templates (one table, a `template` flag)."""

from __future__ import annotations

import json
import random
import sqlite3
import string
import uuid
from importlib import resources
from typing import Any

from sandbox import errors
from sandbox.rules.common import (
    Caller,
    ListParams,
    SearchConfig,
    as_uuid,
    link,
    list_tenants,
    listing,
    search_rows,
    tenant_list,
    visible_tenants,
)
from sandbox.schema import Field, Invalid, ListOf, Nested, Schema, Str, UUIDField, length, load_body
from sandbox.seed import SECTIONS

_OPTION_NAMES: dict[str, list[str]] = json.loads(
    resources.files("sandbox").joinpath("data/pjsip-option-names.json").read_text()
)
# which whitelist each section is checked against
SECTION_DOC = {
    "aor": "aor",
    "auth": "auth",
    "endpoint": "endpoint",
    "identify": "identify",
    "registration": "registration",
    "registration_outbound_auth": "auth",
    "outbound_auth": "auth",
}
RESERVED_NAMES = ("global", "system")


class SectionName(Str):
    """confd's PJSIPSection validator: its messages have no final period."""

    def convert(self, value: Any) -> Any:
        text = super().convert(value)
        if not text:
            raise Invalid(["Shorter than minimum length 1"])
        if len(text) > 79:
            raise Invalid(["Longer than maximum length 79"])
        if text in RESERVED_NAMES:
            raise Invalid(["Reserved Asterisk section name"])
        if not all(ch in string.ascii_letters + string.digits + "-_." for ch in text):
            raise Invalid(["Not a valid Asterisk section name"])
        return text


def _options_field() -> Field:
    pair = ListOf(Str(validate=[length(min=1, max=4092)]), validate=[length(min=2, max=2)])
    return ListOf(pair, default=[], validate=[length(max=512)])


_RELATION = Schema({"uuid": UUIDField(required=True)})

SIP_SCHEMA = Schema(
    {
        "name": SectionName(),
        "label": Str(allow_none=True, validate=[length(max=128)]),
        **{f"{section}_section_options": _options_field() for section in SECTIONS},
        "templates": ListOf(Nested(_RELATION), default=[]),
        "transport": Nested(_RELATION, allow_none=True),
        "asterisk_id": Str(allow_none=True, validate=[length(max=1024)]),
    }
)

TRANSPORT_SCHEMA = Schema(
    {
        "name": Str(validate=[length(min=1, max=128)]),
        "options": ListOf(ListOf(Str(validate=[length(min=1, max=4092)]), validate=[length(min=2, max=2)])),
    }
)

ENDPOINT_CONFIG = SearchConfig(
    columns={
        "name": lambda r: r["name"],
        "asterisk_id": lambda r: r["asterisk_id"],
        "label": lambda r: r["label"],
        "template": lambda r: bool(r["template"]),
    },
    default_sort="label",
)
TRANSPORT_CONFIG = SearchConfig(
    columns={"uuid": lambda r: r["uuid"], "name": lambda r: r["name"]}, default_sort="name", search=["name"]
)


def _kind(template: bool) -> str:
    return "SIPEndpointTemplate" if template else "SIPEndpoint"


# -- transports ----------------------------------------------------------------------------


def render_transport(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    return {"uuid": row["uuid"], "name": row["name"], "options": json.loads(row["options"])}


def list_transports(conn: sqlite3.Connection, params: ListParams) -> dict[str, Any]:
    rows = [dict(r) for r in conn.execute("SELECT * FROM transports")]
    total, page = search_rows(TRANSPORT_CONFIG, rows, params)
    return listing(total, [render_transport(row) for row in page])


def _find_transport(conn: sqlite3.Connection, transport_uuid: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM transports WHERE uuid = ?", (transport_uuid,)
    ).fetchone()
    if row is None:
        raise errors.not_found("SIPTransport", uuid=as_uuid(transport_uuid))
    return row


def get_transport(conn: sqlite3.Connection, transport_uuid: str) -> dict[str, Any]:
    return render_transport(_find_transport(conn, transport_uuid))


def _claim_name(conn: sqlite3.Connection, name: str, kind: str, owner: str) -> None:
    existing = conn.execute(
        "SELECT kind FROM sip_names WHERE name = ? AND owner_uuid != ?", (name, owner)
    ).fetchone()
    if existing is not None:
        raise errors.resource_exists(existing["kind"], name=name)
    conn.execute("DELETE FROM sip_names WHERE owner_uuid = ?", (owner,))
    conn.execute("INSERT INTO sip_names (name, kind, owner_uuid) VALUES (?, ?, ?)", (name, kind, owner))


def create_transport(conn: sqlite3.Connection, body: Any) -> dict[str, Any]:
    form = load_body(TRANSPORT_SCHEMA, body)
    transport_uuid = str(uuid.uuid4())
    name = form.get("name") or _random_name()
    _claim_name(conn, name, "Transport", transport_uuid)
    conn.execute(
        "INSERT INTO transports (uuid, name, options) VALUES (?, ?, ?)",
        (transport_uuid, name, json.dumps(form.get("options", []))),
    )
    return get_transport(conn, transport_uuid)


def update_transport(conn: sqlite3.Connection, transport_uuid: str, body: Any) -> None:
    row = _find_transport(conn, transport_uuid)
    form = load_body(TRANSPORT_SCHEMA, body, partial=True)
    name = form.get("name", row["name"])
    _claim_name(conn, name, "Transport", transport_uuid)
    options = form.get("options", json.loads(row["options"]))
    conn.execute(
        "UPDATE transports SET name = ?, options = ? WHERE uuid = ?",
        (name, json.dumps(options), transport_uuid),
    )


def delete_transport(conn: sqlite3.Connection, transport_uuid: str) -> None:
    _find_transport(conn, transport_uuid)
    conn.execute("UPDATE endpoints SET transport_uuid = NULL WHERE transport_uuid = ?", (transport_uuid,))
    conn.execute("DELETE FROM sip_names WHERE owner_uuid = ?", (transport_uuid,))
    conn.execute("DELETE FROM transports WHERE uuid = ?", (transport_uuid,))


# -- endpoints and templates ---------------------------------------------------------------


def _random_name() -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))


def stored_sections(row: sqlite3.Row | dict[str, Any]) -> dict[str, list[list[str]]]:
    """The object's own options; once edited, the order is the one the DB happens to return."""
    sections: dict[str, list[list[str]]] = json.loads(row["sections"])
    if row["edited"]:
        # the real DB relation has no ORDER BY: after a PUT, sections come back reordered
        return {name: sorted(options, key=lambda option: option[0]) for name, options in sections.items()}
    return sections


def _template_refs(conn: sqlite3.Connection, row: sqlite3.Row | dict[str, Any]) -> list[dict[str, Any]]:
    refs = []
    for template_uuid in json.loads(row["templates"]):
        template = conn.execute("SELECT label FROM endpoints WHERE uuid = ?", (template_uuid,)).fetchone()
        if template is not None:
            refs.append({"uuid": template_uuid, "label": template["label"]})
    return refs


def _inherited(conn: sqlite3.Connection, row: sqlite3.Row | dict[str, Any], section: str) -> list[list[str]]:
    options: list[list[str]] = []
    for template_uuid in json.loads(row["templates"]):
        template = conn.execute("SELECT * FROM endpoints WHERE uuid = ?", (template_uuid,)).fetchone()
        if template is not None:
            options += _inherited(conn, template, section)
    return options + stored_sections(row)[section]


def render(
    conn: sqlite3.Connection, caller: Caller, row: sqlite3.Row | dict[str, Any], merged: bool = False
) -> dict[str, Any]:
    template = bool(row["template"])
    sections = stored_sections(row)
    head: dict[str, Any] = {
        "uuid": row["uuid"],
        "tenant_uuid": row["tenant_uuid"],
        "name": row["name"],
        "label": row["label"],
    }
    rel = "endpoint_sip_templates" if template else "endpoint_sip"
    path = f"endpoints/sip/templates/{row['uuid']}" if template else f"endpoints/sip/{row['uuid']}"
    tail: dict[str, Any] = {
        "templates": _template_refs(conn, row),
        "transport": {"uuid": row["transport_uuid"]} if row["transport_uuid"] else None,
        "asterisk_id": row["asterisk_id"],
        "links": [link(caller, rel, path)],
    }
    if not template:
        trunk = conn.execute("SELECT id FROM trunks WHERE endpoint_sip_uuid = ?", (row["uuid"],)).fetchone()
        tail["trunk"] = (
            {"id": trunk["id"], "links": [link(caller, "trunks", f"trunks/{trunk['id']}")]} if trunk else None
        )
        tail["line"] = None
    if merged:
        combined: dict[str, Any] = {}
        for section in SECTIONS:
            # later occurrences win, at the position of the first one (a dict's behaviour)
            folded: dict[str, str] = {}
            for key, value in _inherited(conn, row, section):
                folded[key] = value
            combined[f"{section}_section_options"] = [[key, value] for key, value in folded.items()]
        return {**head, **tail, **combined}
    own = {f"{section}_section_options": sections[section] for section in SECTIONS}
    return {**head, **own, **tail}


def embedded(conn: sqlite3.Connection, caller: Caller, endpoint_uuid: str | None) -> dict[str, Any] | None:
    """The reduced endpoint shown inside a trunk: only usernames and client URIs."""
    if endpoint_uuid is None:
        return None
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM endpoints WHERE uuid = ?", (endpoint_uuid,)
    ).fetchone()
    if row is None:
        return None
    sections = stored_sections(row)
    return {
        "uuid": row["uuid"],
        "label": row["label"],
        "name": row["name"],
        "auth_section_options": [o for o in sections["auth"] if o[0] == "username"],
        "registration_section_options": [o for o in sections["registration"] if o[0] == "client_uri"],
        "links": [link(caller, "endpoint_sip", f"endpoints/sip/{row['uuid']}")],
    }


def find(conn: sqlite3.Connection, tenants: list[str], sip_uuid: str, template: bool) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM endpoints WHERE uuid = ? AND template = ? AND"
        " tenant_uuid IN (SELECT value FROM json_each(?))",
        (sip_uuid, int(template), tenant_list(tenants)),
    ).fetchone()
    if row is None:
        raise errors.not_found(_kind(template), uuid=as_uuid(sip_uuid))
    return row


def list_(conn: sqlite3.Connection, caller: Caller, params: ListParams, template: bool) -> dict[str, Any]:
    tenants = list_tenants(conn, caller, params.recurse)
    rows = [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM endpoints WHERE template = ? AND"
            " tenant_uuid IN (SELECT value FROM json_each(?)) ORDER BY seq",
            (int(template), tenant_list(tenants)),
        )
    ]
    if "uuid" in params.raw:
        wanted = set()
        for part in params.raw["uuid"].split(","):
            try:
                wanted.add(str(uuid.UUID(part.strip())))
            except ValueError:
                continue
        rows = [row for row in rows if row["uuid"] in wanted]
    total, page = search_rows(ENDPOINT_CONFIG, rows, params)
    return listing(total, [render(conn, caller, row) for row in page])


def get(
    conn: sqlite3.Connection, caller: Caller, sip_uuid: str, template: bool, view: str | None
) -> dict[str, Any]:
    if view is not None and view != "merged":
        raise errors.schema_error({"view": ["Must be one of: merged."]})
    row = find(conn, visible_tenants(conn, caller), sip_uuid, template)
    return render(conn, caller, row, merged=view == "merged" and not template)


def _resolve_templates(conn: sqlite3.Connection, refs: list[dict[str, Any]], tenants: list[str]) -> list[str]:
    result = []
    for ref in refs:
        found = conn.execute(
            "SELECT uuid FROM endpoints WHERE uuid = ? AND template = 1 AND"
            " tenant_uuid IN (SELECT value FROM json_each(?))",
            (str(ref["uuid"]), tenant_list(tenants)),
        ).fetchone()
        if found is None:
            raise errors.param_not_found("templates", "endpoint_sip", templates=ref)
        result.append(found["uuid"])
    return result


def _resolve_transport(conn: sqlite3.Connection, ref: dict[str, Any]) -> str:
    found = conn.execute("SELECT uuid FROM transports WHERE uuid = ?", (str(ref["uuid"]),)).fetchone()
    if found is None:
        raise errors.param_not_found("transport", "SIPTransport", uuid=ref["uuid"])
    return str(found["uuid"])


def _check_unique_name(conn: sqlite3.Connection, name: str, owner: str) -> None:
    # checked in confd's order: endpoints, then templates, then transports
    for kind in ("SIPEndpoint", "SIPEndpointTemplate", "Transport"):
        clash = conn.execute(
            "SELECT 1 FROM sip_names WHERE name = ? AND kind = ? AND owner_uuid != ?", (name, kind, owner)
        ).fetchone()
        if clash is not None:
            raise errors.resource_exists(kind, name=name)


def _check_option_keys(sections: dict[str, list[list[str]]]) -> None:
    for section in SECTIONS:
        allowed = _OPTION_NAMES[SECTION_DOC[section]]
        for key, _value in sections[section]:
            if key.startswith("@") and section in ("aor", "endpoint"):
                continue
            if key not in allowed:
                field = f"{section}_section_options"
                raise errors.invalid_choice(f"{field}: invalid variable ({key})", allowed)


def _check_template_cycle(conn: sqlite3.Connection, row_uuid: str, templates: list[str]) -> None:
    if row_uuid in templates:
        raise errors.not_permitted("Cannot use itself as template")

    def walk(template_uuid: str, seen: set[str]) -> None:
        if template_uuid in seen:
            return
        seen.add(template_uuid)
        child = conn.execute("SELECT templates FROM endpoints WHERE uuid = ?", (template_uuid,)).fetchone()
        if child is None:
            return
        parents = json.loads(child["templates"])
        if row_uuid in parents:
            raise errors.not_permitted(f"SIPEndpointTemplate({template_uuid}) already include this template")
        for parent in parents:
            walk(parent, seen)

    seen: set[str] = set()
    for template_uuid in templates:
        walk(template_uuid, seen)


def create(conn: sqlite3.Connection, caller: Caller, body: Any, template: bool) -> dict[str, Any]:
    form = load_body(SIP_SCHEMA, body)
    templates = _resolve_templates(conn, form["templates"], [caller.tenant_uuid])
    transport = _resolve_transport(conn, form["transport"]) if form.get("transport") else None
    sip_uuid = str(uuid.uuid4())
    if "name" in form:
        _check_unique_name(conn, form["name"], sip_uuid)
    sections = {section: form[f"{section}_section_options"] for section in SECTIONS}
    _check_option_keys(sections)
    name = form.get("name") or _random_name()
    _claim_name(conn, name, _kind(template), sip_uuid)
    seq_row = conn.execute("SELECT value FROM meta WHERE key = 'endpoint_seq'").fetchone()
    seq = int(seq_row["value"]) + 1 if seq_row else 1
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('endpoint_seq', ?)", (str(seq),))
    conn.execute(
        "INSERT INTO endpoints (uuid, seq, tenant_uuid, template, name, label, asterisk_id, transport_uuid,"
        " templates, sections, edited) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (
            sip_uuid,
            seq,
            caller.tenant_uuid,
            int(template),
            name,
            form.get("label"),
            form.get("asterisk_id"),
            transport,
            json.dumps(templates),
            json.dumps(sections),
        ),
    )
    row: sqlite3.Row = conn.execute("SELECT * FROM endpoints WHERE uuid = ?", (sip_uuid,)).fetchone()
    return render(conn, caller, row)


def update(conn: sqlite3.Connection, caller: Caller, sip_uuid: str, body: Any, template: bool) -> None:
    tenants = visible_tenants(conn, caller)
    row = find(conn, tenants, sip_uuid, template)
    form = load_body(SIP_SCHEMA, body, partial=True)
    templates = json.loads(row["templates"])
    if "templates" in form:
        templates = _resolve_templates(conn, form["templates"], tenants) if form["templates"] else []
    transport = row["transport_uuid"]
    if "transport" in form:
        transport = _resolve_transport(conn, form["transport"]) if form["transport"] else None
    _check_template_cycle(conn, sip_uuid, templates)
    name = form.get("name", row["name"])
    if "name" in form:
        _check_unique_name(conn, name, sip_uuid)
    sections = json.loads(row["sections"])
    for section in SECTIONS:
        if f"{section}_section_options" in form:
            sections[section] = form[f"{section}_section_options"]
    _check_option_keys(sections)
    _claim_name(conn, name, _kind(template), sip_uuid)
    conn.execute(
        "UPDATE endpoints SET name = ?, label = ?, asterisk_id = ?, transport_uuid = ?, templates = ?,"
        " sections = ?, edited = 1 WHERE uuid = ?",
        (
            name,
            form["label"] if "label" in form else row["label"],
            form["asterisk_id"] if "asterisk_id" in form else row["asterisk_id"],
            transport,
            json.dumps(templates),
            json.dumps(sections),
            sip_uuid,
        ),
    )


def delete(conn: sqlite3.Connection, caller: Caller, sip_uuid: str, template: bool) -> None:
    find(conn, visible_tenants(conn, caller), sip_uuid, template)
    delete_row(conn, sip_uuid)


_NULL_TEMPLATE_POINTER = {
    column: "UPDATE tenants SET " + column + " = NULL WHERE " + column + " = ?"  # noqa: S608 (fixed names)
    for column in (
        "global_sip_template_uuid",
        "webrtc_sip_template_uuid",
        "registration_trunk_sip_template_uuid",
        "meeting_guest_sip_template_uuid",
        "twilio_trunk_sip_template_uuid",
    )
}


def delete_row(conn: sqlite3.Connection, sip_uuid: str) -> None:
    """Remove an endpoint or template and everything that pointed at it."""
    conn.execute("UPDATE trunks SET endpoint_sip_uuid = NULL WHERE endpoint_sip_uuid = ?", (sip_uuid,))
    for child in conn.execute("SELECT uuid, templates FROM endpoints").fetchall():
        parents = json.loads(child["templates"])
        if sip_uuid in parents:
            parents = [p for p in parents if p != sip_uuid]
            conn.execute(
                "UPDATE endpoints SET templates = ? WHERE uuid = ?", (json.dumps(parents), child["uuid"])
            )
    for column in _NULL_TEMPLATE_POINTER:
        conn.execute(_NULL_TEMPLATE_POINTER[column], (sip_uuid,))
    conn.execute("DELETE FROM sip_names WHERE owner_uuid = ?", (sip_uuid,))
    conn.execute("DELETE FROM endpoints WHERE uuid = ?", (sip_uuid,))
