"""The resources of a chan_sip-era Wazo (20.12 and before), and the unchanged ones, on that server.

The same lifecycle scenario as test_lifecycle.py (exact requests: a create is a look and a POST,
an update a PUT and the GET that verifies it; read without diff, drift, gone, delete twice), run
against `python -m sandbox --api 20.12`; then what only
these resources do: checks that keep a 500 from happening, the options compared as confd shows
them, the register link that 20.12 cannot undo, and secrets kept out of every message.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

import dill
import httpx
import pytest

from providers._base import PROVIDER_KEY
from providers.confd import ConfdAlreadyExists
from providers.endpoint_sip_legacy import canonical_options
from tests.providers.support import (
    ACME,
    LEGACY_PROVIDERS,
    LEGACY_VALID,
    PROVIDERS,
    SIP_PASSWORD,
    Admin,
)
from tests.providers.test_lifecycle import (
    Scenario,
    exercise,
    extension_scenario,
    incall_extension_scenario,
    incall_scenario,
    outcall_extension_scenario,
    outcall_scenario,
    outcall_trunk_scenario,
)


def _trunk(admin: Admin) -> int:
    return int(admin.post("/trunks", {"context": admin.context_name("incall")})["id"])


def trunk_scenario(admin: Admin) -> Scenario:
    """The trunk has no outgoing_caller_id_format at 20.12: confd drops it and shows none."""
    return Scenario(
        "trunk",
        {"tenant_uuid": ACME, "context": admin.context_name("incall")},
        [("GET", "/trunks"), ("POST", "/trunks")],
        updates=[("context", admin.context_name("outcall")), ("twilio_incoming", True)],
        drift=lambda id_, outs: admin.put(f"/trunks/{id_}", {"context": None}),
        drift_field="context",
        gone=lambda id_, outs: admin.delete(f"/trunks/{id_}"),
        delete_writes=[("DELETE", r"/trunks/\d+")],
    )


def endpoint_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "endpoint_sip_legacy",
        dict(LEGACY_VALID["endpoint_sip_legacy"]),
        [("GET", "/endpoints/sip"), ("POST", "/endpoints/sip")],
        updates=[
            ("name", "acme-provider-2"),
            ("username", "u124"),
            ("secret", "n3w-s3cret"),
            ("type", "friend"),
            ("host", "sip2.provider.example"),
            (
                "options",
                [["qualify", "no"], ["dtmfmode", "rfc2833"], ["port", "5080"], ["dtmf_mode", "rfc4733"]],
            ),
        ],
        drift=lambda id_, outs: admin.put(f"/endpoints/sip/{id_}", {"options": [["nat", "comedia"]]}),
        drift_field="options",
        gone=lambda id_, outs: admin.delete(f"/endpoints/sip/{id_}"),
        delete_writes=[("DELETE", r"/endpoints/sip/\d+")],
    )


def register_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "register_sip",
        dict(LEGACY_VALID["register_sip"]),
        [("GET", "/registers/sip"), ("POST", "/registers/sip")],
        updates=[
            ("transport", None),
            ("remote_port", 5080),
            ("callback_extension", "u123"),
            ("expiration", 300),
            ("auth_password", "n3w-s3cret"),
            ("enabled", False),
        ],
        drift=lambda id_, outs: admin.put(f"/registers/sip/{id_}", {"expiration": 60}),
        drift_field="expiration",
        gone=lambda id_, outs: admin.delete(f"/registers/sip/{id_}"),
        delete_writes=[("DELETE", r"/registers/sip/\d+")],
    )


def trunk_register_scenario(admin: Admin) -> Scenario:
    trunk = _trunk(admin)
    register = int(admin.post("/registers/sip", {"sip_username": "u1", "remote_host": "h"})["id"])
    return Scenario(
        "trunk_register",
        {"tenant_uuid": ACME, "trunk_id": trunk, "register_id": register},
        [("PUT", rf"/trunks/{trunk}/registers/sip/{register}")],
        # unlinking changes nothing at 20.12: the link goes with the register
        gone=lambda id_, outs: admin.delete(f"/registers/sip/{register}"),
        delete_writes=[("DELETE", rf"/trunks/{trunk}/registers/sip/{register}")],
    )


def trunk_endpoint_scenario(admin: Admin) -> Scenario:
    trunk = _trunk(admin)
    endpoint = int(admin.post("/endpoints/sip", {"name": "linked-endpoint"})["id"])
    return Scenario(
        "trunk_endpoint_legacy",
        {"tenant_uuid": ACME, "trunk_id": trunk, "endpoint_id": endpoint},
        [("PUT", rf"/trunks/{trunk}/endpoints/sip/{endpoint}")],
        gone=lambda id_, outs: admin.delete(f"/trunks/{trunk}/endpoints/sip/{endpoint}"),
        delete_writes=[("DELETE", rf"/trunks/{trunk}/endpoints/sip/{endpoint}")],
    )


SCENARIOS = {
    "trunk": trunk_scenario,
    "endpoint_sip_legacy": endpoint_scenario,
    "trunk_endpoint_legacy": trunk_endpoint_scenario,
    "register_sip": register_scenario,
    "trunk_register": trunk_register_scenario,
    # unchanged in 20.13 (legacy-20.12 trunk.yml, outcall_trunk.yml; wazo-confd plugins outcall,
    # outcall_extension, extension, incall, incall_extension at wazo-20.12)
    "outcall": outcall_scenario,
    "outcall_trunk": outcall_trunk_scenario,
    "extension": extension_scenario,
    "outcall_extension": outcall_extension_scenario,
    "incall": incall_scenario,
    "incall_extension": incall_extension_scenario,
}
ALL_PROVIDERS = {**PROVIDERS, **LEGACY_PROVIDERS}


@pytest.mark.parametrize("resource", list(SCENARIOS))
def test_lifecycle_on_20_12(legacy_acme, legacy_admin, resource):
    exercise(legacy_acme, ALL_PROVIDERS[resource](), SCENARIOS[resource](legacy_admin))


def test_the_trunk_reads_as_plus_e164_on_20_12(legacy_acme, legacy_admin):
    """The field does not exist there; trunks got +E164 when upgraded (xivo-manage-db d80c07b01d39)."""
    provider = PROVIDERS["trunk"]()
    inputs = provider.check({}, {"tenant_uuid": ACME, "context": legacy_admin.context_name("incall")}).inputs
    created = provider.create({**inputs, PROVIDER_KEY: "x"})
    assert "outgoing_caller_id_format" not in legacy_admin.get(f"/trunks/{created.id}")
    assert (created.outs or {})["outgoing_caller_id_format"] == "+E164"
    refused = provider.check({}, {**inputs, "outgoing_caller_id_format": "national"}).inputs
    with pytest.raises(Exception, match=r"outgoing_caller_id_format \(sent 'national', stored '\+E164'\)"):
        provider.create({**refused, PROVIDER_KEY: "x"})
    assert len(legacy_admin.get("/trunks")["items"]) == 1  # the mismatched one was deleted again


# -- check ---------------------------------------------------------------------------------------

BAD: list[tuple[str, str, Any, str]] = [
    ("endpoint_sip_legacy", "name", "acme.provider", "'_', '+' and '-'"),
    ("endpoint_sip_legacy", "name", "a" * 41, "1..40"),
    ("endpoint_sip_legacy", "username", "user@host", "'_', '+' and '-'"),
    ("endpoint_sip_legacy", "secret", "pâssword", "printable ASCII"),
    ("endpoint_sip_legacy", "type", "trunk", "'friend', 'peer' or 'user'"),
    ("endpoint_sip_legacy", "options", [["nat", "yes"]], "must be one of no, force_rport"),
    ("endpoint_sip_legacy", "options", [["dtmfmode", "rfc4733"]], "rfc2833"),
    ("endpoint_sip_legacy", "options", [["qualifyfreq", "often"]], "whole number"),
    ("endpoint_sip_legacy", "options", [["qualify", "always"]], "longer than 4"),
    ("endpoint_sip_legacy", "options", [["trustrpid", "Yes"]], "lower case"),
    ("endpoint_sip_legacy", "options", [["allow", "ulaw"], ["allow", "alaw"]], "given twice"),
    ("endpoint_sip_legacy", "options", [["qualifyfreq", 60]], "must both be strings"),
    ("register_sip", "sip_username", "u:1", "separators"),
    ("register_sip", "auth_password", "pass word", "separators"),
    ("register_sip", "remote_host", "h~1", "'~'"),
    ("register_sip", "remote_port", 0, "greater than or equal to 1"),
    ("register_sip", "expiration", 0, "greater than or equal to 1"),
    ("register_sip", "transport", "udp://", "transport-udp"),
    ("register_sip", "callback_extension", "a b", "'~' or spaces"),
    ("trunk_register", "register_id", 0, "greater than or equal to 1"),
    ("trunk_endpoint_legacy", "endpoint_id", "0e0e0e0e-0000-4000-8000-000000000001", "whole number"),
]


@pytest.mark.parametrize(("resource", "field", "value", "words"), BAD)
def test_check_names_the_field_and_the_fix(resource, field, value, words):
    result = LEGACY_PROVIDERS[resource]().check(
        {}, {**LEGACY_VALID[resource], field: value, PROVIDER_KEY: "x"}
    )
    assert [f.property for f in result.failures] == [field]
    assert words in result.failures[0].reason


def test_check_refuses_a_register_line_confd_would_refuse():
    check = LEGACY_PROVIDERS["register_sip"]().check
    failures = check({}, {**LEGACY_VALID["register_sip"], "auth_password": None}).failures
    assert ["needs auth_password" in f.reason for f in failures] == [True]
    failures = check({}, {**LEGACY_VALID["register_sip"], "remote_host": "h" * 250}).failures
    assert ["longer than 255" in f.reason for f in failures] == [True]


@pytest.mark.parametrize("resource", sorted(LEGACY_VALID))
def test_valid_inputs_pass_and_are_stable(resource):
    result = LEGACY_PROVIDERS[resource]().check({}, {**LEGACY_VALID[resource], PROVIDER_KEY: "x"})
    assert result.failures == []
    assert LEGACY_PROVIDERS[resource]().check({}, result.inputs).inputs == result.inputs


def test_secrets_never_appear_in_check_failures():
    check = LEGACY_PROVIDERS["endpoint_sip_legacy"]().check
    bad_secret = SIP_PASSWORD + "é"
    failures = check({}, {**LEGACY_VALID["endpoint_sip_legacy"], "secret": bad_secret}).failures
    assert failures
    assert all(SIP_PASSWORD not in f.reason for f in failures)
    check = LEGACY_PROVIDERS["register_sip"]().check
    failures = check({}, {**LEGACY_VALID["register_sip"], "auth_password": SIP_PASSWORD + ":x"}).failures
    assert failures
    assert all(SIP_PASSWORD not in f.reason for f in failures)


# -- diff: options compared as confd shows them ----------------------------------------------------


def test_options_compare_as_the_server_reads_them_back():
    """Columns come back in no order, yes/no for ast_true ones, integers unpadded, and three
    database defaults (amaflags, subscribemwi, call-limit) that were never sent."""
    sent = [["qualify", "yes"], ["qualifyfreq", "060"], ["trustrpid", "true"], ["foo", "bar"]]
    shown = [
        ["amaflags", "default"],
        ["call-limit", "10"],
        ["qualifyfreq", "60"],
        ["subscribemwi", "no"],
        ["trustrpid", "yes"],
        ["qualify", "yes"],
        ["foo", "bar"],
    ]
    assert canonical_options(sent) == canonical_options(shown)
    assert canonical_options(sent) != canonical_options([*shown, ["foo", "bar"]])
    provider = LEGACY_PROVIDERS["endpoint_sip_legacy"]()
    news = {**LEGACY_VALID["endpoint_sip_legacy"], "options": sent}
    olds = {**provider.check({}, news).inputs, "options": shown}
    assert provider.diff("1", olds, {**news, PROVIDER_KEY: "x"}).changes is False


@pytest.mark.parametrize(
    ("resource", "field"), [("endpoint_sip_legacy", "name"), ("register_sip", "sip_username")]
)
def test_nothing_is_replaced_for_a_field_confd_updates(resource, field):
    provider = LEGACY_PROVIDERS[resource]()
    olds = provider.check({}, LEGACY_VALID[resource]).inputs
    result = provider.diff("1", olds, {**LEGACY_VALID[resource], field: "changed", PROVIDER_KEY: "x"})
    assert (result.changes, result.replaces) == (True, [])


# -- create: adoption, and secrets kept out of messages -----------------------------------------------


def test_an_existing_endpoint_is_found_by_its_exact_name(legacy_acme, legacy_admin):
    """20.12 ignores a `name` filter on this list: only the item with exactly that name counts."""
    legacy_admin.post("/endpoints/sip", {"name": "acme-provider-old", "username": "x"})
    existing = legacy_admin.post("/endpoints/sip", {"name": "acme-provider", "username": "x"})
    provider = LEGACY_PROVIDERS["endpoint_sip_legacy"]()
    inputs = provider.check({}, LEGACY_VALID["endpoint_sip_legacy"]).inputs
    with pytest.raises(ConfdAlreadyExists) as caught:
        provider.create({**inputs, PROVIDER_KEY: "x"})
    assert f"(id {existing['id']})" in caught.value.summary
    assert SIP_PASSWORD not in str(caught.value)
    adopted = provider.create({**inputs, "adopt": True, PROVIDER_KEY: "x"})
    assert adopted.id == str(existing["id"])
    got = legacy_admin.get(f"/endpoints/sip/{existing['id']}")
    assert (got["username"], got["secret"], got["host"]) == ("u123", SIP_PASSWORD, "sip.provider.example")


def test_a_name_taken_in_another_tenant_is_refused_without_the_secret(legacy_acme, legacy_admin):
    """confd's own refusal (the name is unique across tenants) never echoes the secret."""
    token = legacy_acme.token("other-admin", "other-secret")
    response = httpx.post(
        f"{legacy_acme.confd_url}/endpoints/sip",
        json={"name": "acme-provider"},
        headers={"X-Auth-Token": token},
    )
    assert response.status_code == 201
    provider = LEGACY_PROVIDERS["endpoint_sip_legacy"]()
    inputs = provider.check({}, LEGACY_VALID["endpoint_sip_legacy"]).inputs
    with pytest.raises(ConfdAlreadyExists) as caught:
        provider.create({**inputs, PROVIDER_KEY: "x"})
    assert "not in tenant" in str(caught.value)
    assert SIP_PASSWORD not in str(caught.value)
    assert legacy_admin.get("/endpoints/sip")["total"] == 0


@pytest.mark.parametrize("resource", sorted(LEGACY_PROVIDERS))
def test_providers_pickle_small_and_empty(resource):
    provider = LEGACY_PROVIDERS[resource]()
    raw = dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert len(raw) < 200
    assert vars(provider) == {}
    assert base64.b64encode(raw)


def test_the_endpoint_secret_and_register_password_stay_outputs_only_where_confd_shows_them(
    legacy_acme, legacy_admin
):
    """Read gives the secret back (confd shows it), as the PJSIP endpoint's passwords: the
    resources declare those outputs secret (test_resources.py checks the registrations)."""
    provider = LEGACY_PROVIDERS["endpoint_sip_legacy"]()
    inputs = provider.check({}, LEGACY_VALID["endpoint_sip_legacy"]).inputs
    created = provider.create({**inputs, PROVIDER_KEY: "x"})
    read = provider.read(created.id, created.outs or {})
    assert (read.outs or {})["secret"] == SIP_PASSWORD


def test_unlinking_a_register_on_20_12_leaves_it_to_the_register_deletion(legacy_acme, legacy_admin):
    """The link's delete sends its DELETE (a no-op at 20.12); deleting the register then unlinks."""
    scenario = trunk_register_scenario(legacy_admin)
    provider = LEGACY_PROVIDERS["trunk_register"]()
    created = provider.create({**scenario.inputs, PROVIDER_KEY: "x"})
    provider.delete(created.id, created.outs or {})
    trunk = legacy_admin.get(f"/trunks/{scenario.inputs['trunk_id']}")
    assert trunk["register_sip"]["id"] == scenario.inputs["register_id"]
    legacy_admin.delete(f"/registers/sip/{scenario.inputs['register_id']}")
    assert provider.read(created.id, created.outs or {}).id == ""


def test_register_outputs_are_its_inputs_and_its_id(legacy_acme):
    provider = LEGACY_PROVIDERS["register_sip"]()
    inputs = provider.check({}, LEGACY_VALID["register_sip"]).inputs
    created = provider.create({**inputs, PROVIDER_KEY: "x"})
    assert set(created.outs or {}) == {*inputs, "register_id"}
    assert (created.outs or {})["tenant_uuid"] == ACME


# the import paths pickled into every state that holds these resources (docs/architecture.md,
# "Renaming a provider class or module"): never change them without an alias
LEGACY_PINNED = {
    "endpoint_sip_legacy": "providers.endpoint_sip_legacy:EndpointSipLegacyProvider",
    "register_sip": "providers.register_sip:RegisterSipProvider",
    "trunk_register": "providers.trunk_register:TrunkRegisterSipProvider",
    "trunk_endpoint_legacy": "providers.trunk_endpoint:TrunkEndpointSipLegacyProvider",
}


@pytest.mark.parametrize("resource", sorted(LEGACY_PINNED))
def test_the_pickled_import_paths_are_pinned(resource):
    cls = LEGACY_PROVIDERS[resource]
    assert f"{cls.__module__}:{cls.__qualname__}" == LEGACY_PINNED[resource]
