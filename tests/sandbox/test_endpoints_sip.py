"""SIP endpoints (CONTRACT 6.4, 7, 9.4; transcript #11, #23, #24, #43, #116, #117, #122-#126, #182, #183)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    MISSING,
    NOT_NULL,
    SECTION_DOC_KEY,
    SECTIONS,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_invalid_option,
    assert_list,
    check_bogus_field_returns_error,
    input_error,
    pjsip_option_names,
    template,
    transport,
)

ENDPOINT_KEYS = {
    "uuid",
    "tenant_uuid",
    "name",
    "label",
    *SECTIONS,
    "templates",
    "transport",
    "asterisk_id",
    "links",
    "trunk",
    "line",
}


def _provider_body(acme: Api) -> dict[str, Any]:
    """Transcript #11, the registering provider trunk."""
    return {
        "label": "Provider trunk",
        "name": "provider_trunk",
        "auth_section_options": [["username", "acct123"], ["password", "s3cret"]],
        "endpoint_section_options": [
            ["dtmf_mode", "rfc4733"],
            ["allow", "!all,ulaw,alaw"],
            ["from_user", "acct123"],
            ["from_domain", "sip.provider.example"],
            ["rewrite_contact", "yes"],
        ],
        "registration_section_options": [
            ["server_uri", "sip:sip.provider.example"],
            ["client_uri", "sip:acct123@sip.provider.example"],
            ["expiration", "120"],
        ],
        "registration_outbound_auth_section_options": [["username", "acct123"], ["password", "s3cret"]],
        "outbound_auth_section_options": [["username", "acct123"], ["password", "s3cret"]],
        "aor_section_options": [["contact", "sip:sip.provider.example"], ["qualify_frequency", "60"]],
        "templates": [
            {"uuid": template(acme, "global")["uuid"]},
            {"uuid": template(acme, "registration_trunk")["uuid"]},
        ],
    }


def _same_options(a: list[list[str]], b: list[list[str]]) -> None:
    assert Counter(map(tuple, a)) == Counter(map(tuple, b)), (a, b)


# -- create --------------------------------------------------------------------------------------------
def test_create_provider_endpoint(acme: Api) -> None:
    """Transcript #11: 201, Location with the uuid, every section as sent, template labels added."""
    body = _provider_body(acme)
    created = assert_created(acme.post("endpoints/sip", body), acme, "endpoints/sip", "uuid")
    assert set(created) == ENDPOINT_KEYS
    assert created["tenant_uuid"] == ACME
    assert created["name"] == "provider_trunk"
    assert created["label"] == "Provider trunk"
    for section in SECTIONS:
        assert created[section] == body.get(section, []), section
    assert created["templates"] == [
        {"uuid": template(acme, "global")["uuid"], "label": "global"},
        {"uuid": template(acme, "registration_trunk")["uuid"], "label": "registration_trunk"},
    ]
    assert created["transport"] is None
    assert created["asterisk_id"] is None
    assert created["trunk"] is None
    assert created["line"] is None
    assert created["links"] == [{"rel": "endpoint_sip", "href": acme.url(f"endpoints/sip/{created['uuid']}")}]


def test_create_empty_body_generates_name(acme: Api) -> None:
    """Transcript #43 / key finding 5: `{}` -> 201 with an 8-character random name [a-z0-9]."""
    created = assert_created(acme.post("endpoints/sip", {}), acme, "endpoints/sip", "uuid")
    assert re.fullmatch(r"[a-z0-9]{8}", created["name"]), created["name"]
    assert created["label"] is None
    for section in SECTIONS:
        assert created[section] == []
    assert created["templates"] == []
    second = acme.create("endpoints/sip", {})
    assert second["name"] != created["name"]


def test_legacy_body_is_accepted_and_ignored(acme: Api) -> None:
    """CONTRACT 9.4 trap / 12.21: chan_sip keys are unknown, silently dropped: 201, empty endpoint."""
    legacy = {
        "username": "u",
        "secret": "s",
        "type": "peer",
        "host": "voip.provider.example",
        "options": [["qualify", "yes"]],
    }
    created = acme.create("endpoints/sip", legacy)
    for section in SECTIONS:
        assert created[section] == []
    assert re.fullmatch(r"[a-z0-9]{8}", created["name"])
    assert_no = acme.put(f"endpoints/sip/{created['uuid']}", {"options": [["qualifyfreq", "30"]]})
    assert assert_no.status_code == 204
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}") == created


def test_transport_reference(acme: Api) -> None:
    """CONTRACT 6.3/6.4: `transport: {"uuid"}`; unknown -> 400 SIPTransport was not found; null removes."""
    udp = transport(acme, "transport-udp")
    created = acme.create("endpoints/sip", {"name": "with_transport", "transport": {"uuid": udp["uuid"]}})
    assert created["transport"] == {"uuid": udp["uuid"]}
    assert_error_startswith(
        acme.post("endpoints/sip", {"transport": {"uuid": "00000000-0000-4000-8000-000000000000"}}),
        400,
        "Input Error - field 'transport': SIPTransport was not found (",
    )
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"transport": None})
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}")["transport"] is None


# -- sections: shape --------------------------------------------------------------------------------
@pytest.mark.parametrize("section", SECTIONS)
def test_pair_of_wrong_length(acme: Api, section: str) -> None:
    """Transcript #125: a pair must have exactly 2 elements."""
    key = (
        "username"
        if SECTION_DOC_KEY[section] == "auth"
        else pjsip_option_names()[SECTION_DOC_KEY[section]][0]
    )
    for bad in ([key], [key, "a", "b"]):
        assert_error(
            acme.post("endpoints/sip", {section: [bad]}),
            400,
            f"Input Error - {section}: {{0: ['Length must be between 2 and 2.']}}",
        )


@pytest.mark.parametrize(
    "value",
    [60, 1.5, True, None, ["60"], ""],
    ids=["int", "float", "bool", "null", "list", "empty"],
)
def test_option_value_must_be_non_empty_string(acme: Api, value: Any) -> None:
    """CONTRACT 6.4, 12.5: values are JSON strings of 1..4092 chars (`"60"`, never `60`, never `""`)."""
    check_bogus_field_returns_error(
        acme, "POST", "endpoints/sip", "aor_section_options", [["qualify_frequency", value]]
    )
    assert acme.items("endpoints/sip") == []


def test_option_value_too_long(acme: Api) -> None:
    """CONTRACT 6.4: value <= 4092 chars."""
    check_bogus_field_returns_error(
        acme, "POST", "endpoints/sip", "endpoint_section_options", [["callerid", "x" * 4093]]
    )
    created = acme.create("endpoints/sip", {"endpoint_section_options": [["callerid", "x" * 4092]]})
    assert created["endpoint_section_options"] == [["callerid", "x" * 4092]]


@pytest.mark.parametrize("value", [12, "", None], ids=["int-key", "empty-key", "null-key"])
def test_option_key_must_be_non_empty_string(acme: Api, value: Any) -> None:
    """CONTRACT 6.4: both elements of a pair are non-empty strings."""
    check_bogus_field_returns_error(acme, "POST", "endpoints/sip", "endpoint_section_options", [[value, "x"]])


@pytest.mark.parametrize("value", ["allow=ulaw", {"allow": "ulaw"}, [{"allow": "ulaw"}], ["allow", "ulaw"]])
def test_section_must_be_list_of_pairs(acme: Api, value: Any) -> None:
    """CONTRACT 6.4: a section is a list of [key, value] lists."""
    check_bogus_field_returns_error(acme, "POST", "endpoints/sip", "endpoint_section_options", value)


def test_section_max_512_items(acme: Api) -> None:
    """CONTRACT 6.4: a section holds at most 512 pairs."""
    check_bogus_field_returns_error(
        acme, "POST", "endpoints/sip", "identify_section_options", [["match", "10.0.0.1"]] * 513
    )
    created = acme.create("endpoints/sip", {"identify_section_options": [["match", "10.0.0.1"]] * 512})
    assert len(created["identify_section_options"]) == 512


# -- sections: key whitelist ------------------------------------------------------------------------
@pytest.mark.parametrize("section", SECTIONS)
def test_every_whitelisted_key_accepted(acme: Api, section: str) -> None:
    """CONTRACT 6.4; pjsip-option-names.json: each listed name is accepted in its section."""
    names = pjsip_option_names()[SECTION_DOC_KEY[section]]
    options = [[name, "1"] for name in names]
    created = acme.create("endpoints/sip", {section: options})
    assert created[section] == options


@pytest.mark.parametrize("section", SECTIONS)
def test_unknown_key_rejected_with_list(acme: Api, section: str) -> None:
    """Transcript #124; CONTRACT 5 invalid choice: exact format, the section's full allowed list."""
    assert_invalid_option(
        acme.post("endpoints/sip", {section: [["not_a_pjsip_option", "1"]]}), section, "not_a_pjsip_option"
    )
    assert acme.items("endpoints/sip") == []


def test_unknown_key_on_put_transcript_124(acme: Api) -> None:
    """Transcript #124: PUT with an unknown endpoint key -> 400; nothing changes."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    response = acme.put(
        f"endpoints/sip/{created['uuid']}", {"endpoint_section_options": [["not_a_pjsip_option", "1"]]}
    )
    assert_invalid_option(response, "endpoint_section_options", "not_a_pjsip_option")
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}") == created


@pytest.mark.parametrize("section", SECTIONS)
def test_key_type_never_accepted(acme: Api, section: str) -> None:
    """CONTRACT 6.4: the key `type` is never accepted."""
    assert_invalid_option(acme.post("endpoints/sip", {section: [["type", "endpoint"]]}), section, "type")


@pytest.mark.parametrize("section", ["aor_section_options", "endpoint_section_options"])
def test_custom_at_keys_in_aor_and_endpoint(acme: Api, section: str) -> None:
    """CONTRACT 6.4: keys starting with `@` are accepted in aor and endpoint sections."""
    created = acme.create("endpoints/sip", {section: [["@custom_var", "x"]]})
    assert created[section] == [["@custom_var", "x"]]


@pytest.mark.parametrize(
    "section",
    [
        "auth_section_options",
        "identify_section_options",
        "registration_section_options",
        "registration_outbound_auth_section_options",
        "outbound_auth_section_options",
    ],
)
def test_custom_at_keys_refused_elsewhere(acme: Api, section: str) -> None:
    """CONTRACT 6.4: `@` keys only in aor and endpoint."""
    assert_invalid_option(
        acme.post("endpoints/sip", {section: [["@custom_var", "x"]]}), section, "@custom_var"
    )


@pytest.mark.parametrize("key", ["endpoint", "outbound_auth", "username", "contact"])
def test_registration_fixed_list(acme: Api, key: str) -> None:
    """CONTRACT 6.4: registration keys are a fixed list (`endpoint`, `outbound_auth` are generated)."""
    assert_invalid_option(
        acme.post("endpoints/sip", {"registration_section_options": [[key, "x"]]}),
        "registration_section_options",
        key,
    )


@pytest.mark.parametrize("key", ["contact", "username", "match_ip"])
def test_identify_fixed_list(acme: Api, key: str) -> None:
    """CONTRACT 6.4: identify keys are match, endpoint, srv_lookups, match_header."""
    assert_invalid_option(
        acme.post("endpoints/sip", {"identify_section_options": [[key, "x"]]}),
        "identify_section_options",
        key,
    )


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("auth_section_options", "max_contacts"),
        ("outbound_auth_section_options", "contact"),
        ("registration_outbound_auth_section_options", "server_uri"),
        ("aor_section_options", "username"),
        ("endpoint_section_options", "qualify_frequency"),
    ],
)
def test_key_valid_elsewhere_refused_in_wrong_section(acme: Api, section: str, key: str) -> None:
    """CONTRACT 6.4: the whitelist is per section (IT error_checks: auth max_contacts)."""
    assert_invalid_option(acme.post("endpoints/sip", {section: [[key, "1"]]}), section, key)


def test_all_sections_checked_first_bad_one_reported(acme: Api) -> None:
    """CONTRACT 6.4: option keys of every section of the object are checked, on update too."""
    created = acme.create("endpoints/sip", {"aor_section_options": [["contact", "sip:a.example"]]})
    response = acme.put(
        f"endpoints/sip/{created['uuid']}", {"auth_section_options": [["qualify_frequency", "1"]]}
    )
    assert_invalid_option(response, "auth_section_options", "qualify_frequency")


def test_duplicate_keys_kept(acme: Api) -> None:
    """CONTRACT 6.4: duplicate keys in a section are kept (match, set_var)."""
    created = acme.create(
        "endpoints/sip",
        {
            "identify_section_options": [["match", "10.0.0.1"], ["match", "10.0.0.2"]],
            "endpoint_section_options": [["set_var", "A=1"], ["set_var", "B=2"]],
        },
    )
    assert created["identify_section_options"] == [["match", "10.0.0.1"], ["match", "10.0.0.2"]]
    assert created["endpoint_section_options"] == [["set_var", "A=1"], ["set_var", "B=2"]]


# -- name rules -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "contains"),
    [
        ("", "Shorter than minimum length 1"),
        ("x" * 80, "Longer than maximum length 79"),
        ("global", "Reserved Asterisk section name"),
        ("system", "Reserved Asterisk section name"),
        ("has space", "Not a valid Asterisk section name"),
        ("a/b", "Not a valid Asterisk section name"),
        ("a@b", "Not a valid Asterisk section name"),
        (12, "Not a valid string."),
    ],
)
def test_name_rules(acme: Api, value: Any, contains: str) -> None:
    """CONTRACT 6.4: name 1..79 of [-_.a-zA-Z0-9], not global/system."""
    check_bogus_field_returns_error(acme, "POST", "endpoints/sip", "name", value, None, contains=[contains])


def test_name_null_refused(acme: Api) -> None:
    """CONTRACT 6.4: `name: null` is rejected on POST and PUT."""
    assert_error(acme.post("endpoints/sip", {"name": None}), 400, input_error("name", NOT_NULL))
    created = acme.create("endpoints/sip", {"name": "keep_me"})
    assert_error(
        acme.put(f"endpoints/sip/{created['uuid']}", {"name": None}), 400, input_error("name", NOT_NULL)
    )


def test_name_edge_values(acme: Api) -> None:
    """CONTRACT 6.4: 79 chars and `-_.` are fine."""
    for name in ("x" * 79, "a-b_c.d", "A1"):
        assert acme.create("endpoints/sip", {"name": name})["name"] == name


def test_label_rules(acme: Api) -> None:
    """CONTRACT 6.4: label string <= 128 or null."""
    check_bogus_field_returns_error(acme, "POST", "endpoints/sip", "label", "x" * 129, None)
    assert acme.create("endpoints/sip", {"label": None})["label"] is None


# -- uniqueness ------------------------------------------------------------------------------------
def test_name_unique_transcript_126(acme: Api) -> None:
    """Transcript #126: duplicate name -> 400 SIPEndpoint already exists."""
    acme.create("endpoints/sip", {"name": "provider_trunk"})
    assert_error(
        acme.post("endpoints/sip", {"name": "provider_trunk"}),
        400,
        "Resource Error - SIPEndpoint already exists ('name': 'provider_trunk')",
    )


def test_name_unique_across_tenants(acme: Api, other: Api) -> None:
    """CONTRACT 6.4, 7: uniqueness is global (all tenants)."""
    acme.create("endpoints/sip", {"name": "shared_name"})
    assert_error(
        other.post("endpoints/sip", {"name": "shared_name"}),
        400,
        "Resource Error - SIPEndpoint already exists ('name': 'shared_name')",
    )
    assert other.items("endpoints/sip") == []


def test_name_unique_on_put(acme: Api, other: Api) -> None:
    """CONTRACT 7: renaming to an existing name (any tenant) is refused; keeping one's own name is fine."""
    acme.create("endpoints/sip", {"name": "first"})
    theirs = other.create("endpoints/sip", {"name": "second"})
    assert_error_startswith(
        other.put(f"endpoints/sip/{theirs['uuid']}", {"name": "first"}),
        400,
        "Resource Error - ",
        "already exists ('name': 'first')",
    )
    other.ok_put(f"endpoints/sip/{theirs['uuid']}", {"name": "second"})


def test_name_collides_with_templates(acme: Api, other: Api) -> None:
    """CONTRACT 6.4, 7: endpoint names share the namespace of template names (any tenant)."""
    theirs = template(other, "global")["name"]
    assert_error_startswith(
        acme.post("endpoints/sip", {"name": theirs}),
        400,
        "Resource Error - ",
        f"already exists ('name': '{theirs}')",
    )
    acme.create("endpoints/sip", {"name": "taken_by_endpoint"})
    assert_error_startswith(
        other.post("endpoints/sip/templates", {"name": "taken_by_endpoint"}),
        400,
        "Resource Error - ",
        "already exists ('name': 'taken_by_endpoint')",
    )


@pytest.mark.parametrize("name", ["transport-udp", "transport-wss"])
def test_name_collides_with_transports(acme: Api, name: str) -> None:
    """CONTRACT 6.3, 7: transport names are in the same namespace."""
    assert_error_startswith(
        acme.post("endpoints/sip", {"name": name}),
        400,
        "Resource Error - ",
        f"already exists ('name': '{name}')",
    )


# -- templates references -----------------------------------------------------------------------------
def test_template_of_another_tenant_refused(acme: Api, other: Api) -> None:
    """CONTRACT 6.4: templates[].uuid must be a template of the same tenant."""
    theirs = template(other, "registration_trunk")["uuid"]
    assert_error_startswith(
        acme.post("endpoints/sip", {"templates": [{"uuid": theirs}]}),
        400,
        "Input Error - field 'templates': endpoint_sip was not found (",
    )
    created = acme.create("endpoints/sip", {})
    assert_error_startswith(
        acme.put(f"endpoints/sip/{created['uuid']}", {"templates": [{"uuid": theirs}]}),
        400,
        "Input Error - field 'templates': endpoint_sip was not found (",
    )


def test_unknown_template_and_endpoint_as_template_refused(acme: Api) -> None:
    """CONTRACT 6.4: an unknown uuid, or a non-template endpoint, is not a template."""
    plain = acme.create("endpoints/sip", {"name": "plain_one"})
    for uuid in ("00000000-0000-4000-8000-000000000000", plain["uuid"]):
        assert_error_startswith(
            acme.post("endpoints/sip", {"templates": [{"uuid": uuid}]}),
            400,
            "Input Error - field 'templates': endpoint_sip was not found (",
        )


def test_templates_order_kept_and_cleared(acme: Api) -> None:
    """CONTRACT 6.4: template order matters and is kept; `templates: []` removes them all."""
    reg = template(acme, "registration_trunk")
    glob = template(acme, "global")
    created = acme.create("endpoints/sip", {"templates": [{"uuid": reg["uuid"]}, {"uuid": glob["uuid"]}]})
    assert created["templates"] == [
        {"uuid": reg["uuid"], "label": "registration_trunk"},
        {"uuid": glob["uuid"], "label": "global"},
    ]
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"templates": []})
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}")["templates"] == []


def test_templates_item_needs_uuid(acme: Api) -> None:
    """CONTRACT 6.4: templates is a list of `{"uuid"}`."""
    check_bogus_field_returns_error(
        acme, "POST", "endpoints/sip", "templates", [{}], None, contains=[MISSING]
    )
    check_bogus_field_returns_error(
        acme, "POST", "endpoints/sip", "templates", [{"uuid": "not-a-uuid"}], None
    )


# -- partial PUT --------------------------------------------------------------------------------------
def test_put_label_only_keeps_everything(acme: Api) -> None:
    """Transcript #116/#117: PUT {label} keeps every section and the templates."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"label": "Provider trunk (renamed)"})
    got = acme.ok_get(f"endpoints/sip/{created['uuid']}")
    for section in SECTIONS:  # CONTRACT 6.4, 11.7: no order guaranteed after PUT
        _same_options(got.pop(section), created[section])
    assert got == {key: value for key, value in created.items() if key not in SECTIONS} | {
        "label": "Provider trunk (renamed)"
    }


def test_put_one_section_replaces_it_whole(acme: Api) -> None:
    """Transcript #122/#123: a sent section replaces that whole section; others are kept."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    new_aor = [["contact", "sip:sip2.provider.example"], ["qualify_frequency", "30"]]
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"aor_section_options": new_aor})
    got = acme.ok_get(f"endpoints/sip/{created['uuid']}")
    _same_options(got["aor_section_options"], new_aor)
    for section in SECTIONS:
        if section != "aor_section_options":
            _same_options(got[section], created[section])
    assert got["templates"] == created["templates"]


def test_put_password_only_drops_username(acme: Api) -> None:
    """CONTRACT 6.4, 12.4: sending only the password drops the stored username."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"outbound_auth_section_options": [["password", "new"]]})
    got = acme.ok_get(f"endpoints/sip/{created['uuid']}")
    assert got["outbound_auth_section_options"] == [["password", "new"]]
    _same_options(got["auth_section_options"], created["auth_section_options"])


def test_put_empty_section_clears_it(acme: Api) -> None:
    """CONTRACT 4.2: a provided empty list replaces the section with nothing."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"auth_section_options": []})
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}")["auth_section_options"] == []


def test_put_unknown_is_404(acme: Api) -> None:
    """CONTRACT 5: SIPEndpoint not found with the uuid repr."""
    uuid = "6f57c534-42d7-4dcd-a67e-a2427502a2ce"
    expected = f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{uuid}'))"
    assert_error(acme.put(f"endpoints/sip/{uuid}", {"label": "x"}), 404, expected)
    assert_error(acme.get(f"endpoints/sip/{uuid}"), 404, expected)
    assert_error(acme.delete(f"endpoints/sip/{uuid}"), 404, expected)


# -- reading --------------------------------------------------------------------------------------
def test_passwords_returned_in_clear(acme: Api) -> None:
    """CONTRACT 6.4: passwords are returned in clear in GET and list responses."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    for item in (acme.ok_get(f"endpoints/sip/{created['uuid']}"), acme.items("endpoints/sip")[0]):
        for section in (
            "auth_section_options",
            "outbound_auth_section_options",
            "registration_outbound_auth_section_options",
        ):
            assert ["password", "s3cret"] in item[section]


def test_merged_view_transcript_24(acme: Api) -> None:
    """Transcript #24; CONTRACT 6.4: templates folded in, own options win, duplicates collapse by key."""
    created = acme.create("endpoints/sip", _provider_body(acme))
    merged = acme.ok_get(f"endpoints/sip/{created['uuid']}", params={"view": "merged"})
    endpoint = dict(map(tuple, merged["endpoint_section_options"]))
    keys = [key for key, _ in merged["endpoint_section_options"]]
    assert len(keys) == len(set(keys)), keys  # set_var collapsed too
    assert endpoint["allow"] == "!all,ulaw,alaw"  # own option overrides global's !all,ulaw
    assert endpoint["callerid"] == "wazo"  # inherited from global
    assert endpoint["from_user"] == "acct123"
    aor = dict(map(tuple, merged["aor_section_options"]))
    assert aor["qualify_frequency"] == "60"
    assert aor["contact"] == "sip:sip.provider.example"
    assert aor["max_contacts"] == "1"
    registration = dict(map(tuple, merged["registration_section_options"]))
    assert registration == {
        "forbidden_retry_interval": "30",
        "retry_interval": "20",
        "max_retries": "10000",
        "auth_rejection_permanent": "no",
        "fatal_retry_interval": "30",
        "server_uri": "sip:sip.provider.example",
        "client_uri": "sip:acct123@sip.provider.example",
        "expiration": "120",
    }
    assert merged["templates"] == created["templates"]
    assert merged["name"] == "provider_trunk"


def test_merged_view_later_template_wins(acme: Api) -> None:
    """CONTRACT 6.4, 12.14: a later template in `templates` overrides an earlier one."""
    first = acme.create(
        "endpoints/sip/templates", {"label": "first", "endpoint_section_options": [["language", "fr_FR"]]}
    )
    second = acme.create(
        "endpoints/sip/templates", {"label": "second", "endpoint_section_options": [["language", "de_DE"]]}
    )
    created = acme.create("endpoints/sip", {"templates": [{"uuid": first["uuid"]}, {"uuid": second["uuid"]}]})
    merged = acme.ok_get(f"endpoints/sip/{created['uuid']}", params={"view": "merged"})
    assert merged["endpoint_section_options"] == [["language", "de_DE"]]
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}")["endpoint_section_options"] == []


def test_merged_view_invalid(acme: Api) -> None:
    """CONTRACT 6.4: an invalid view -> 400 containing `Must be one of: merged.`."""
    created = acme.create("endpoints/sip", {})
    response = acme.get(f"endpoints/sip/{created['uuid']}", params={"view": "flat"})
    assert_error_startswith(response, 400, "Input Error - ", "Must be one of: merged.")


def test_list_filters(acme: Api) -> None:
    """CONTRACT 6.4 list; transcript #182/#183: name/label exact, search, uuid list, default order label."""
    a = acme.create("endpoints/sip", {"name": "provider_trunk", "label": "Provider trunk"})
    b = acme.create("endpoints/sip", {"name": "zz", "label": "Another"})
    assert [item["uuid"] for item in assert_list(acme.get("endpoints/sip"), 2)] == [b["uuid"], a["uuid"]]
    assert [
        i["uuid"] for i in assert_list(acme.get("endpoints/sip", params={"name": "provider_trunk"}), 1)
    ] == [a["uuid"]]
    assert_list(acme.get("endpoints/sip", params={"name": "provider"}), 0)
    assert [i["uuid"] for i in assert_list(acme.get("endpoints/sip", params={"search": "PROVIDER"}), 1)] == [
        a["uuid"]
    ]
    assert [i["uuid"] for i in assert_list(acme.get("endpoints/sip", params={"label": "Another"}), 1)] == [
        b["uuid"]
    ]
    both = acme.get("endpoints/sip", params={"uuid": f"{a['uuid']},{b['uuid']}"})
    assert {i["uuid"] for i in assert_list(both, 2)} == {a["uuid"], b["uuid"]}
    assert_list(acme.get("endpoints/sip", params={"uuid": f"{a['uuid']},not-a-uuid"}), 1)
    assert_list(acme.get("endpoints/sip", params={"uuid": "not-a-uuid"}), 0)


def test_delete_endpoint(acme: Api) -> None:
    """CONTRACT 6.4: DELETE always allowed -> 204, then 404."""
    created = acme.create("endpoints/sip", {})
    acme.ok_delete(f"endpoints/sip/{created['uuid']}")
    assert_error(
        acme.get(f"endpoints/sip/{created['uuid']}"),
        404,
        f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{created['uuid']}'))",
    )


def test_read_only_fields_dropped(acme: Api) -> None:
    """CONTRACT 4.2: uuid, tenant_uuid, trunk, line, links in the body are ignored."""
    body = {
        "name": "ro_fields",
        "uuid": "00000000-0000-4000-8000-000000000001",
        "tenant_uuid": "22222222-2222-4222-8222-222222222222",
        "trunk": {"id": 1},
        "line": {"id": 1},
        "links": [],
    }
    created = acme.create("endpoints/sip", body)
    assert created["uuid"] != body["uuid"]
    assert created["tenant_uuid"] == ACME
    assert created["trunk"] is None
    assert created["line"] is None


def test_asterisk_id(acme: Api) -> None:
    """CONTRACT 6.4: asterisk_id string <= 1024 or null; exact list filter."""
    created = acme.create("endpoints/sip", {"asterisk_id": "ast-1"})
    assert created["asterisk_id"] == "ast-1"
    assert [
        e["uuid"] for e in assert_list(acme.get("endpoints/sip", params={"asterisk_id": "ast-1"}), 1)
    ] == [created["uuid"]]
    check_bogus_field_returns_error(acme, "POST", "endpoints/sip", "asterisk_id", "x" * 1025, None)
    acme.ok_put(f"endpoints/sip/{created['uuid']}", {"asterisk_id": None})
    assert acme.ok_get(f"endpoints/sip/{created['uuid']}")["asterisk_id"] is None
