"""Envelopes, body parsing, list parameters and /infos (CONTRACT 1, 4, 5, 9.5; transcript key findings 4-6,
#44, #45, #55-#59, #155, #156, #162-#173)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.sandbox._helpers import (
    ACME,
    MISSING,
    NO_BODY_MESSAGE,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_json_content_type,
    assert_list,
    assert_no_content,
    assert_unauthorized,
    check_missing_body_returns_error,
    check_search_errors,
    context,
    input_error,
    new_extension,
    new_incall,
    new_outcall,
    new_trunk,
)

COLLECTIONS = [
    "contexts",
    "trunks",
    "endpoints/sip",
    "endpoints/sip/templates",
    "outcalls",
    "extensions",
    "incalls",
    "sip/transports",
    "tenants",
]


# -- envelopes --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("collection", "body", "key"),
    [
        ("contexts", {"label": "X", "type": "outcall"}, "id"),
        ("trunks", {}, "id"),
        ("endpoints/sip", {}, "uuid"),
        ("endpoints/sip/templates", {}, "uuid"),
        ("outcalls", {"name": "x"}, "id"),
        ("incalls", {"destination": {"type": "none"}}, "id"),
    ],
)
def test_post_is_201_location_full_body(acme: Api, collection: str, body: dict[str, Any], key: str) -> None:
    """CONTRACT 4.1; key finding 4: 201, absolute Location, the full object (== GET)."""
    response = acme.post(collection, body)
    created = assert_created(response, acme, collection, key)
    assert response.headers["location"].startswith("http://127.0.0.1:")
    assert created["links"][0]["href"] == response.headers["location"]


def test_post_extension_201(acme: Api) -> None:
    """CONTRACT 4.1 for extensions."""
    assert_created(
        acme.post("extensions", {"exten": "_418.", "context": context(acme, "outcall")["name"]}),
        acme,
        "extensions",
    )


def test_put_and_delete_are_204_empty_json(acme: Api) -> None:
    """Key finding 4: item/association PUT and DELETE -> 204, empty body, Content-Type application/json."""
    outcall = new_outcall(acme, "o")
    trunk = new_trunk(acme)
    ext = new_extension(acme, "_418.", "outcall")
    responses = [
        acme.put(f"outcalls/{outcall['id']}", {"description": "d"}),
        acme.put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]}),
        acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {}),
        acme.delete(f"outcalls/{outcall['id']}/extensions/{ext['id']}"),
        acme.delete(f"extensions/{ext['id']}"),
        acme.delete(f"outcalls/{outcall['id']}"),
    ]
    for response in responses:
        assert_no_content(response)
        assert_json_content_type(response)


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_list_envelope(acme: Api, collection: str) -> None:
    """CONTRACT 4.1; key finding 4: `{"total", "items"}` only (no `filtered`), JSON content type."""
    response = acme.get(collection)
    assert response.status_code == 200
    assert_json_content_type(response)
    body = response.json()
    assert set(body) == {"total", "items"}
    assert body["total"] == len(body["items"])


def test_total_counts_before_limit_offset_transcript_166_167(acme: Api) -> None:
    """Transcript #166/#167/#176: `total` is the count after filters, before limit/offset."""
    for exten in ("_1.", "_2.", "_3.", "_4.", "_5."):
        new_extension(acme, exten, "outcall")
    first = assert_list(acme.get("extensions", params={"limit": 2}), 5)
    assert [e["exten"] for e in first] == ["_1.", "_2."]
    page = assert_list(acme.get("extensions", params={"limit": 2, "offset": 2}), 5)
    assert [e["exten"] for e in page] == ["_3.", "_4."]
    tail = assert_list(acme.get("extensions", params={"offset": 4}), 5)
    assert [e["exten"] for e in tail] == ["_5."]
    assert_list(acme.get("extensions", params={"offset": 10}), 5)
    assert [
        e["exten"] for e in assert_list(acme.get("extensions", params={"search": "_3", "limit": 1}), 1)
    ] == ["_3."]


def test_error_body_is_json_list(acme: Api) -> None:
    """CONTRACT 5: every confd error body is a JSON array of strings with Content-Type JSON."""
    for response in (
        acme.get("trunks/999999"),
        acme.post("outcalls", {}),
        acme.get("extensions", params={"order": "x"}),
    ):
        assert_json_content_type(response)
        body = response.json()
        assert isinstance(body, list)
        assert body
        assert all(isinstance(item, str) for item in body)


# -- body parsing -----------------------------------------------------------------------------------
def test_invalid_json_transcript_44(acme: Api) -> None:
    """Transcript #44: a body that is not JSON -> werkzeug text."""
    response = acme.request(
        "POST", "outcalls", content=b"name=foo", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, NO_BODY_MESSAGE)
    assert acme.items("outcalls") == []


def test_invalid_json_on_put(acme: Api) -> None:
    """CONTRACT 1: the same on PUT."""
    outcall = new_outcall(acme, "o")
    response = acme.request(
        "PUT", f"outcalls/{outcall['id']}", content=b"{'name':", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, NO_BODY_MESSAGE)


def test_json_list_body_transcript_45(acme: Api) -> None:
    """Transcript #45: a JSON list body -> treated as no fields (`name` missing)."""
    assert_error(acme.post("outcalls", []), 400, input_error("name", MISSING))


def test_missing_body(acme: Api) -> None:
    """CONTRACT 1: a missing body on POST/PUT -> 400 werkzeug text."""
    check_missing_body_returns_error(acme, "POST", "outcalls")
    check_missing_body_returns_error(acme, "POST", "trunks")
    outcall = new_outcall(acme, "o")
    check_missing_body_returns_error(acme, "PUT", f"outcalls/{outcall['id']}")


def test_null_body_is_empty_object(acme: Api) -> None:
    """CONTRACT 1: a JSON `null` body is turned into `{}` before validation."""
    null: dict[str, Any] = {"content": b"null", "headers": {"Content-Type": "application/json"}}
    assert_error(acme.request("POST", "outcalls", **null), 400, input_error("name", MISSING))
    created = assert_created(acme.request("POST", "trunks", **null), acme, "trunks")
    assert created["context"] is None


def test_body_parsed_whatever_content_type(acme: Api) -> None:
    """CONTRACT 1: since 25.15 bodies are parsed as JSON whatever the Content-Type."""
    response = acme.request(
        "POST", "outcalls", content=b'{"name": "plain"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "plain"


@pytest.mark.parametrize(
    ("collection", "body"),
    [
        ("outcalls", {"name": "acme-out-x", "bogus": 1}),
        ("extensions", {"exten": "_420.", "foo": "bar"}),
        ("trunks", {"name": "x", "description": "d"}),
        (
            "outcalls",
            {
                "name": "acme-out-y",
                "id": 42,
                "links": [],
                "tenant_uuid": "22222222-2222-4222-8222-222222222222",
            },
        ),
        (
            "incalls",
            {"destination": {"type": "none"}, "extensions": [{"id": 1}], "id": 7, "schedules": [{"id": 1}]},
        ),
        ("contexts", {"label": "x", "contexts": [{"id": 1}], "uuid": "x"}),
    ],
    ids=[
        "outcall-55",
        "extension-56",
        "trunk-57",
        "outcall-58-readonly",
        "incall-readonly",
        "context-readonly",
    ],
)
def test_unknown_and_read_only_keys_dropped(acme: Api, collection: str, body: dict[str, Any]) -> None:
    """Transcript #55-#58, key finding 6; CONTRACT 4.2: silently ignored on POST."""
    if collection == "extensions":
        body = {**body, "context": context(acme, "outcall")["name"]}
    created = acme.create(collection, body)
    assert created["tenant_uuid"] == ACME
    for key in ("bogus", "foo", "description" if collection == "trunks" else "bogus"):
        assert key not in created
    if "id" in body:
        assert created["id"] != body["id"]
    for relation in ("extensions", "schedules", "contexts"):
        if relation in body:
            assert created[relation] == []


def test_unknown_key_on_put_transcript_59(acme: Api) -> None:
    """Transcript #59: PUT with only unknown keys -> 204, nothing changes."""
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}", {"bogus": True})
    assert acme.ok_get(f"incalls/{incall['id']}") == incall


# -- list parameters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "collection", ["extensions", "outcalls", "trunks", "incalls", "contexts", "endpoints/sip"]
)
def test_search_errors_transcript_169_172(acme: Api, collection: str) -> None:
    """Transcript #169-#172; CONTRACT 4.3: order/direction/limit/offset errors."""
    check_search_errors(acme, collection)


def test_limit_zero_rejected(acme: Api) -> None:
    """CONTRACT 4.3: limit=0 passes the schema and is then rejected."""
    assert_error(
        acme.get("extensions", params={"limit": 0}),
        400,
        "Input Error - field 'limit': wrong type. Should be a positive number",
    )


def test_unknown_params_ignored_transcript_173(acme: Api) -> None:
    """Transcript #173: unknown query parameters are ignored."""
    new_extension(acme, "_418.", "outcall")
    assert_list(acme.get("extensions", params={"foo": "bar"}), 1)
    assert_list(acme.get("outcalls", params={"foo": "bar", "recurse": "false"}), 0)


def test_search_is_case_insensitive_substring(acme: Api) -> None:
    """CONTRACT 4.3: search is a case-insensitive substring over the search columns."""
    new_outcall(acme, "Provider-Out", description="Main Line")
    new_outcall(acme, "backup")
    assert [o["name"] for o in assert_list(acme.get("outcalls", params={"search": "provider"}), 1)] == [
        "Provider-Out"
    ]
    assert [o["name"] for o in assert_list(acme.get("outcalls", params={"search": "MAIN"}), 1)] == [
        "Provider-Out"
    ]
    assert_list(acme.get("outcalls", params={"search": "zzz"}), 0)


def test_exact_filters_are_exact(acme: Api) -> None:
    """CONTRACT 4.3: a search column as a parameter is an exact-match filter."""
    new_outcall(acme, "acme-out")
    new_outcall(acme, "acme-out-x")
    assert [o["name"] for o in assert_list(acme.get("outcalls", params={"name": "acme-out"}), 1)] == [
        "acme-out"
    ]
    assert_list(acme.get("outcalls", params={"name": "ACME-OUT"}), 0)
    assert_list(acme.get("outcalls", params={"name": "acme"}), 0)


def test_integer_filter_with_text_is_empty(acme: Api) -> None:
    """CONTRACT 4.3: an integer column given a non-integer returns an empty list."""
    trunk = new_trunk(acme)
    assert [t["id"] for t in assert_list(acme.get("trunks", params={"id": trunk["id"]}), 1)] == [trunk["id"]]
    assert_list(acme.get("trunks", params={"id": "abc"}), 0)


def test_order_and_direction(acme: Api) -> None:
    """Transcript #168; CONTRACT 4.3: order by a column, asc default, desc."""
    for name in ("b", "c", "a"):
        new_outcall(acme, name)
    assert [o["name"] for o in assert_list(acme.get("outcalls", params={"order": "name"}), 3)] == [
        "a",
        "b",
        "c",
    ]
    assert [
        o["name"] for o in assert_list(acme.get("outcalls", params={"order": "name", "direction": "desc"}), 3)
    ] == ["c", "b", "a"]
    assert [o["name"] for o in assert_list(acme.get("outcalls", params={"direction": "desc"}), 3)] == [
        "a",
        "c",
        "b",
    ]


# -- /infos -----------------------------------------------------------------------------------------
def test_infos_transcript_155(acme: Api) -> None:
    """Transcript #155; CONTRACT 9.5: {"uuid", "wazo_version"} of a PJSIP-generation server."""
    response = acme.get("infos")
    assert response.status_code == 200, response.text
    assert_json_content_type(response)
    body = response.json()
    assert set(body) == {"uuid", "wazo_version"}
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", body["uuid"])
    assert re.fullmatch(r"\d{2}\.\d{2}", body["wazo_version"])
    assert tuple(int(part) for part in body["wazo_version"].split(".")) >= (24, 15)


def test_infos_without_token_transcript_156(acme: Api) -> None:
    """Transcript #156: 401 without a token."""
    assert_unauthorized(httpx.get(acme.url("infos"), timeout=15))


def test_infos_same_for_every_tenant(acme: Api, other: Api) -> None:
    """CONTRACT 9.5: one server, one uuid/version."""
    assert acme.ok_get("infos") == other.ok_get("infos")


def test_unknown_route_is_404(acme: Api) -> None:
    """CONTRACT 1: a path that matches no route is 404."""
    assert acme.get("no-such-resource").status_code == 404
    assert_error_startswith(acme.get("trunks/999999"), 404, "Resource Not Found - ")


def test_api_spec_open_without_token(acme: Api) -> None:
    """Key finding 1, transcript #160; CONTRACT 1, 9.5: /api/api.yml is the one open route, and a
    PJSIP-generation spec has /endpoints/sip/templates and no /registers/sip."""
    response = httpx.get(acme.url("api/api.yml"), timeout=15)
    assert response.status_code == 200, response.text
    assert "/endpoints/sip/templates" in response.text
    assert "/registers/sip" not in response.text
