"""Incall destinations: per-type schemas, existence checks without tenant checks, read-only extras."""

from __future__ import annotations

import json
import sqlite3
import uuid
from functools import cache
from typing import Any

from sandbox import errors
from sandbox.generations import Generation
from sandbox.schema import (
    DictField,
    Email,
    Field,
    Float,
    Int,
    Invalid,
    Schema,
    Str,
    StrictBool,
    UUIDField,
    is_digit,
    length,
    one_of,
    regexp,
    value_range,
)

TYPES = [
    "application",
    "conference",
    "custom",
    "extension",
    "group",
    "hangup",
    "ivr",
    "none",
    "outcall",
    "queue",
    "sound",
    "switchboard",
    "user",
    "voicemail",
]
CONTEXT_REGEX = r"^[a-zA-Z0-9_-]{1,79}$"
COMMAND_REGEX = r"^(?!(try)?system\()[a-zA-Z]{3,}\((.*)\)$"
SKILL_RULE_VARIABLE = r"^[^[;\|]+$"


def _type() -> Field:
    return Str(required=True, validate=[one_of(TYPES)])


def _ring_time() -> Field:
    return Float(allow_none=True, validate=[value_range(min=0)])


def _queue_schema() -> Schema:
    return Schema(
        {
            "type": _type(),
            "queue_id": Int(required=True),
            "ring_time": _ring_time(),
            "skill_rule_id": Int(allow_none=True),
            "skill_rule_variables": DictField(allow_none=True),
        }
    )


def _user_schema(gen: Generation) -> Schema:
    fields: dict[str, Field] = {"type": _type(), "user_id": Int(required=True), "ring_time": _ring_time()}
    if gen.user_destination_moh:
        fields["moh_uuid"] = UUIDField(allow_none=True)
    return Schema(fields)


def _extension_schema(gen: Generation) -> Schema:
    return Schema(
        {
            "type": _type(),
            "exten": Str(required=True, validate=[regexp(r"^[0-9*#]{1,255}$")]),
            "context": Str(
                required=True, validate=[regexp(rf"^[a-zA-Z0-9_-]{{1,{gen.destination_context_max}}}$")]
            ),
        }
    )


SCHEMAS: dict[str, Schema] = {
    "none": Schema({"type": _type()}),
    "group": Schema({"type": _type(), "group_id": Int(required=True), "ring_time": _ring_time()}),
    "queue": _queue_schema(),
    "ivr": Schema({"type": _type(), "ivr_id": Int(required=True)}),
    "voicemail": Schema(
        {
            "type": _type(),
            "voicemail_id": Int(required=True),
            "skip_instructions": StrictBool(),
            "greeting": Str(allow_none=True, validate=[one_of(["busy", "unavailable"])]),
        }
    ),
    "conference": Schema({"type": _type(), "conference_id": Int(required=True)}),
    "switchboard": Schema(
        {"type": _type(), "switchboard_uuid": UUIDField(required=True), "ring_time": _ring_time()}
    ),
    "outcall": Schema(
        {
            "type": _type(),
            "outcall_id": Int(required=True),
            "exten": Str(required=True, validate=[is_digit, length(max=255)]),
        }
    ),
    "sound": Schema(
        {
            "type": _type(),
            "filename": Str(required=True, validate=[length(max=255)]),
            "skip": StrictBool(),
            "no_answer": StrictBool(),
        }
    ),
    "custom": Schema(
        {"type": _type(), "command": Str(required=True, validate=[regexp(COMMAND_REGEX), length(max=255)])}
    ),
}
HANGUP_BASE = Schema(
    {"type": _type(), "cause": Str(required=True, validate=[one_of(["busy", "congestion", "normal"])])}
)
HANGUP_TIMEOUT = Schema(
    {
        "type": _type(),
        "cause": Str(required=True, validate=[one_of(["busy", "congestion", "normal"])]),
        "timeout": Float(allow_none=True, validate=[value_range(min=0)]),
    }
)
APPLICATIONS = ["callback_disa", "custom", "directory", "disa", "fax_to_mail", "voicemail"]


def _application_schema(extra: dict[str, Field]) -> Schema:
    return Schema(
        {"type": _type(), "application": Str(required=True, validate=[one_of(APPLICATIONS)]), **extra}
    )


def _pin() -> Field:
    return Str(allow_none=True, validate=[is_digit, length(max=40)])


def _context() -> Field:
    return Str(required=True, validate=[regexp(CONTEXT_REGEX)])


APPLICATION_SCHEMAS = {
    "callback_disa": _application_schema({"pin": _pin(), "context": _context()}),
    "custom": _application_schema({"application_uuid": UUIDField(required=True)}),
    "directory": _application_schema({"context": _context()}),
    "disa": _application_schema({"pin": _pin(), "context": _context()}),
    "fax_to_mail": _application_schema({"email": Email(required=True, validate=[length(max=80)])}),
    "voicemail": _application_schema({"context": _context()}),
}
APPLICATION_BASE = _application_schema({})
BASE = Schema({"type": _type()})


@cache
def _generation_schemas(gen: Generation) -> dict[str, Schema]:
    return {**SCHEMAS, "user": _user_schema(gen), "extension": _extension_schema(gen)}


class DestinationField(Field):
    """The `destination` object: its type picks the schema that validates the rest."""

    def __init__(self, gen: Generation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schemas = _generation_schemas(gen)

    def convert(self, value: Any) -> Any:
        base = BASE.load(value)
        kind = base["type"]
        if kind == "application":
            application = APPLICATION_BASE.load(value)["application"]
            data = APPLICATION_SCHEMAS[application].load(value)
        elif kind == "hangup":
            cause = HANGUP_BASE.load(value)["cause"]
            data = (HANGUP_TIMEOUT if cause in ("busy", "congestion") else HANGUP_BASE).load(value)
        elif kind == "queue":
            data = self.schemas["queue"].load(value)
            variables = data.get("skill_rule_variables")
            if variables:
                if not data.get("skill_rule_id"):
                    raise Invalid(
                        {
                            "skill_rule_id": [
                                "Missing data for required field. When `skill_rule_variables` is defined"
                            ]
                        }
                    )
                check = regexp(SKILL_RULE_VARIABLE)
                for key, item in variables.items():
                    if not isinstance(item, str) or check(key) or check(item):
                        raise Invalid({"skill_rule_variables": ["String does not match expected pattern."]})
        else:
            data = self.schemas[kind].load(value)
        return data


def _target(conn: sqlite3.Connection, kind: str, **where: Any) -> sqlite3.Row | None:
    if "id" in where:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM targets WHERE kind = ? AND id = ?", (kind, where["id"])
        ).fetchone()
        return row
    found: sqlite3.Row | None = conn.execute(
        "SELECT * FROM targets WHERE kind = ? AND uuid = ?", (kind, where["uuid"])
    ).fetchone()
    return found


def validate_and_store(conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Check referenced objects exist (in any tenant, as confd does) and return the stored form."""
    kind = data["type"]
    stored: dict[str, Any] = {}
    for key, value in data.items():
        stored[key] = str(value) if isinstance(value, uuid.UUID) else value

    def missing(resource: str, value: Any, field: str = "actionarg1") -> errors.InputError:
        return errors.param_not_found(field, resource, **{field: value})

    id_kinds = {
        "group": ("group_id", "group", "Group"),
        "ivr": ("ivr_id", "ivr", "IVR"),
        "voicemail": ("voicemail_id", "voicemail", "Voicemail"),
        "conference": ("conference_id", "conference", "Conference"),
        "queue": ("queue_id", "queue", "Queue"),
    }
    if kind == "user":
        if conn.execute("SELECT 1 FROM users WHERE id = ?", (data["user_id"],)).fetchone() is None:
            raise missing("User", data["user_id"])
        if data.get("moh_uuid") is not None and _target(conn, "moh", uuid=str(data["moh_uuid"])) is None:
            raise missing("MOH", str(data["moh_uuid"]), "moh_uuid")
    elif kind in id_kinds:
        field, target_kind, resource = id_kinds[kind]
        if _target(conn, target_kind, id=data[field]) is None:
            raise missing(resource, data[field])
        skill_rule = data.get("skill_rule_id") if kind == "queue" else None
        if skill_rule and _target(conn, "skill_rule", id=skill_rule) is None:
            raise missing("SkillRule", data["skill_rule_id"], "skill_rule_id")
    elif kind == "outcall":
        if conn.execute("SELECT 1 FROM outcalls WHERE id = ?", (data["outcall_id"],)).fetchone() is None:
            raise missing("Outcall", data["outcall_id"])
    elif kind == "switchboard":
        if _target(conn, "switchboard", uuid=str(data["switchboard_uuid"])) is None:
            raise missing("Switchboard", data["switchboard_uuid"])
    elif (
        kind == "application"
        and data["application"] == "custom"
        and _target(conn, "application", uuid=str(data["application_uuid"])) is None
    ):
        raise missing("Application", data["application_uuid"])
    return stored


def render(conn: sqlite3.Connection, stored: dict[str, Any], gen: Generation) -> dict[str, Any]:
    """The destination as confd dumps it, with the referenced object's names added."""
    kind = stored["type"]

    def target_data(target_kind: str, **where: Any) -> dict[str, Any]:
        row = _target(conn, target_kind, **where)
        return json.loads(row["data"]) if row is not None else {}

    if kind == "user":
        user = conn.execute(
            "SELECT firstname, lastname FROM users WHERE id = ?", (stored["user_id"],)
        ).fetchone()
        result: dict[str, Any] = {
            "type": "user",
            "ring_time": stored.get("ring_time"),
            "user_id": stored["user_id"],
        }
        if gen.user_destination_moh:
            result = {"moh_uuid": stored.get("moh_uuid"), **result}
        if user is not None:
            result["user_firstname"] = user["firstname"]
            result["user_lastname"] = user["lastname"]
        return result
    if kind == "group":
        group = target_data("group", id=stored["group_id"])
        result = {"type": "group", "ring_time": stored.get("ring_time"), "group_id": stored["group_id"]}
        if group:
            result["group_name"] = group["name"]
            result["group_label"] = group["label"]
        return result
    if kind == "queue":
        queue = target_data("queue", id=stored["queue_id"])
        result = {
            "type": "queue",
            "ring_time": stored.get("ring_time"),
            "queue_id": stored["queue_id"],
            "skill_rule_id": stored.get("skill_rule_id"),
            "skill_rule_variables": stored.get("skill_rule_variables") or None,
        }
        if queue:
            result["queue_label"] = queue["label"]
        return result
    if kind in ("ivr", "conference"):
        found = target_data(kind, id=stored[f"{kind}_id"])
        result = {"type": kind, f"{kind}_id": stored[f"{kind}_id"]}
        if found:
            result[f"{kind}_name"] = found["name"]
        return result
    if kind == "voicemail":
        voicemail = target_data("voicemail", id=stored["voicemail_id"])
        result = {
            "type": "voicemail",
            "voicemail_id": stored["voicemail_id"],
            "skip_instructions": bool(stored.get("skip_instructions", False)),
            "greeting": stored.get("greeting"),
        }
        if voicemail:
            result["voicemail_name"] = voicemail["name"]
        return result
    if kind == "switchboard":
        switchboard = target_data("switchboard", uuid=stored["switchboard_uuid"])
        result = {
            "type": "switchboard",
            "ring_time": stored.get("ring_time"),
            "switchboard_uuid": stored["switchboard_uuid"],
        }
        if switchboard:
            result["switchboard_name"] = switchboard["name"]
        return result
    if kind == "outcall":
        return {"type": "outcall", "outcall_id": stored["outcall_id"], "exten": stored["exten"]}
    if kind == "extension":
        return {"context": stored["context"], "type": "extension", "exten": stored["exten"]}
    if kind == "sound":
        return {
            "type": "sound",
            "filename": stored["filename"],
            "skip": bool(stored.get("skip", False)),
            "no_answer": bool(stored.get("no_answer", False)),
        }
    if kind == "custom":
        return {"type": "custom", "command": stored["command"]}
    if kind == "hangup":
        result = {"type": "hangup", "cause": stored["cause"]}
        if stored["cause"] in ("busy", "congestion"):
            result["timeout"] = stored.get("timeout")
        return result
    if kind == "application":
        result = {key: value for key, value in stored.items() if key != "type"}
        result = {"type": "application", **result}
        if stored["application"] in ("callback_disa", "disa"):
            result.setdefault("pin", None)
        if stored["application"] == "custom":
            application = target_data("application", uuid=stored["application_uuid"])
            if application:
                result["application_name"] = application["name"]
        return result
    return {"type": "none"}


def references_user(stored: dict[str, Any], user_id: int) -> bool:
    return stored.get("type") == "user" and stored.get("user_id") == user_id
