"""check: offline pydantic validation, one readable failure per bad field, Unknowns tolerated."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from providers.confd import Settings, configure
from providers.confd.auth import forget_tokens
from tests.providers.support import (
    ACME,
    INCALL_CTX,
    OUTCALL_CTX,
    PROVIDERS,
    SIP_PASSWORD,
    VALID,
)
from tests.support.sandbox import SandboxProcess

# (resource, field, bad value, words the admin must read in the reason)
BAD: list[tuple[str, str, Any, str]] = [
    ("context", "tenant_uuid", "acme", "tenant uuid"),
    ("context", "label", "", "at least 1 character"),
    ("context", "label", "x" * 129, "at most 128"),
    ("context", "type", "incoming", "'internal', 'incall'"),
    ("context", "incall_ranges", [{"start": "1555", "end": "155599"}], "same length"),
    ("context", "user_ranges", [{"start": "2000", "end": "1000"}], "lower than or equal"),
    ("context", "group_ranges", [{"start": "+2000"}], "pattern"),
    ("context", "incall_ranges", [{"start": "1000", "did_length": -1}], "greater than or equal to 0"),
    ("context", "enabled", "yes", "true or false"),
    ("trunk", "context", "Acme incall", "context label"),
    ("trunk", "outgoing_caller_id_format", "e164", "'+E164', 'E164' or 'national'"),
    ("trunk", "twilio_incoming", "no", "true or false"),
    ("trunk", "endpoint", "x", "not an input of trunk"),
    ("endpoint_sip", "name", "global", "reserved"),
    ("endpoint_sip", "name", "acme provider", "letters, digits"),
    ("endpoint_sip", "name", "a" * 80, "1..79"),
    ("endpoint_sip", "label", "x" * 129, "at most 128"),
    ("endpoint_sip", "templates", ["registration_trunk"], "template uuid"),
    ("endpoint_sip", "transport_uuid", "transport-udp", "transport uuid"),
    ("endpoint_sip", "aor_section_options", [["qualify_frequency", 60]], "must both be strings"),
    ("endpoint_sip", "aor_section_options", [["qualify_frequncy", "60"]], "did you mean qualify_frequency"),
    ("endpoint_sip", "aor_section_options", [["contact", "sip:host:99999"]], "invalid port"),
    ("endpoint_sip", "aor_section_options", [["contact", "provider.example"]], "SIP URI"),
    ("endpoint_sip", "aor_section_options", [["type", "aor"]], "not a PJSIP aor option"),
    ("endpoint_sip", "registration_section_options", [["expiration", "two minutes"]], "whole number"),
    ("endpoint_sip", "registration_section_options", [["server_uri", "https://x"]], "SIP URI"),
    ("endpoint_sip", "registration_section_options", [["outbound_auth", "x"]], "registration option"),
    ("endpoint_sip", "identify_section_options", [["match", "not a host"]], "neither an IP"),
    ("endpoint_sip", "endpoint_section_options", [["dtmf_mode", "rfc2833"]], "rfc4733"),
    ("endpoint_sip", "endpoint_section_options", [["allow"]], "[key, value] pair"),
    ("endpoint_sip", "outbound_auth_section_options", [["password", SIP_PASSWORD]], "no username"),
    ("endpoint_sip", "auth_section_options", [["@custom", "x"]], "only in aor and endpoint"),
    ("endpoint_sip", "registration_outbound_auth_section_options", [["username", ""]], "not be empty"),
    ("endpoint_sip", "adopt", "true", "true or false"),
    ("outcall", "name", "", "at least 1 character"),
    ("outcall", "ring_time", -5, "greater than or equal to 0"),
    ("outcall", "enabled", 1, "true or false"),
    ("outcall", "internal_caller_id", "false", "true or false"),
    ("outcall", "preprocess_subroutine", "x" * 80, "at most 79"),
    ("extension", "exten", "418.", "write '_418.'"),
    ("extension", "exten", "_4.18", "must come last"),
    ("extension", "exten", "_41[8", "without its ']'"),
    ("extension", "exten", "", "must not be empty"),
    ("extension", "exten", "1" * 41, "longer than 40"),
    ("extension", "exten", "ab1", "not a dial pattern"),
    ("extension", "context", "Acme outcall", "context label"),
    ("extension", "enabled", "no", "true or false"),
    ("incall", "destination", {"type": "hangup"}, "cause: is required"),
    ("incall", "destination", {"type": "user"}, "user_id: is required"),
    ("incall", "destination", {"type": "teleport"}, "type must be one of"),
    ("incall", "destination", {"type": "custom", "command": "System(rm -rf /)"}, "refused"),
    ("incall", "destination", {"type": "extension", "exten": "+1000", "context": INCALL_CTX}, "digits"),
    ("incall", "destination", {"type": "extension", "exten": "1000", "context": "a b"}, "context name"),
    ("incall", "destination", {"type": "user", "user_id": 1, "ring_time": -1}, "greater than"),
    ("incall", "destination", {"type": "hangup", "cause": "normal", "timeout": 5}, "busy and congestion"),
    (
        "incall",
        "destination",
        {"type": "queue", "queue_id": 1, "skill_rule_variables": {"a": "b"}},
        "skill_rule_id",
    ),
    ("incall", "destination", {"type": "voicemail", "voicemail_id": 1, "greeting": "hello"}, "'busy'"),
    ("incall", "destination", {"type": "application", "application": "fax_to_mail", "email": "x"}, "email"),
    ("incall", "destination", {"type": "outcall", "outcall_id": 1, "exten": "+33"}, "digits only"),
    ("incall", "destination", {"type": "switchboard", "switchboard_uuid": "sb"}, "switchboard uuid"),
    ("incall", "caller_id_mode", "replace", "'prepend', 'overwrite' or 'append'"),
    ("incall", "caller_id_name", "x" * 81, "at most 80"),
    ("incall", "greeting_sound", "x" * 256, "at most 255"),
    ("trunk_endpoint", "trunk_id", 0, "greater than or equal to 1"),
    ("trunk_endpoint", "endpoint_uuid", "acme-provider", "SIP endpoint uuid"),
    ("outcall_trunk", "trunk_ids", [1, 1], "twice"),
    ("outcall_trunk", "outcall_id", "one", "whole number"),
    ("outcall_extension", "strip_digits", -1, "greater than or equal to 0"),
    ("outcall_extension", "strip_digits", None, "whole number"),
    ("outcall_extension", "prefix", "9a", "digits, * or #"),
    ("outcall_extension", "external_prefix", "+abc", "digits, * or #"),
    ("outcall_extension", "caller_id", "+33 1 23 45 67 89", "E.164"),
    ("outcall_extension", "caller_id", '"ACME" <0033-123>', "E.164"),
    ("incall_extension", "extension_id", -2, "greater than or equal to 1"),
]


@pytest.fixture(scope="module")
def pointed(sandbox: SandboxProcess):
    """Settings aimed at the sandbox, so that any request check might send would be logged."""
    configure(Settings(url=sandbox.url, username="acme-admin", password="acme-secret"))
    forget_tokens()
    yield sandbox
    configure(None)


@pytest.mark.parametrize(
    ("resource", "field", "value", "words"), BAD, ids=[f"{r}-{f}-{i}" for i, (r, f, _, _) in enumerate(BAD)]
)
def test_bad_input_is_refused_at_check_without_a_request(pointed, resource, field, value, words):
    before = pointed.last_seq()
    result = PROVIDERS[resource]().check({}, {**VALID[resource], field: value, "__provider": "x"})
    assert [f.property for f in result.failures] == [field]
    assert words in result.failures[0].reason
    assert pointed.requests(since=before) == []


@pytest.mark.parametrize("resource", sorted(VALID))
def test_valid_inputs_pass_and_come_back_normalized(resource):
    result = PROVIDERS[resource]().check({}, {**VALID[resource], "__provider": "x"})
    assert result.failures == []
    assert "__provider" not in result.inputs
    assert PROVIDERS[resource]().check({}, result.inputs).inputs == result.inputs


def test_one_failure_per_field_with_every_problem_in_it():
    news = {
        **VALID["endpoint_sip"],
        "name": "system",
        "aor_section_options": [["contact", "x"], ["qualify_frequency", "often"]],
    }
    failures = PROVIDERS["endpoint_sip"]().check({}, news).failures
    assert sorted(f.property for f in failures) == ["aor_section_options", "name"]
    aor = next(f.reason for f in failures if f.property == "aor_section_options")
    assert "[0] contact" in aor
    assert "[1] qualify_frequency" in aor


def test_secret_values_never_appear_in_failures():
    news = {
        **VALID["endpoint_sip"],
        "outbound_auth_section_options": [["password", SIP_PASSWORD], ["auth_type", SIP_PASSWORD]],
    }
    failures = PROVIDERS["endpoint_sip"]().check({}, news).failures
    assert failures
    assert all(SIP_PASSWORD not in f.reason for f in failures)


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ("trunk", "context"),
        ("endpoint_sip", "templates"),
        ("endpoint_sip", "outbound_auth_section_options"),
        ("extension", "context"),
        ("incall", "destination"),
        ("trunk_endpoint", "endpoint_uuid"),
        ("outcall_trunk", "trunk_ids"),
        ("outcall_extension", "extension_id"),
    ],
)
def test_unknown_values_during_preview_are_tolerated(resource, field):
    value = VALID[resource][field]
    unknown: Any = [Unknown()] if isinstance(value, list) else Unknown()
    result = PROVIDERS[resource]().check({}, {**VALID[resource], field: unknown})
    assert result.failures == []
    assert isinstance(result.inputs[field], list | Unknown)


def test_other_fields_are_still_checked_next_to_an_unknown():
    news = {**VALID["extension"], "context": Unknown(), "enabled": "maybe"}
    failures = PROVIDERS["extension"]().check({}, news).failures
    assert [f.property for f in failures] == ["enabled"]


def test_exten_rules_follow_the_context_type():
    check = PROVIDERS["extension"]().check
    did = {"tenant_uuid": ACME, "context": INCALL_CTX}
    assert check({}, {**did, "exten": "15551234567"}).failures == []
    plus = check({}, {**did, "exten": "+15551234567"}).failures
    assert "'15551234567'" in plus[0].reason
    assert check({}, {**did, "exten": "_1555XXXXXXX"}).failures == []
    out = {"tenant_uuid": ACME, "context": OUTCALL_CTX}
    assert check({}, {**out, "exten": "_+1NXXNXXXXXX"}).failures == []
    assert check({}, {**out, "exten": "+15551234567"}).failures == []


def test_the_wire_form_of_unknown_is_tolerated_too():
    from pulumi.runtime import rpc

    news = {**VALID["trunk_endpoint"], "trunk_id": rpc.UNKNOWN}
    assert PROVIDERS["trunk_endpoint"]().check({}, news).failures == []
