"""Wazo 20.12's `/registers/sip`: one chan_sip `register =>` line per object (CONTRACT 9.3).

Sources, wazo-platform repositories at tag wazo-20.12: wazo-confd
wazo_confd/plugins/register_sip/resource.py (REGISTER_REGEX lines 17-30, RegisterSIPSchema 37-106,
RegisterSIPList 109-132, RegisterSIPItem.put 143-156), validator.py (GetTransportValidator
lines 27-48), integration_tests/suite/base/test_registers_sip.py; xivo-dao
xivo_dao/resources/register_sip/persistor.py and search.py, xivo_dao/alchemy/staticsip.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._helpers import (
    CREDENTIALS,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    assert_no_content,
    assert_unauthorized,
    input_error,
    not_found,
)
from tests.support.sandbox import SandboxProcess

MINIMAL = {"sip_username": "sip-username", "remote_host": "remote-host"}
ALL = {
    "transport": "transport-udp",
    "sip_username": "acct123",
    "auth_username": "auth-user",
    "auth_password": "pa55word",
    "remote_host": "voip.provider.example.com",
    "remote_port": 5080,
    "callback_extension": "1234",
    "expiration": 300,
}


def register(api: Api, **fields: Any) -> dict[str, Any]:
    return api.create("registers/sip", {**MINIMAL, **fields})


def test_create_minimal(legacy: Api):
    """IT test_create_minimal_parameters and test_get: unset parts read back as null."""
    created = assert_created(legacy.post("registers/sip", MINIMAL), legacy, "registers/sip")
    assert created == {
        "id": created["id"],
        "transport": None,
        "sip_username": "sip-username",
        "auth_username": None,
        "auth_password": None,
        "remote_host": "remote-host",
        "remote_port": None,
        "callback_extension": None,
        "expiration": None,
        "enabled": True,
        "links": [{"rel": "register_sip", "href": legacy.url(f"registers/sip/{created['id']}")}],
        "trunk": None,
    }


def test_create_all_parameters_round_trip(legacy: Api):
    """IT test_create_all_parameters: every field comes back as sent (parsed from the line)."""
    created = register(legacy, **ALL, enabled=False)
    assert {key: created[key] for key in ALL} == ALL
    assert created["enabled"] is False


def test_the_seed_documents_body_is_refused(legacy: Api):
    """CONTRACT 9.4: the seed's body lacks the required sip_username, and `udp` names no transport."""
    body = {"auth_username": "acct123", "auth_password": "pa55word", "transport": "udp", "remote_host": "h"}
    assert_error(
        legacy.post("registers/sip", body),
        400,
        input_error("sip_username", "Missing data for required field."),
    )
    response = legacy.post("registers/sip", {**body, "sip_username": "acct123"})
    assert_error(
        response, 400, "Input Error - field 'transport': Transport was not found ('transport': 'udp')"
    )
    assert legacy.items("registers/sip") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("transport", 123),
        ("transport", True),
        ("transport", []),
        ("sip_username", ":"),
        ("sip_username", "/"),
        ("sip_username", "value with space"),
        ("sip_username", 123),
        ("auth_password", ":"),
        ("auth_password", "/"),
        ("auth_password", "value with space"),
        ("auth_username", ":"),
        ("remote_host", ":"),
        ("remote_host", "/"),
        ("remote_host", "~"),
        ("remote_host", "value with space"),
        ("remote_port", "invalid"),
        ("remote_port", 65536),
        ("callback_extension", "~"),
        ("callback_extension", "value with space"),
        ("expiration", "invalid"),
        ("expiration", -1),
        ("enabled", "string"),
        ("enabled", 123),
    ],
)
def test_field_errors(legacy: Api, field: str, value: Any):
    """IT test_registers_sip.py error_checks (lines 34-87)."""
    response = legacy.post("registers/sip", {**MINIMAL, field: value})
    assert_error_startswith(response, 400, f"Input Error - {field}: ")


def test_auth_username_needs_a_password(legacy: Api):
    """RegisterSIPSchema.validate_auth_username (lines 54-60): an error on the field itself."""
    response = legacy.post("registers/sip", {**MINIMAL, "auth_username": "someone"})
    assert_error(
        response,
        400,
        input_error(
            "auth_username", 'Cannot set field "auth_username" if the field "auth_password" is not set'
        ),
    )


def test_the_whole_line_fits_255_characters(legacy: Api):
    """RegisterSIPSchema.validate_total_length (lines 62-67): a schema-wide error."""
    response = legacy.post("registers/sip", {**MINIMAL, "remote_host": "h" * 250})
    assert_error(
        response, 400, input_error("_schema", "The sum of all fields is longer than maximum length 255")
    )
    register(legacy, remote_host="h" * (255 - len("sip-username@")))


def test_zero_port_and_expiration_are_left_out(legacy: Api):
    """convert_to_chansip writes a part only when truthy (lines 69-97): 0 reads back as null."""
    created = register(legacy, remote_port=0, expiration=0)
    assert (created["remote_port"], created["expiration"]) == (None, None)


def test_put_merges_onto_the_stored_line(legacy: Api):
    """RegisterSIPItem.put: the stored fields, the changes on top, validated again as a whole."""
    created = register(legacy, **ALL)
    legacy.ok_put(f"registers/sip/{created['id']}", {"expiration": 120, "enabled": False})
    got = legacy.ok_get(f"registers/sip/{created['id']}")
    assert {key: got[key] for key in ALL} == {**ALL, "expiration": 120}
    assert got["enabled"] is False
    legacy.ok_put(f"registers/sip/{created['id']}", {})
    response = legacy.put(f"registers/sip/{created['id']}", {"auth_password": None})
    assert_error_startswith(response, 400, "Input Error - auth_username: ")
    response = legacy.put(f"registers/sip/{created['id']}", {"transport": "udp"})
    assert_error(
        response, 400, "Input Error - field 'transport': Transport was not found ('transport': 'udp')"
    )


def test_registers_belong_to_no_tenant(legacy: Api, legacy_other: Api):
    """staticsip has no tenant column; RegisterSIPPersistor filters nothing but var_name."""
    created = register(legacy)
    assert legacy_other.ok_get(f"registers/sip/{created['id']}")["sip_username"] == "sip-username"
    assert [r["id"] for r in assert_list(legacy_other.get("registers/sip"), 1)] == [created["id"]]


def test_list_and_not_found(legacy: Api):
    """search.py: the only column is id (default order id); SIPRegister in the 404 text."""
    first, second = register(legacy), register(legacy, sip_username="second")
    assert [r["id"] for r in legacy.items("registers/sip", params={"direction": "desc"})] == [
        second["id"],
        first["id"],
    ]
    assert [r["id"] for r in legacy.items("registers/sip", params={"id": str(first["id"])})] == [first["id"]]
    assert_error(legacy.get("registers/sip/999999"), 404, not_found("SIPRegister", "'id': 999999"))
    assert_error(legacy.delete("registers/sip/999999"), 404, not_found("SIPRegister", "'id': 999999"))
    assert_no_content(legacy.delete(f"registers/sip/{first['id']}"))
    assert [r["id"] for r in legacy.items("registers/sip")] == [second["id"]]


def test_writing_a_register_needs_a_write_acl(clean_legacy_sandbox: SandboxProcess):
    """A read-only token lists registers and may not create one (resource.py lines 117-132: the code
    asks for `confd.registers.create`/`.read`; the seeded users cannot tell it from the documented
    `confd.registers.sip.*`, CONTRACT 9.3)."""
    user, password = CREDENTIALS["acme-readonly"]
    api = Api(clean_legacy_sandbox.confd_url, clean_legacy_sandbox.token(user, password), None)
    assert api.get("registers/sip").status_code == 200
    assert_unauthorized(api.post("registers/sip", MINIMAL))
