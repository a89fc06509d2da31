"""Shared scenario helpers for the sandbox contract tests.

Written from docs/confd-contract.md and from requests captured from a real wazo-confd, not from the
sandbox code: every expectation here is what the real wazo-confd 1.1 / wazo-auth 0.1 does. In the
suite, "CONTRACT n" is section n of docs/confd-contract.md, and "transcript #n" is request n of that
capture, summarised in docs/confd-contract.md section 13.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

# -- seeded data (docs/architecture.md "Seeded data") -------------------------------------------
MASTER = "aaaaaaaa-0000-4000-8000-000000000001"
ACME = "11111111-1111-4111-8111-111111111111"
OTHER = "22222222-2222-4222-8222-222222222222"
BARE = "33333333-3333-4333-8333-333333333333"
UNKNOWN_TENANT = "99999999-9999-4999-8999-999999999999"

CREDENTIALS: dict[str, tuple[str, str]] = {
    "root": ("root", "root-secret"),
    "acme-admin": ("acme-admin", "acme-secret"),
    "acme-readonly": ("acme-readonly", "readonly-secret"),
    "acme-noacl": ("acme-noacl", "noacl-secret"),
    "other-admin": ("other-admin", "other-secret"),
    "bare-admin": ("bare-admin", "bare-secret"),
}

# confd users (global integer ids)
ALICE, BOB, CAROL, OSCAR, OLGA, BEA = 1, 2, 3, 4, 5, 6
USERS = {
    ALICE: ("Alice", "Acme"),
    BOB: ("Bob", "Acme"),
    CAROL: ("Carol", "Acme"),
    OSCAR: ("Oscar", "Other"),
    OLGA: ("Olga", "Other"),
    BEA: ("Bea", "Bare"),
}

ACME_INCALL_RANGE = {"start": "15551230000", "end": "15551239999", "did_length": 10}
OTHER_INCALL_RANGE = {"start": "33140000000", "end": "33149999999", "did_length": 9}

NO_BODY_MESSAGE = "The browser (or proxy) sent a request that this server could not understand."
MISSING = "Missing data for required field."
NOT_NULL = "Field may not be null."
NOT_STRING = "Not a valid string."
NOT_BOOLEAN = "Not a valid boolean."
NOT_INTEGER = "Not a valid integer."
BAD_PATTERN = "String does not match expected pattern."

SECTIONS = (
    "aor_section_options",
    "auth_section_options",
    "endpoint_section_options",
    "identify_section_options",
    "registration_section_options",
    "registration_outbound_auth_section_options",
    "outbound_auth_section_options",
)

# the option names confd accepts, kept by the tests apart from the sandbox's own copy (tests/data/README.md)
PJSIP_NAMES_PATH = Path(__file__).resolve().parents[1] / "data" / "pjsip-option-names.json"


def pjsip_option_names() -> dict[str, list[str]]:
    """The per-section option-key whitelist (CONTRACT 6.4, pjsip-option-names.json)."""
    data: dict[str, Any] = json.loads(PJSIP_NAMES_PATH.read_text())
    return {key: list(value) for key, value in data.items() if not key.startswith("_")}


# section in the body -> list in pjsip-option-names.json
SECTION_DOC_KEY = {
    "aor_section_options": "aor",
    "auth_section_options": "auth",
    "endpoint_section_options": "endpoint",
    "identify_section_options": "identify",
    "registration_section_options": "registration",
    "registration_outbound_auth_section_options": "auth",
    "outbound_auth_section_options": "auth",
}

_UNSET: Any = object()


class Api:
    """A confd 1.1 client for tests: one token, one default `Wazo-Tenant` (or none)."""

    def __init__(self, confd_url: str, token: str | None, tenant: str | None) -> None:
        self.confd_url = confd_url
        self.token = token
        self.tenant = tenant

    def url(self, path: str) -> str:
        return f"{self.confd_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        content: bytes | str | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        tenant: str | None = _UNSET,
        token: str | None = _UNSET,
    ) -> httpx.Response:
        all_headers: dict[str, str] = {}
        token = self.token if token is _UNSET else token
        tenant = self.tenant if tenant is _UNSET else tenant
        if token is not None:
            all_headers["X-Auth-Token"] = token
        if tenant is not None:
            all_headers["Wazo-Tenant"] = tenant
        kwargs: dict[str, Any] = {}
        if json is not _UNSET:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        all_headers.update(headers or {})
        return httpx.request(method, self.url(path), params=params, headers=all_headers, timeout=15, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = _UNSET, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = _UNSET, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def with_tenant(self, tenant: str | None) -> Api:
        return Api(self.confd_url, self.token, tenant)

    # -- convenience: successful calls ---------------------------------------------------------
    def ok_get(self, path: str, **kwargs: Any) -> Any:
        response = self.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def items(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        body = self.ok_get(path, **kwargs)
        assert set(body) == {"total", "items"}, body
        items: list[dict[str, Any]] = body["items"]
        return items

    def create(self, collection: str, body: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.post(collection, body, **kwargs)
        assert response.status_code == 201, (collection, body, response.status_code, response.text)
        created: dict[str, Any] = response.json()
        return created

    def ok_put(self, path: str, body: Any = _UNSET, **kwargs: Any) -> None:
        response = self.put(path, body, **kwargs)
        assert_no_content(response)

    def ok_delete(self, path: str, **kwargs: Any) -> None:
        assert_no_content(self.delete(path, **kwargs))


def token_for(auth_url: str, username: str, **body: Any) -> dict[str, Any]:
    """`POST /token` with the seeded user's basic credentials; returns `data`."""
    user, password = CREDENTIALS[username]
    response = httpx.post(f"{auth_url}/token", auth=(user, password), json=body, timeout=15)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# -- messages ---------------------------------------------------------------------------------
def input_error(field: str, *messages: Any) -> str:
    """`Input Error - <field>: ['msg', ...]` (CONTRACT 5: the python repr of the messages)."""
    return f"Input Error - {field}: {list(messages)!r}"


def not_found(resource: str, metadata: str) -> str:
    return f"Resource Not Found - {resource} was not found ({metadata})"


# -- response assertions ------------------------------------------------------------------------
def assert_json_content_type(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    assert content_type.split(";")[0].strip() == "application/json", content_type


def assert_errors(response: httpx.Response, status: int, expected: Iterable[str]) -> None:
    """Status and the exact error list (order kept as given, CONTRACT 5)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert_json_content_type(response)
    assert response.json() == list(expected), response.text


def assert_error(response: httpx.Response, status: int, expected: str) -> None:
    assert_errors(response, status, [expected])


def assert_error_startswith(response: httpx.Response, status: int, prefix: str, *contains: str) -> str:
    """A one-string error list whose string starts with `prefix` and contains each `contains`."""
    assert response.status_code == status, (response.status_code, response.text)
    assert_json_content_type(response)
    body = response.json()
    assert isinstance(body, list), body
    assert len(body) == 1, body
    assert isinstance(body[0], str), body
    assert body[0].startswith(prefix), (prefix, body[0])
    for part in contains:
        assert part in body[0], (part, body[0])
    message: str = body[0]
    return message


def assert_unauthorized(response: httpx.Response) -> None:
    """CONTRACT 2.2: 401 (never 403) with a one-element JSON list holding an opaque string."""
    assert response.status_code == 401, (response.status_code, response.text)
    assert_json_content_type(response)
    body = response.json()
    assert isinstance(body, list), body
    assert len(body) == 1, body
    assert isinstance(body[0], str), body


def assert_no_content(response: httpx.Response) -> None:
    """CONTRACT 4.1: 204 with an empty body."""
    assert response.status_code == 204, (response.status_code, response.text)
    assert response.content == b"", response.content


def assert_created(response: httpx.Response, api: Api, collection: str, key: str = "id") -> dict[str, Any]:
    """CONTRACT 4.1: 201, absolute `Location` of the object, and the full body (same as GET)."""
    assert response.status_code == 201, (response.status_code, response.text)
    assert_json_content_type(response)
    body: dict[str, Any] = response.json()
    location = response.headers.get("location")
    assert location == api.url(f"{collection}/{body[key]}"), (location, body)
    got = httpx.get(
        location,
        headers={"X-Auth-Token": api.token or "", **({"Wazo-Tenant": api.tenant} if api.tenant else {})},
        timeout=15,
    )
    assert got.status_code == 200, got.text
    assert got.json() == body
    return body


def assert_list(response: httpx.Response, total: int) -> list[dict[str, Any]]:
    """CONTRACT 4.1: `{"total": N, "items": [...]}` and nothing else."""
    assert response.status_code == 200, (response.status_code, response.text)
    assert_json_content_type(response)
    body = response.json()
    assert set(body) == {"total", "items"}, body
    assert body["total"] == total, body
    items: list[dict[str, Any]] = body["items"]
    return items


def link(api: Api, collection: str, ident: Any) -> list[dict[str, str]]:
    """The `links` value of an object (CONTRACT 4.4)."""
    return [{"rel": collection, "href": api.url(f"{collection}/{ident}")}]


# -- scenarios --------------------------------------------------------------------------------
def check_bogus_field_returns_error(
    api: Api,
    method: str,
    path: str,
    field: str,
    value: Any,
    message: str | None = None,
    base: Mapping[str, Any] | None = None,
    *,
    contains: Iterable[str] = (),
) -> None:
    """Send `base` with `field` set to `value`; expect 400 `Input Error - <field>: ...`.

    With `message`, the exact string `Input Error - <field>: ['<message>']` is required;
    otherwise the prefix `Input Error - <field>: ` and every `contains` substring.
    """
    body = {**(base or {}), field: value}
    response = api.request(method, path, json=body)
    if message is not None:
        assert_error(response, 400, input_error(field, message))
    else:
        assert_error_startswith(response, 400, f"Input Error - {field}: ", *contains)


def check_missing_body_returns_error(api: Api, method: str, path: str) -> None:
    """CONTRACT 1: a missing body is 400 with the werkzeug text."""
    response = api.request(method, path, headers={"Content-Type": "application/json"})
    assert_error(response, 400, NO_BODY_MESSAGE)


def check_search_errors(api: Api, path: str) -> None:
    """CONTRACT 4.3; transcript #169-#172."""
    assert_error(
        api.get(path, params={"order": "bogus"}), 400, "Input Error - order: column 'bogus' was not found"
    )
    assert_error(
        api.get(path, params={"direction": "sideways"}),
        400,
        "Input Error - direction: must be 'asc' or 'desc'",
    )
    assert_error_startswith(api.get(path, params={"limit": "-1"}), 400, "Input Error - limit: ")
    assert_error_startswith(api.get(path, params={"limit": "abc"}), 400, "Input Error - limit: ", NOT_INTEGER)
    assert_error_startswith(api.get(path, params={"offset": "-1"}), 400, "Input Error - offset: ")


INVALID_OPTION = re.compile(
    r"^Input Error - '(?P<section>\w+): invalid variable \((?P<key>.*)\)' must be one of \((?P<allowed>.*)\)$"
)


def assert_invalid_option(response: httpx.Response, section: str, key: str) -> None:
    """CONTRACT 5 invalid choice; transcript #124: the exact format and the section's whole list."""
    message = assert_error_startswith(response, 400, "Input Error - '")
    match = INVALID_OPTION.match(message)
    assert match, message
    assert match.group("section") == section
    assert match.group("key") == key
    allowed = set(match.group("allowed").split(", "))
    assert allowed == set(pjsip_option_names()[SECTION_DOC_KEY[section]]), message


# -- seeded lookups ---------------------------------------------------------------------------
def context(api: Api, ctx_type: str) -> dict[str, Any]:
    """The tenant's only context of that type (CONTRACT 6.2: find it with `?type=`)."""
    items = api.items("contexts", params={"type": ctx_type})
    assert len(items) == 1, items
    return items[0]


def template(api: Api, label: str) -> dict[str, Any]:
    items = api.items("endpoints/sip/templates", params={"label": label})
    assert len(items) == 1, items
    return items[0]


def transport(api: Api, name: str) -> dict[str, Any]:
    items = api.items("sip/transports", params={"name": name})
    assert len(items) == 1, items
    return items[0]


# -- factories ---------------------------------------------------------------------------------
def new_trunk(api: Api, ctx_type: str | None = "incall", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(fields)
    if ctx_type is not None and "context" not in body:
        body["context"] = context(api, ctx_type)["name"]
    return api.create("trunks", body)


def new_endpoint(api: Api, **fields: Any) -> dict[str, Any]:
    return api.create("endpoints/sip", fields)


def new_outcall(api: Api, name: str, **fields: Any) -> dict[str, Any]:
    return api.create("outcalls", {"name": name, **fields})


def new_extension(api: Api, exten: str, ctx_type: str = "outcall", **fields: Any) -> dict[str, Any]:
    body = {"exten": exten, "context": context(api, ctx_type)["name"], **fields}
    return api.create("extensions", body)


def new_incall(api: Api, destination: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return api.create("incalls", {"destination": dict(destination or {"type": "none"}), **fields})


def trunk_with_endpoint(api: Api, name: str, **endpoint_fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    trunk = new_trunk(api)
    endpoint = new_endpoint(api, name=name, **endpoint_fields)
    api.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")
    return trunk, endpoint
