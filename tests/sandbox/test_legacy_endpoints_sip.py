"""Wazo 20.12's `/endpoints/sip`: chan_sip peers with integer ids (CONTRACT 9.2).

Sources, wazo-platform repositories at tag wazo-20.12: wazo-confd
wazo_confd/plugins/endpoint_sip/schema.py (SipSchema lines 19-45, SipSchemaNullable 48-53),
resource.py, validator.py; integration_tests/suite/base/test_endpoint_sip.py; xivo-dao
xivo_dao/resources/endpoint_sip/persistor.py (fill_default_values lines 83-100), search.py,
xivo_dao/alchemy/usersip.py (columns lines 67-176), xivo_dao/helpers/asterisk.py
(AsteriskOptionsMixin lines 33-124, truth values lines 13-20).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    OTHER,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    assert_no_content,
    input_error,
    not_found,
)

# the columns an endpoint holds whatever it was sent (server defaults of usersip)
DEFAULT_OPTIONS = [["amaflags", "default"], ["call-limit", "10"], ["subscribemwi", "no"]]


def options(endpoint: dict[str, Any]) -> Counter[tuple[str, str]]:
    """Options as a multiset: xivo-dao walks its columns as a Python set (no defined order)."""
    return Counter((key, value) for key, value in endpoint["options"])


def peer(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": "provider", "username": "u123", "secret": "s3cret", "type": "peer", "host": "sip.example"}
    return api.create("endpoints/sip", {**body, **fields})


def test_create_minimal_fills_the_defaults(legacy: Api):
    """persistor.fill_default_values: name and secret 8 random characters, username = name, type
    friend, host dynamic; IT test_create_minimal_parameters."""
    endpoint = assert_created(legacy.post("endpoints/sip", {}), legacy, "endpoints/sip")
    assert isinstance(endpoint["id"], int)
    assert len(endpoint["name"]) == 8
    assert endpoint["username"] == endpoint["name"]
    assert len(endpoint["secret"]) == 8
    assert endpoint["secret"] != endpoint["name"]
    assert (endpoint["type"], endpoint["host"]) == ("friend", "dynamic")
    assert options(endpoint) == Counter(map(tuple, DEFAULT_OPTIONS))
    assert endpoint["tenant_uuid"] == ACME
    assert (endpoint["trunk"], endpoint["line"]) == (None, None)
    assert endpoint["links"] == [
        {"rel": "endpoint_sip", "href": legacy.url(f"endpoints/sip/{endpoint['id']}")}
    ]


def test_create_as_the_seed_document_does(legacy: Api):
    """The seed's body: username, secret, type peer, host; with no name, the username becomes the
    name (SipSchema.set_name_to_username_if_missing, lines 36-45)."""
    body = {"username": "acct123", "secret": "pa55word", "type": "peer", "host": "voip.provider.example.com"}
    endpoint = legacy.create("endpoints/sip", body)
    assert {key: endpoint[key] for key in body} == body
    assert endpoint["name"] == "acct123"


def test_null_username_secret_host_take_defaults_on_create(legacy: Api):
    """SipSchemaNullable (lines 48-53): POST accepts null for username, secret and host."""
    endpoint = legacy.create("endpoints/sip", {"name": "n1", "username": None, "secret": None, "host": None})
    assert endpoint["username"] == "n1"
    assert len(endpoint["secret"]) == 8
    assert endpoint["host"] == "dynamic"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", 123),
        ("username", "]^"),
        ("username", "ûsername"),
        ("username", "x" * 41),
        ("name", "has.dot"),
        ("secret", "pâssword"),
        ("secret", ""),
        ("secret", "x" * 81),
        ("secret", True),
        ("type", "invalid_choice"),
        ("type", 123),
        ("host", 123),
        ("host", "h" * 256),
        ("options", 123),
        ("options", None),
        ("options", {}),
        ("options", [None]),
        ("options", ["string", "string"]),
        ("options", [[]]),
        ("options", [["missing_value"]]),
        ("options", [["too", "much", "value"]]),
        ("options", [["wrong_value", 1234]]),
        ("options", [["none_value", None]]),
    ],
)
def test_create_errors(legacy: Api, field: str, value: Any):
    """IT test_endpoint_sip.py error_checks (lines 118-151): 400 naming the field."""
    assert_error_startswith(legacy.post("endpoints/sip", {field: value}), 400, f"Input Error - {field}: ")


def test_option_errors_say_what(legacy: Api):
    """A pair must have exactly two strings (fields.List(fields.List(String), Length(equal=2)))."""
    assert_error(
        legacy.post("endpoints/sip", {"options": [[]]}),
        400,
        "Input Error - options: {0: ['Length must be 2.']}",
    )
    assert_error(
        legacy.post("endpoints/sip", {"options": [["qualify", 1]]}),
        400,
        "Input Error - options: {0: {1: ['Not a valid string.']}}",
    )


def test_all_options_are_kept(legacy: Api):
    """IT test_create_all_parameters and test_create_additional_options: named columns and free
    options come back (has_items: in no particular order); options repeat freely unless named."""
    sent = [
        ["qualify", "yes"],
        ["qualifyfreq", "60"],
        ["insecure", "port,invite"],
        ["nat", "force_rport,comedia"],
        ["dtmfmode", "rfc2833"],
        ["allow", "!all,ulaw,alaw"],
        ["port", "5080"],
        ["transport", "udp"],
        ["foo", "bar"],
        ["foo", "baz"],
        ["match", "203.0.113.0/28"],
    ]
    endpoint = peer(legacy, options=sent)
    assert options(endpoint) == Counter(map(tuple, sent + DEFAULT_OPTIONS))


def test_named_columns_come_back_normalized(legacy: Api):
    """helpers/asterisk.py: ast_true columns hold 0/1 and read as yes/no (only yes, true, y, t, 1
    and on are true, case-sensitive); integer columns read as the integer's text."""
    endpoint = peer(
        legacy,
        options=[
            ["trustrpid", "true"],
            ["allowtransfer", "Yes"],
            ["qualifyfreq", " 060 "],
            ["call-limit", "3"],
        ],
    )
    assert options(endpoint) == Counter(
        {
            ("trustrpid", "yes"): 1,
            ("allowtransfer", "no"): 1,
            ("qualifyfreq", "60"): 1,
            ("call-limit", "3"): 1,
            ("amaflags", "default"): 1,
            ("subscribemwi", "no"): 1,
        }
    )


def test_named_options_are_not_in_sending_order(legacy: Api):
    """The columns are walked as a Python set: a client may not rely on the order it sent."""
    sent = [["qualifyfreq", "60"], ["insecure", "port,invite"], ["dtmfmode", "rfc2833"]]
    endpoint = peer(legacy, options=sent)
    shown = [pair for pair in endpoint["options"] if pair in sent]
    assert shown != sent
    assert sorted(shown) == sorted(sent)


@pytest.mark.parametrize(
    ("option", "text"),
    [
        (["nat", "yes"], 'invalid input value for enum usersip_nat: "yes"'),
        (["dtmfmode", "rfc4733"], 'invalid input value for enum usersip_dtmfmode: "rfc4733"'),
        (["insecure", "very"], 'invalid input value for enum usersip_insecure: "very"'),
        (["qualifyfreq", "often"], 'invalid input syntax for integer: "often"'),
        (["qualify", "always"], "value too long for type character varying(4)"),
    ],
)
def test_values_the_database_refuses_are_a_500(legacy: Api, option: list[str], text: str):
    """usersip's enum, integer and varchar columns (alchemy/usersip.py): PostgreSQL refuses the
    row and confd's catch-all answers 500 `Unexpected error: ...` (helpers/common.py lines 50-53)."""
    response = legacy.post("endpoints/sip", {"name": "x1", "options": [option]})
    assert_error_startswith(response, 500, "Unexpected error: (psycopg2.", text)
    assert legacy.items("endpoints/sip") == []


def test_name_is_unique_across_tenants_username_is_not(legacy: Api, legacy_other: Api):
    """validator.py UniqueField('name'); UniqueConstraint('name'); IT test_create_name_already_taken
    and test_create_username_already_taken."""
    peer(legacy, name="dupname", username="dupuser")
    response = legacy_other.post("endpoints/sip", {"name": "dupname"})
    assert_error(response, 400, "Resource Error - SIPEndpoint already exists ('name': 'dupname')")
    legacy.create("endpoints/sip", {"name": "other", "username": "dupuser"})
    # a username alone becomes the name, and is then checked as one
    response = legacy.post("endpoints/sip", {"username": "dupname"})
    assert_error(response, 400, "Resource Error - SIPEndpoint already exists ('name': 'dupname')")


def test_put_replaces_every_option(legacy: Api):
    """The options setter resets every column to its default and empties the free list
    (helpers/asterisk.py lines 62-66); IT test_update_options."""
    endpoint = peer(legacy, options=[["qualify", "yes"], ["nat", "comedia"], ["foo", "bar"]])
    legacy.ok_put(f"endpoints/sip/{endpoint['id']}", {"options": [["insecure", "port"]]})
    assert options(legacy.ok_get(f"endpoints/sip/{endpoint['id']}")) == Counter(
        map(tuple, [["insecure", "port"], *DEFAULT_OPTIONS])
    )


def test_put_is_partial_and_keeps_options(legacy: Api):
    """ItemResource.parse_and_update loads `partial=True`; IT test_update_values_other_than_host."""
    endpoint = peer(legacy, options=[["qualify", "yes"]])
    legacy.ok_put(f"endpoints/sip/{endpoint['id']}", {"name": "provider", "secret": "n3w"})
    got = legacy.ok_get(f"endpoints/sip/{endpoint['id']}")
    assert (got["secret"], got["host"], got["username"]) == ("n3w", "sip.example", "u123")
    assert ("qualify", "yes") in options(got)


def test_put_username_without_name_renames(legacy: Api):
    """set_name_to_username_if_missing runs on PUT too: a username alone renames the endpoint."""
    endpoint = peer(legacy)
    legacy.ok_put(f"endpoints/sip/{endpoint['id']}", {"username": "u999"})
    got = legacy.ok_get(f"endpoints/sip/{endpoint['id']}")
    assert (got["name"], got["username"]) == ("u999", "u999")
    legacy.ok_put(f"endpoints/sip/{endpoint['id']}", {"username": "u1000", "name": "provider"})
    got = legacy.ok_get(f"endpoints/sip/{endpoint['id']}")
    assert (got["name"], got["username"]) == ("provider", "u1000")


@pytest.mark.parametrize("field", ["username", "secret", "type", "host", "options"])
def test_put_refuses_null(legacy: Api, field: str):
    """IT test_put_errors: on PUT the fields are SipSchema's, not nullable."""
    endpoint = peer(legacy)
    response = legacy.put(f"endpoints/sip/{endpoint['id']}", {field: None})
    assert_error(response, 400, input_error(field, "Field may not be null."))


def test_not_found_and_other_tenants(legacy: Api, legacy_other: Api, legacy_master: Api):
    """The id is an integer; items are searched in the tenant and its sub-tenants
    (SipItem.has_tenant_uuid; IT test_get_multi_tenant, test_edit_multi_tenant)."""
    assert_error(legacy.get("endpoints/sip/999999"), 404, not_found("SIPEndpoint", "'id': 999999"))
    endpoint = peer(legacy)
    path = f"endpoints/sip/{endpoint['id']}"
    assert_error(legacy_other.get(path), 404, not_found("SIPEndpoint", f"'id': {endpoint['id']}"))
    assert_error(legacy_other.delete(path), 404, not_found("SIPEndpoint", f"'id': {endpoint['id']}"))
    assert legacy_master.ok_get(path)["name"] == "provider"


def test_list_is_per_tenant_and_searches_by_name(legacy: Api, legacy_other: Api):
    """search.py: columns username (the *name* column), type, host; default order username;
    IT test_list_multi_tenant and test_list (search by username)."""
    peer(legacy, name="zeta", username="u1")
    peer(legacy, name="alpha", username="zeta-user")
    peer(legacy_other, name="elsewhere")
    assert [e["name"] for e in assert_list(legacy.get("endpoints/sip"), 2)] == ["alpha", "zeta"]
    # an exact `username` filter compares the name column; `name` is no filter at all
    assert [e["name"] for e in legacy.items("endpoints/sip", params={"username": "zeta"})] == ["zeta"]
    assert len(legacy.items("endpoints/sip", params={"name": "zeta"})) == 2
    assert [e["name"] for e in legacy.items("endpoints/sip", params={"search": "alp"})] == ["alpha"]
    master_view = legacy.with_tenant(ACME).items("endpoints/sip", params={"recurse": "true"})
    assert len(master_view) == 2
    assert [e["name"] for e in legacy_other.with_tenant(OTHER).items("endpoints/sip")] == ["elsewhere"]


def test_delete(legacy: Api):
    endpoint = peer(legacy)
    assert_no_content(legacy.delete(f"endpoints/sip/{endpoint['id']}"))
    assert legacy.get(f"endpoints/sip/{endpoint['id']}").status_code == 404
