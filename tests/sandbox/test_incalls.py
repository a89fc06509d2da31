"""Incalls and their destinations (CONTRACT 6.12).

Transcript #20, #29, #40, #59-#67, #108-#112, #151, #153, #154, #174, #175.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.seed import target_id, target_uuid
from tests.sandbox._helpers import (
    ACME,
    ALICE,
    MISSING,
    OTHER,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    context,
    input_error,
    link,
    new_extension,
    new_incall,
    new_outcall,
    not_found,
)

UNKNOWN_UUID = "00000000-0000-4000-8000-00000000beef"


def test_create_user_destination_transcript_20(acme: Api) -> None:
    """Transcript #20: 201 + Location; the user destination gains moh_uuid, ring_time, names."""
    created = assert_created(
        acme.post("incalls", {"destination": {"type": "user", "user_id": ALICE}}), acme, "incalls"
    )
    assert created == {
        "id": created["id"],
        "tenant_uuid": ACME,
        "preprocess_subroutine": None,
        "greeting_sound": None,
        "caller_id_mode": None,
        "caller_id_name": None,
        "description": None,
        "destination": {
            "type": "user",
            "user_id": ALICE,
            "ring_time": None,
            "moh_uuid": None,
            "user_firstname": "Alice",
            "user_lastname": "Acme",
        },
        "links": link(acme, "incalls", created["id"]),
        "extensions": [],
        "schedules": [],
    }


def test_destination_required_transcript_40(acme: Api) -> None:
    """Transcript #40: incall needs `destination`; null refused."""
    assert_error(acme.post("incalls", {}), 400, input_error("destination", MISSING))
    assert_error(
        acme.post("incalls", {"destination": None}), 400, input_error("destination", "Field may not be null.")
    )


# -- every destination type: a valid case ------------------------------------------------------------
def _valid_destinations(acme: Api) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(destination sent, keys and values expected in the answer) per type (CONTRACT 6.12 table)."""
    outcall = new_outcall(acme, "dest-out")
    internal = context(acme, "internal")["name"]
    return [
        ({"type": "none"}, {"type": "none"}),
        (
            {"type": "user", "user_id": ALICE, "ring_time": 25, "moh_uuid": target_uuid("moh", "acme")},
            {"type": "user", "user_id": ALICE, "ring_time": 25.0, "moh_uuid": target_uuid("moh", "acme")},
        ),
        (
            {"type": "group", "group_id": target_id("group", "acme"), "ring_time": 10},
            {"type": "group", "group_id": target_id("group", "acme"), "group_name": str, "group_label": str},
        ),
        (
            {
                "type": "queue",
                "queue_id": target_id("queue", "acme"),
                "ring_time": 5,
                "skill_rule_id": target_id("skill_rule", "acme"),
                "skill_rule_variables": {"lang": "fr"},
            },
            {"type": "queue", "queue_id": target_id("queue", "acme"), "queue_label": str},
        ),
        (
            {"type": "ivr", "ivr_id": target_id("ivr", "acme")},
            {"type": "ivr", "ivr_id": target_id("ivr", "acme"), "ivr_name": str},
        ),
        (
            {
                "type": "voicemail",
                "voicemail_id": target_id("voicemail", "acme"),
                "skip_instructions": True,
                "greeting": "busy",
            },
            {
                "type": "voicemail",
                "voicemail_id": target_id("voicemail", "acme"),
                "skip_instructions": True,
                "greeting": "busy",
                "voicemail_name": str,
            },
        ),
        (
            {"type": "conference", "conference_id": target_id("conference", "acme")},
            {"type": "conference", "conference_id": target_id("conference", "acme"), "conference_name": str},
        ),
        (
            {"type": "switchboard", "switchboard_uuid": target_uuid("switchboard", "acme"), "ring_time": 3},
            {
                "type": "switchboard",
                "switchboard_uuid": target_uuid("switchboard", "acme"),
                "switchboard_name": str,
            },
        ),
        (
            {"type": "outcall", "outcall_id": outcall["id"], "exten": "5551234"},
            {"type": "outcall", "outcall_id": outcall["id"], "exten": "5551234"},
        ),
        (
            {"type": "extension", "exten": "1001", "context": internal},
            {"type": "extension", "exten": "1001", "context": internal},
        ),
        (
            {"type": "sound", "filename": "welcome", "skip": True, "no_answer": False},
            {"type": "sound", "filename": "welcome", "skip": True},
        ),
        ({"type": "custom", "command": "Playback(toto)"}, {"type": "custom", "command": "Playback(toto)"}),
        ({"type": "hangup", "cause": "normal"}, {"type": "hangup", "cause": "normal"}),
        (
            {"type": "hangup", "cause": "busy", "timeout": 5},
            {"type": "hangup", "cause": "busy", "timeout": 5},
        ),
        (
            {
                "type": "application",
                "application": "custom",
                "application_uuid": target_uuid("application", "acme"),
            },
            {
                "type": "application",
                "application": "custom",
                "application_uuid": target_uuid("application", "acme"),
                "application_name": str,
            },
        ),
        (
            {"type": "application", "application": "fax_to_mail", "email": "fax@acme.example"},
            {"type": "application", "application": "fax_to_mail"},
        ),
        (
            {"type": "application", "application": "disa", "context": internal, "pin": "1234"},
            {"type": "application", "application": "disa"},
        ),
        (
            {"type": "application", "application": "directory", "context": internal},
            {"type": "application", "application": "directory"},
        ),
    ]


DESTINATION_IDS = [
    "none", "user", "group", "queue", "ivr", "voicemail", "conference", "switchboard", "outcall",
    "extension", "sound", "custom", "hangup-normal", "hangup-busy", "app-custom", "app-fax", "app-disa",
    "app-directory",
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(DESTINATION_IDS)), ids=DESTINATION_IDS)
def test_destination_valid(acme: Api, index: int) -> None:
    """CONTRACT 6.12 destinations table: a valid destination of each type -> 201, read back."""
    sent, expected = _valid_destinations(acme)[index]
    created = acme.create("incalls", {"destination": sent})
    got = acme.ok_get(f"incalls/{created['id']}")["destination"]
    assert got == created["destination"]
    for key, value in expected.items():
        assert key in got, (key, got)
        if value is str:
            assert isinstance(got[key], str), (key, got)
        else:
            assert got[key] == value, (key, got)
    if sent["type"] == "none":
        assert got == {"type": "none"}


def test_ring_time_is_a_float_transcript_110(acme: Api) -> None:
    """Transcript #108/#110: the user destination's ring_time reads back as a float (25.0)."""
    created = new_incall(acme, {"type": "user", "user_id": ALICE, "ring_time": 25})
    ring_time = acme.ok_get(f"incalls/{created['id']}")["destination"]["ring_time"]
    assert isinstance(ring_time, float)
    assert ring_time == 25.0


# -- every destination type: an invalid case ----------------------------------------------------------
def test_unknown_user_transcript_60(acme: Api) -> None:
    """Transcript #60: the internal field name leaks."""
    assert_error(
        acme.post("incalls", {"destination": {"type": "user", "user_id": 999999}}),
        400,
        "Input Error - field 'actionarg1': User was not found ('actionarg1': 999999)",
    )


@pytest.mark.parametrize(
    ("destination", "resource"),
    [
        ({"type": "group", "group_id": 999999}, "Group"),
        ({"type": "queue", "queue_id": 999999}, "Queue"),
        ({"type": "ivr", "ivr_id": 999999}, ""),
        ({"type": "voicemail", "voicemail_id": 999999}, "Voicemail"),
        ({"type": "conference", "conference_id": 999999}, "Conference"),
        ({"type": "switchboard", "switchboard_uuid": UNKNOWN_UUID}, "Switchboard"),
        ({"type": "outcall", "outcall_id": 999999, "exten": "1234"}, "Outcall"),
    ],
    ids=["group", "queue", "ivr", "voicemail", "conference", "switchboard", "outcall"],
)
def test_destination_target_must_exist(acme: Api, destination: dict[str, Any], resource: str) -> None:
    """CONTRACT 6.12: referenced ids are checked for existence -> 400 field 'actionarg1'."""
    response = acme.post("incalls", {"destination": destination})
    assert_error_startswith(response, 400, f"Input Error - field 'actionarg1': {resource}", "was not found")
    assert acme.items("incalls") == []


@pytest.mark.parametrize(
    "destination",
    [
        {"type": "user", "user_id": ALICE, "moh_uuid": UNKNOWN_UUID},
        {"type": "application", "application": "custom", "application_uuid": UNKNOWN_UUID},
        {"type": "queue", "queue_id": 1, "skill_rule_id": 999999},
    ],
    ids=["moh", "app-custom", "skill-rule"],
)
def test_destination_secondary_reference_must_exist(acme: Api, destination: dict[str, Any]) -> None:
    """CONTRACT 6.12: moh_uuid / application_uuid / skill rule must exist."""
    assert_error_startswith(
        acme.post("incalls", {"destination": destination}), 400, "Input Error - field '", "was not found"
    )


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        (
            {"type": "nonsense"},
            "{'type': ['Must be one of: application, conference, custom, extension, group, hangup, ivr, "
            "none, outcall, queue, sound, switchboard, user, voicemail.']}",
        ),
        ({"type": "user"}, "{'user_id': ['Missing data for required field.']}"),
        ({}, "{'type': ['Missing data for required field.']}"),
        ({"type": "hangup"}, "{'cause': ['Missing data for required field.']}"),
        ({"type": "group"}, "{'group_id': ['Missing data for required field.']}"),
        ({"type": "queue"}, "{'queue_id': ['Missing data for required field.']}"),
        ({"type": "ivr"}, "{'ivr_id': ['Missing data for required field.']}"),
        ({"type": "voicemail"}, "{'voicemail_id': ['Missing data for required field.']}"),
        ({"type": "conference"}, "{'conference_id': ['Missing data for required field.']}"),
        ({"type": "switchboard"}, "{'switchboard_uuid': ['Missing data for required field.']}"),
        ({"type": "sound"}, "{'filename': ['Missing data for required field.']}"),
        ({"type": "custom"}, "{'command': ['Missing data for required field.']}"),
        ({"type": "application"}, "{'application': ['Missing data for required field.']}"),
        ({"type": "user", "user_id": "abc"}, "{'user_id': ['Not a valid integer.']}"),
    ],
    ids=[
        "type-61",
        "user-62",
        "no-type",
        "hangup-64",
        "group",
        "queue",
        "ivr",
        "voicemail",
        "conference",
        "switchboard",
        "sound",
        "custom",
        "application",
        "user-id-type",
    ],
)
def test_destination_schema_errors_exact(acme: Api, destination: dict[str, Any], expected: str) -> None:
    """Transcript #61/#62/#64; CONTRACT 6.12: `Input Error - destination: {...}`."""
    assert_error(
        acme.post("incalls", {"destination": destination}), 400, f"Input Error - destination: {expected}"
    )


def test_destination_is_a_string_transcript_63(acme: Api) -> None:
    """Transcript #63."""
    assert_error(
        acme.post("incalls", {"destination": "user"}),
        400,
        "Input Error - destination: {'_schema': ['Invalid input type.']}",
    )


@pytest.mark.parametrize(
    ("destination", "field"),
    [
        ({"type": "user", "user_id": ALICE, "ring_time": -1}, "ring_time"),
        ({"type": "group", "group_id": 1, "ring_time": -1}, "ring_time"),
        ({"type": "queue", "queue_id": 1, "skill_rule_variables": {"a": "b"}}, ""),
        ({"type": "queue", "queue_id": 1, "skill_rule_id": 1, "skill_rule_variables": {"a;": "b"}}, ""),
        ({"type": "voicemail", "voicemail_id": 1, "greeting": "always"}, "greeting"),
        ({"type": "voicemail", "voicemail_id": 1, "skip_instructions": "yes"}, "skip_instructions"),
        ({"type": "switchboard", "switchboard_uuid": "not-a-uuid"}, "switchboard_uuid"),
        ({"type": "outcall", "outcall_id": 1, "exten": "+1555"}, "exten"),
        ({"type": "outcall", "outcall_id": 1}, "exten"),
        ({"type": "extension", "exten": "abc", "context": "default"}, "exten"),
        ({"type": "extension", "exten": "1001", "context": "bad context!"}, "context"),
        ({"type": "sound", "filename": "x" * 256}, "filename"),
        ({"type": "sound", "filename": "a", "skip": "yes"}, "skip"),
        ({"type": "custom", "command": "system(rm -rf /)"}, "command"),
        ({"type": "custom", "command": "trysystem(ls)"}, "command"),
        ({"type": "custom", "command": "Pl(x)"}, "command"),
        ({"type": "hangup", "cause": "bored"}, "cause"),
        ({"type": "hangup", "cause": "busy", "timeout": -1}, "timeout"),
        ({"type": "application", "application": "teleport"}, "application"),
        ({"type": "application", "application": "disa"}, "context"),
        ({"type": "application", "application": "disa", "context": "x", "pin": "12a"}, "pin"),
        ({"type": "application", "application": "custom"}, "application_uuid"),
        ({"type": "application", "application": "fax_to_mail", "email": "x" * 81}, "email"),
    ],
)
def test_destination_schema_errors(acme: Api, destination: dict[str, Any], field: str) -> None:
    """CONTRACT 6.12 destinations table: each type's own rules."""
    response = acme.post("incalls", {"destination": destination})
    assert_error_startswith(response, 400, "Input Error - destination: {", f"'{field}'" if field else "")
    assert acme.items("incalls") == []


def test_unknown_keys_in_destination_ignored(acme: Api) -> None:
    """CONTRACT 6.12: unknown keys inside the destination are ignored."""
    created = new_incall(acme, {"type": "hangup", "cause": "normal", "bogus": 1})
    assert created["destination"] == {"type": "hangup", "cause": "normal"}


def test_no_tenant_check_on_destination_transcript_67(other: Api) -> None:
    """Transcript #67; CONTRACT 6.12, 12.19: another tenant's user is NOT rejected."""
    created = other.create("incalls", {"destination": {"type": "user", "user_id": ALICE}})
    assert created["tenant_uuid"] == OTHER
    assert created["destination"]["user_firstname"] == "Alice"
    for kind in ("group", "queue", "ivr", "voicemail", "conference"):
        other.create("incalls", {"destination": {"type": kind, f"{kind}_id": target_id(kind, "acme")}})


# -- fields, partial PUT -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("caller_id_mode", "replace"),
        ("caller_id_name", "x" * 81),
        ("preprocess_subroutine", "x" * 80),
        ("greeting_sound", "x" * 256),
        ("description", 5),
    ],
)
def test_field_errors(acme: Api, field: str, value: Any) -> None:
    """CONTRACT 6.12 field table."""
    response = acme.post("incalls", {"destination": {"type": "none"}, field: value})
    assert_error_startswith(response, 400, f"Input Error - {field}: ")


def test_caller_id_modes(acme: Api) -> None:
    """CONTRACT 6.12: prepend / overwrite / append / null."""
    for mode in ("prepend", "overwrite", "append", None):
        assert new_incall(acme, caller_id_mode=mode)["caller_id_mode"] == mode
    assert_error(
        acme.post("incalls", {"destination": {"type": "none"}, "caller_id_mode": "replace"}),
        400,
        input_error("caller_id_mode", "Must be one of: prepend, overwrite, append."),
    )


def test_put_unknown_field_transcript_59(acme: Api) -> None:
    """Transcript #59: PUT {"bogus": true} -> 204, nothing changes."""
    created = new_incall(acme, {"type": "user", "user_id": ALICE})
    acme.ok_put(f"incalls/{created['id']}", {"bogus": True})
    assert acme.ok_get(f"incalls/{created['id']}") == created


def test_partial_put_keeps_destination_transcript_109(acme: Api) -> None:
    """Transcript #108-#110: PUT without destination keeps it; other fields kept."""
    created = new_incall(acme, {"type": "user", "user_id": ALICE})
    acme.ok_put(
        f"incalls/{created['id']}",
        {
            "destination": {"type": "user", "user_id": ALICE, "ring_time": 25},
            "caller_id_mode": "prepend",
            "caller_id_name": "ACME",
            "description": "first",
        },
    )
    acme.ok_put(f"incalls/{created['id']}", {"description": "main DID"})
    got = acme.ok_get(f"incalls/{created['id']}")
    assert got["description"] == "main DID"
    assert got["caller_id_mode"] == "prepend"
    assert got["caller_id_name"] == "ACME"
    assert got["destination"]["ring_time"] == 25.0


def test_destination_replaced_whole_transcript_111_112(acme: Api) -> None:
    """Transcript #111/#112: a provided destination replaces the old one whole (ring_time -> null)."""
    created = new_incall(acme, {"type": "user", "user_id": ALICE, "ring_time": 25})
    acme.ok_put(f"incalls/{created['id']}", {"destination": {"type": "user", "user_id": ALICE}})
    assert acme.ok_get(f"incalls/{created['id']}")["destination"]["ring_time"] is None
    acme.ok_put(f"incalls/{created['id']}", {"destination": {"type": "hangup", "cause": "normal"}})
    assert acme.ok_get(f"incalls/{created['id']}")["destination"] == {"type": "hangup", "cause": "normal"}


def test_put_destination_validated(acme: Api) -> None:
    """CONTRACT 6.12: destination rules apply on PUT; a failed PUT changes nothing."""
    created = new_incall(acme, {"type": "user", "user_id": ALICE})
    assert_error(
        acme.put(f"incalls/{created['id']}", {"destination": {"type": "user", "user_id": 999999}}),
        400,
        "Input Error - field 'actionarg1': User was not found ('actionarg1': 999999)",
    )
    assert_error(
        acme.put(f"incalls/{created['id']}", {"destination": None}),
        400,
        input_error("destination", "Field may not be null."),
    )
    assert acme.ok_get(f"incalls/{created['id']}") == created


def test_deleted_user_gives_type_none_transcript_153_154(acme: Api) -> None:
    """Transcript #153/#154: deleting the destination user -> the destination reads {"type": "none"}."""
    created = new_incall(acme, {"type": "user", "user_id": ALICE}, description="main DID")
    response = acme.delete(f"users/{ALICE}")
    assert response.status_code == 204, response.text
    got = acme.ok_get(f"incalls/{created['id']}")
    assert got["destination"] == {"type": "none"}
    assert got["description"] == "main DID"


def test_unknown_incall_404_transcript_151(acme: Api) -> None:
    """Transcript #151."""
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": {}} if method == "PUT" else {}
        assert_error(
            acme.request(method, "incalls/999999", **kwargs), 404, not_found("Incall", "'id': 999999")
        )


def test_list_filters_transcript_174_175(acme: Api) -> None:
    """Transcript #174/#175; CONTRACT 6.12: search, exten, user_id, default order exten."""
    alice = new_incall(acme, {"type": "user", "user_id": ALICE}, description="alice line")
    bob = new_incall(acme, {"type": "user", "user_id": 2})
    hang = new_incall(acme, {"type": "hangup", "cause": "normal"})
    for incall, exten in ((alice, "5551234567"), (bob, "5551230001")):
        ext = new_extension(acme, exten, "incall")
        acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    assert [i["id"] for i in assert_list(acme.get("incalls", params={"exten": "5551234567"}), 1)] == [
        alice["id"]
    ]
    assert [i["id"] for i in assert_list(acme.get("incalls", params={"user_id": ALICE}), 1)] == [alice["id"]]
    assert [i["id"] for i in assert_list(acme.get("incalls", params={"search": "555123"}), 2)] == [
        bob["id"],
        alice["id"],
    ]
    assert [i["id"] for i in assert_list(acme.get("incalls", params={"description": "alice line"}), 1)] == [
        alice["id"]
    ]
    ordered = [i["id"] for i in assert_list(acme.get("incalls"), 3)]
    assert ordered[:2] == [bob["id"], alice["id"]]
    assert hang["id"] in ordered
