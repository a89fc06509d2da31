"""Outcalls and outcall -> trunks (CONTRACT 6.8, 6.9; transcript #13, #14, #39, #55, #58, #92, #103-#107)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    MISSING,
    NOT_BOOLEAN,
    NOT_NULL,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    check_bogus_field_returns_error,
    input_error,
    link,
    new_outcall,
    new_trunk,
    not_found,
    trunk_with_endpoint,
)


# -- outcalls ---------------------------------------------------------------------------------------
def test_create_transcript_13(acme: Api) -> None:
    """Transcript #13: 201 + Location + defaults."""
    created = assert_created(acme.post("outcalls", {"name": "acme-out"}), acme, "outcalls")
    assert created == {
        "id": created["id"],
        "tenant_uuid": ACME,
        "name": "acme-out",
        "internal_caller_id": False,
        "preprocess_subroutine": None,
        "ring_time": None,
        "description": None,
        "enabled": True,
        "links": link(acme, "outcalls", created["id"]),
        "trunks": [],
        "extensions": [],
        "schedules": [],
        "call_permissions": [],
    }


def test_name_required_transcript_39(acme: Api) -> None:
    """Transcript #39: `{}` -> name missing."""
    assert_error(acme.post("outcalls", {}), 400, input_error("name", MISSING))
    assert_error(acme.post("outcalls", {"description": "x"}), 400, input_error("name", MISSING))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", None, NOT_NULL),
        ("name", 12, "Not a valid string."),
        ("name", "x" * 129, "Longer than maximum length 128."),
        ("enabled", "true", NOT_BOOLEAN),
        ("enabled", 1, NOT_BOOLEAN),
        ("enabled", None, NOT_NULL),
        ("internal_caller_id", "false", NOT_BOOLEAN),
        ("internal_caller_id", 0, NOT_BOOLEAN),
        ("internal_caller_id", None, NOT_NULL),
        ("ring_time", -1, "Must be greater than or equal to 0."),
        ("ring_time", "ten", "Not a valid integer."),
        ("preprocess_subroutine", "x" * 80, "Longer than maximum length 79."),
    ],
)
def test_field_errors(acme: Api, field: str, value: Any, message: str) -> None:
    """CONTRACT 6.8 field table; 4.2 strict booleans (strings and numbers rejected)."""
    base = {} if field == "name" else {"name": "ok"}
    check_bogus_field_returns_error(acme, "POST", "outcalls", field, value, message, base)
    assert acme.items("outcalls") == []


def test_nullable_fields(acme: Api) -> None:
    """CONTRACT 6.8: description, preprocess_subroutine, ring_time accept null."""
    created = acme.create(
        "outcalls", {"name": "n", "description": None, "preprocess_subroutine": None, "ring_time": None}
    )
    assert (created["description"], created["preprocess_subroutine"], created["ring_time"]) == (
        None,
        None,
        None,
    )


def test_ring_time_zero_reads_null(acme: Api) -> None:
    """CONTRACT 6.8, 12.17: ring_time 0 is stored as none and read back as null."""
    created = acme.create("outcalls", {"name": "zero", "ring_time": 0})
    assert created["ring_time"] is None
    acme.ok_put(f"outcalls/{created['id']}", {"ring_time": 30})
    assert acme.ok_get(f"outcalls/{created['id']}")["ring_time"] == 30
    acme.ok_put(f"outcalls/{created['id']}", {"ring_time": 0})
    assert acme.ok_get(f"outcalls/{created['id']}")["ring_time"] is None


def test_name_unique_across_tenants(acme: Api, other: Api) -> None:
    """CONTRACT 6.8, 7: duplicate name in any tenant -> 400 Outcall already exists."""
    acme.create("outcalls", {"name": "acme-out"})
    expected = "Resource Error - Outcall already exists ('name': 'acme-out')"
    assert_error(acme.post("outcalls", {"name": "acme-out"}), 400, expected)
    assert_error(other.post("outcalls", {"name": "acme-out"}), 400, expected)
    mine = acme.create("outcalls", {"name": "second"})
    assert_error(acme.put(f"outcalls/{mine['id']}", {"name": "acme-out"}), 400, expected)
    acme.ok_put(f"outcalls/{mine['id']}", {"name": "second"})


def test_unknown_and_read_only_fields_dropped(acme: Api) -> None:
    """Transcript #55/#58; CONTRACT 6.8: `bogus`, `id`, `context`, `trunks`, `tenant_uuid` ignored."""
    created = acme.create(
        "outcalls",
        {
            "name": "acme-out-x",
            "bogus": 1,
            "id": 42,
            "context": "whatever",
            "trunks": [{"id": 1}],
            "tenant_uuid": "x",
        },
    )
    assert created["id"] != 42
    assert created["trunks"] == []
    assert created["tenant_uuid"] == ACME
    assert "bogus" not in created
    assert "context" not in created


def test_partial_put_transcript_103_107(acme: Api) -> None:
    """Transcript #103-#107: PUT partial; `{}` no-op; `name: null` refused."""
    outcall = new_outcall(acme, "acme-out")
    acme.ok_put(
        f"outcalls/{outcall['id']}",
        {"name": "acme-out", "ring_time": 30, "description": "first", "internal_caller_id": True},
    )
    acme.ok_put(f"outcalls/{outcall['id']}", {"description": "second"})
    got = acme.ok_get(f"outcalls/{outcall['id']}")
    assert got == {**outcall, "ring_time": 30, "description": "second", "internal_caller_id": True}
    acme.ok_put(f"outcalls/{outcall['id']}", {})
    assert acme.ok_get(f"outcalls/{outcall['id']}") == got
    assert_error(acme.put(f"outcalls/{outcall['id']}", {"name": None}), 400, input_error("name", NOT_NULL))
    assert acme.ok_get(f"outcalls/{outcall['id']}") == got


def test_unknown_outcall_404(acme: Api) -> None:
    """CONTRACT 5 not found."""
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": {}} if method == "PUT" else {}
        assert_error(
            acme.request(method, "outcalls/999999", **kwargs), 404, not_found("Outcall", "'id': 999999")
        )


def test_delete_outcall(acme: Api) -> None:
    """CONTRACT 6.8: DELETE always allowed -> 204."""
    outcall = new_outcall(acme, "gone")
    acme.ok_delete(f"outcalls/{outcall['id']}")
    assert_error(acme.get(f"outcalls/{outcall['id']}"), 404, not_found("Outcall", f"'id': {outcall['id']}"))
    acme.create("outcalls", {"name": "gone"})  # the name is free again


# -- outcall trunks ------------------------------------------------------------------------------------
def test_set_trunks_ordered(acme: Api) -> None:
    """CONTRACT 6.9; transcript #14: PUT {"trunks": [...]} -> 204; `trunks` ordered by priority."""
    outcall = new_outcall(acme, "ordered")
    first, endpoint = trunk_with_endpoint(acme, "provider_a", label="A")
    second = new_trunk(acme)
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": second["id"]}, {"id": first["id"]}]})
    got = acme.ok_get(f"outcalls/{outcall['id']}")
    assert [t["id"] for t in got["trunks"]] == [second["id"], first["id"]]
    item = got["trunks"][1]
    assert set(item) == {"id", "tenant_uuid", "endpoint_sip", "endpoint_custom", "links"}
    assert item["endpoint_sip"]["uuid"] == endpoint["uuid"]
    assert item["links"] == link(acme, "trunks", first["id"])
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": first["id"]}, {"id": second["id"]}]})
    assert [t["id"] for t in acme.ok_get(f"outcalls/{outcall['id']}")["trunks"]] == [
        first["id"],
        second["id"],
    ]


def test_set_trunks_replaces_whole_list(acme: Api) -> None:
    """CONTRACT 6.9: the list is replaced whole; `{"trunks": []}` removes all."""
    outcall = new_outcall(acme, "replace")
    a, b, c = new_trunk(acme), new_trunk(acme), new_trunk(acme)
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": a["id"]}, {"id": b["id"]}]})
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": c["id"]}]})
    assert [t["id"] for t in acme.ok_get(f"outcalls/{outcall['id']}")["trunks"]] == [c["id"]]
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": []})
    assert acme.ok_get(f"outcalls/{outcall['id']}")["trunks"] == []


def test_trunk_lists_its_outcalls(acme: Api) -> None:
    """CONTRACT 6.9: a trunk may serve many outcalls; GET /trunks/{id} lists them (id, name, links)."""
    trunk = new_trunk(acme)
    one, two = new_outcall(acme, "one"), new_outcall(acme, "two")
    for outcall in (one, two):
        acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    outcalls = acme.ok_get(f"trunks/{trunk['id']}")["outcalls"]
    assert sorted(outcalls, key=lambda o: o["id"]) == [
        {"id": one["id"], "name": "one", "links": link(acme, "outcalls", one["id"])},
        {"id": two["id"], "name": "two", "links": link(acme, "outcalls", two["id"])},
    ]


def test_unknown_trunk_transcript_92(acme: Api) -> None:
    """Transcript #92: unknown trunk id -> 400 Input Error field 'trunks'; list unchanged."""
    outcall = new_outcall(acme, "o")
    trunk = new_trunk(acme)
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    assert_error(
        acme.put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": 999999}]}),
        400,
        "Input Error - field 'trunks': Trunk was not found ('id': 999999)",
    )
    assert [t["id"] for t in acme.ok_get(f"outcalls/{outcall['id']}")["trunks"]] == [trunk["id"]]


def test_invisible_trunk_not_found(acme: Api, other: Api) -> None:
    """CONTRACT 6.9: a trunk outside the visible tenants is `Trunk was not found`."""
    outcall = new_outcall(acme, "o")
    theirs = new_trunk(other)
    assert_error(
        acme.put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": theirs["id"]}]}),
        400,
        f"Input Error - field 'trunks': Trunk was not found ('id': {theirs['id']})",
    )


def test_duplicate_trunk(acme: Api) -> None:
    """CONTRACT 6.9: the same trunk twice -> 400 Operation not permitted."""
    outcall = new_outcall(acme, "o")
    trunk = new_trunk(acme)
    assert_error(
        acme.put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}, {"id": trunk["id"]}]}),
        400,
        "Resource Error - Operation not permitted. Cannot associate same trunk more than once",
    )
    assert acme.ok_get(f"outcalls/{outcall['id']}")["trunks"] == []


def test_trunk_of_different_tenant(master: Api, acme: Api, other: Api) -> None:
    """CONTRACT 6.9, 3: visible to a master token but another tenant -> 400 different tenants."""
    outcall = new_outcall(acme, "o")
    theirs = new_trunk(other)
    assert_error_startswith(
        master.put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": theirs["id"]}]}),
        400,
        "Resource Error - different tenants (",
    )


def test_trunks_body_errors(acme: Api) -> None:
    """CONTRACT 6.9: `trunks` required; each item needs an integer `id` (extra keys ignored)."""
    outcall = new_outcall(acme, "o")
    path = f"outcalls/{outcall['id']}/trunks"
    assert_error(acme.put(path, {}), 400, input_error("trunks", MISSING))
    assert_error_startswith(acme.put(path, {"trunks": [{}]}), 400, "Input Error - trunks: ", MISSING)
    assert_error_startswith(
        acme.put(path, {"trunks": [{"id": "abc"}]}), 400, "Input Error - trunks: ", "Not a valid integer."
    )
    assert_error_startswith(acme.put(path, {"trunks": {"id": 1}}), 400, "Input Error - trunks: ")
    trunk = new_trunk(acme)
    acme.ok_put(path, {"trunks": [{"id": trunk["id"], "priority": 9, "bogus": True}]})


def test_unknown_outcall_404_on_trunks(acme: Api) -> None:
    """CONTRACT 6.9: unknown outcall -> 404."""
    assert_error(
        acme.put("outcalls/999999/trunks", {"trunks": []}), 404, not_found("Outcall", "'id': 999999")
    )


def test_list_filters(acme: Api) -> None:
    """CONTRACT 6.8 list; transcript #176/#177: search, exact name, limit keeps total."""
    for name in ("acme-out", "acme-out-x", "acme-out-y"):
        new_outcall(acme, name, description=f"d-{name}")
    items = assert_list(acme.get("outcalls", params={"search": "acme", "limit": 1}), 3)
    assert [o["name"] for o in items] == ["acme-out"]
    assert [o["name"] for o in assert_list(acme.get("outcalls", params={"name": "acme-out"}), 1)] == [
        "acme-out"
    ]
    assert [
        o["name"] for o in assert_list(acme.get("outcalls", params={"description": "d-acme-out-y"}), 1)
    ] == ["acme-out-y"]
    assert [
        o["name"] for o in assert_list(acme.get("outcalls", params={"order": "name", "direction": "desc"}), 3)
    ] == [
        "acme-out-y",
        "acme-out-x",
        "acme-out",
    ]
