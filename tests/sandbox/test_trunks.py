"""Trunks (CONTRACT 6.6; transcript #9, #22, #33, #42, #57, #113-#115, #178, #179)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    NOT_BOOLEAN,
    NOT_NULL,
    NOT_STRING,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    check_bogus_field_returns_error,
    context,
    input_error,
    link,
    new_trunk,
    not_found,
    template,
    trunk_with_endpoint,
)

TRUNK_KEYS = {
    "id",
    "tenant_uuid",
    "context",
    "twilio_incoming",
    "outgoing_caller_id_format",
    "links",
    "endpoint_sip",
    "endpoint_iax",
    "endpoint_custom",
    "outcalls",
    "register_iax",
}


def test_create_in_incall_context(acme: Api) -> None:
    """Transcript #9: 201 + Location + the whole trunk with defaults."""
    incall = context(acme, "incall")
    created = assert_created(acme.post("trunks", {"context": incall["name"]}), acme, "trunks")
    assert created == {
        "id": created["id"],
        "tenant_uuid": ACME,
        "context": incall["name"],
        "twilio_incoming": False,
        "outgoing_caller_id_format": "+E164",
        "links": link(acme, "trunks", created["id"]),
        "endpoint_sip": None,
        "endpoint_custom": None,
        "endpoint_iax": None,
        "outcalls": [],
        "register_iax": None,
    }


def test_create_empty_body(acme: Api) -> None:
    """Transcript #42: no field is required; context null."""
    created = assert_created(acme.post("trunks", {}), acme, "trunks")
    assert set(created) == TRUNK_KEYS
    assert created["context"] is None
    assert created["outgoing_caller_id_format"] == "+E164"


def test_unknown_key_dropped_transcript_57(acme: Api) -> None:
    """Transcript #57; CONTRACT 4.2: `name`/`description` on a trunk are accepted and dropped."""
    incall = context(acme, "incall")
    created = acme.create("trunks", {"context": incall["name"], "name": "x", "description": "d", "id": 999})
    assert set(created) == TRUNK_KEYS
    assert created["id"] != 999


def test_context_must_exist(acme: Api) -> None:
    """CONTRACT 6.6/5: unknown context -> 400 Context was not found; label is not a name."""
    assert_error(
        acme.post("trunks", {"context": "no-such-context"}),
        400,
        "Input Error - field 'context': Context was not found ('context': 'no-such-context')",
    )
    assert_error(
        acme.post("trunks", {"context": "Acme incall"}),
        400,
        "Input Error - field 'context': Context was not found ('context': 'Acme incall')",
    )
    assert acme.items("trunks") == []


def test_context_not_a_string(acme: Api) -> None:
    """CONTRACT 4.2 (IT test_trunks error_checks context=123): `Not a valid string.`"""
    check_bogus_field_returns_error(acme, "POST", "trunks", "context", 123, NOT_STRING)


def test_context_of_other_tenant(acme: Api, other: Api) -> None:
    """CONTRACT 6.6: context of another tenant -> 400 `different tenants` (create and update)."""
    theirs = context(other, "incall")["name"]
    assert_error_startswith(
        acme.post("trunks", {"context": theirs}), 400, "Resource Error - different tenants ("
    )
    trunk = new_trunk(acme)
    assert_error_startswith(
        acme.put(f"trunks/{trunk['id']}", {"context": theirs}), 400, "Resource Error - different tenants ("
    )
    assert acme.ok_get(f"trunks/{trunk['id']}")["context"] == context(acme, "incall")["name"]
    assert other.items("trunks") == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("outgoing_caller_id_format", "e164", "Must be one of: +E164, E164, national."),
        ("outgoing_caller_id_format", None, NOT_NULL),
        ("twilio_incoming", "true", NOT_BOOLEAN),
        ("twilio_incoming", 1, NOT_BOOLEAN),
    ],
)
def test_field_errors(acme: Api, field: str, value: Any, message: str) -> None:
    """CONTRACT 6.6 field table; 4.2 strict booleans."""
    check_bogus_field_returns_error(acme, "POST", "trunks", field, value, message)
    trunk = new_trunk(acme)
    check_bogus_field_returns_error(acme, "PUT", f"trunks/{trunk['id']}", field, value, message)


@pytest.mark.parametrize("fmt", ["+E164", "E164", "national"])
def test_outgoing_caller_id_formats(acme: Api, fmt: str) -> None:
    """CONTRACT 6.6: the three formats are accepted."""
    assert acme.create("trunks", {"outgoing_caller_id_format": fmt})["outgoing_caller_id_format"] == fmt


def test_partial_put_transcript_113_115(acme: Api) -> None:
    """Transcript #113-#115: PUT with one field keeps the others (no default re-applied)."""
    trunk = new_trunk(acme)
    acme.ok_put(f"trunks/{trunk['id']}", {"outgoing_caller_id_format": "E164"})
    acme.ok_put(f"trunks/{trunk['id']}", {"context": context(acme, "incall")["name"]})
    got = acme.ok_get(f"trunks/{trunk['id']}")
    assert got == {**trunk, "outgoing_caller_id_format": "E164"}
    acme.ok_put(f"trunks/{trunk['id']}", {"twilio_incoming": True})
    got = acme.ok_get(f"trunks/{trunk['id']}")
    assert got["outgoing_caller_id_format"] == "E164"
    assert got["twilio_incoming"] is True
    acme.ok_put(f"trunks/{trunk['id']}", {"context": None})
    assert acme.ok_get(f"trunks/{trunk['id']}")["context"] is None


def test_embedded_endpoint_is_reduced_transcript_22(acme: Api) -> None:
    """Transcript #22 / key finding 11: embedded endpoint_sip: uuid, label, name, username, client_uri."""
    trunk, endpoint = trunk_with_endpoint(
        acme,
        "provider_trunk",
        label="Provider trunk",
        auth_section_options=[["username", "acct123"], ["password", "s3cret"]],
        registration_section_options=[
            ["server_uri", "sip:sip.provider.example"],
            ["client_uri", "sip:acct123@sip.provider.example"],
            ["expiration", "120"],
        ],
        outbound_auth_section_options=[["username", "acct123"], ["password", "s3cret"]],
        aor_section_options=[["contact", "sip:sip.provider.example"]],
        templates=[{"uuid": template(acme, "registration_trunk")["uuid"]}],
    )
    got = acme.ok_get(f"trunks/{trunk['id']}")
    assert got["endpoint_sip"] == {
        "uuid": endpoint["uuid"],
        "label": "Provider trunk",
        "name": "provider_trunk",
        "auth_section_options": [["username", "acct123"]],
        "registration_section_options": [["client_uri", "sip:acct123@sip.provider.example"]],
        "links": [{"rel": "endpoint_sip", "href": acme.url(f"endpoints/sip/{endpoint['uuid']}")}],
    }
    assert acme.items("trunks")[0]["endpoint_sip"] == got["endpoint_sip"]


def test_get_unknown_is_404(acme: Api) -> None:
    """Transcript #133 format."""
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": {}} if method == "PUT" else {}
        response = acme.request(method, "trunks/999999", **kwargs)
        assert_error(response, 404, not_found("Trunk", "'id': 999999"))


def test_list_filters(acme: Api) -> None:
    """CONTRACT 6.6 list; transcript #178/#179: name/label match the endpoint's; context exact."""
    with_endpoint, _ = trunk_with_endpoint(acme, "provider_trunk", label="Provider trunk")
    bare = acme.create("trunks", {})
    incall = context(acme, "incall")["name"]
    assert [t["id"] for t in assert_list(acme.get("trunks"), 2)] == [with_endpoint["id"], bare["id"]]
    assert [t["id"] for t in assert_list(acme.get("trunks", params={"name": "provider_trunk"}), 1)] == [
        with_endpoint["id"]
    ]
    assert [t["id"] for t in assert_list(acme.get("trunks", params={"label": "Provider trunk"}), 1)] == [
        with_endpoint["id"]
    ]
    assert [t["id"] for t in assert_list(acme.get("trunks", params={"search": "provider"}), 1)] == [
        with_endpoint["id"]
    ]
    assert [t["id"] for t in assert_list(acme.get("trunks", params={"context": incall}), 1)] == [
        with_endpoint["id"]
    ]
    assert_list(acme.get("trunks", params={"context": incall[:-1]}), 0)
    assert [
        t["id"] for t in assert_list(acme.get("trunks", params={"order": "id", "direction": "desc"}), 2)
    ] == [
        bare["id"],
        with_endpoint["id"],
    ]
    assert_list(acme.get("trunks", params={"outgoing_caller_id_format": "national"}), 0)


def test_delete_trunk(acme: Api) -> None:
    """CONTRACT 6.6: DELETE -> 204 empty, then 404."""
    trunk = new_trunk(acme)
    acme.ok_delete(f"trunks/{trunk['id']}")
    assert_error(acme.get(f"trunks/{trunk['id']}"), 404, not_found("Trunk", f"'id': {trunk['id']}"))


def test_put_body_validation_keeps_trunk(acme: Api) -> None:
    """CONTRACT 4.2: a failed PUT changes nothing."""
    trunk = new_trunk(acme)
    assert_error(
        acme.put(f"trunks/{trunk['id']}", {"outgoing_caller_id_format": "bogus", "twilio_incoming": True}),
        400,
        input_error("outgoing_caller_id_format", "Must be one of: +E164, E164, national."),
    )
    assert acme.ok_get(f"trunks/{trunk['id']}") == trunk
