"""`--api 20.12`: the server a Wazo 20.12 is, outside the chan_sip objects themselves.

Sources, wazo-platform repositories at tag wazo-20.12 unless said otherwise: wazo-confd
CHANGELOG.md (HEAD) sections 20.13, 20.14, 23.12, 24.15; wazo-confd wazo_confd/plugins/<name>/
(the plugin list and each schema); CONTRACT sections named per test.
"""

from __future__ import annotations

import yaml

from sandbox import seed
from tests.sandbox._helpers import (
    ACME,
    ALICE,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    input_error,
)
from tests.support.sandbox import SandboxProcess

INCALL = seed.CONTEXTS[("acme", "incall")].legacy_name
OUTCALL = seed.CONTEXTS[("acme", "outcall")].legacy_name


def test_infos_reports_version_20_12(legacy: Api):
    """CONTRACT 9.5: `GET /infos` answers the release in `wazo_version` (plugins/info/resource.py)."""
    assert legacy.ok_get("infos") == {"uuid": seed.WAZO_UUID, "wazo_version": "20.12"}


def test_api_spec_lists_registers_and_no_templates(clean_legacy_sandbox: SandboxProcess):
    """CONTRACT 9.5: without credentials, api.yml tells the generations apart by their paths.

    20.12's plugins include register_sip and trunk_register and no SIP templates
    (wazo_confd/plugins/ at the tag; CHANGELOG 20.13 lists what was removed and added).
    """
    import httpx

    response = httpx.get(f"{clean_legacy_sandbox.confd_url}/api/api.yml", timeout=10)
    assert response.status_code == 200
    paths = yaml.safe_load(response.text)["paths"]
    assert "/registers/sip" in paths
    assert "/registers/sip/{register_id}" in paths
    assert "/trunks/{trunk_id}/registers/sip/{register_id}" in paths
    assert "/endpoints/sip/{sip_id}" in paths
    assert "/endpoints/sip/templates" not in paths
    assert "/tenants" not in paths


def test_pjsip_only_routes_are_absent(legacy: Api):
    """CHANGELOG 20.13 (templates, uuid ids) and 20.14 (`/tenants`): no such routes at 20.12."""
    assert legacy.get("endpoints/sip/templates").status_code == 404
    assert legacy.get(f"tenants/{ACME}").status_code == 404
    assert legacy.get("tenants").status_code == 404
    uuid = "0e0e0e0e-0000-4000-8000-000000000001"
    assert legacy.get(f"endpoints/sip/{uuid}").status_code == 404
    trunk = legacy.create("trunks", {})
    assert legacy.put(f"trunks/{trunk['id']}/endpoints/sip/{uuid}").status_code == 404


def test_trunk_has_no_caller_id_format(legacy: Api):
    """CHANGELOG 24.15 added `outgoing_caller_id_format`; at 20.12 TrunkSchema has no such field
    (plugins/trunk/schema.py lines 8-32), so it is dropped as an unknown key (CONTRACT 4.2)."""
    response = legacy.post("trunks", {"context": INCALL, "outgoing_caller_id_format": "national"})
    trunk = assert_created(response, legacy, "trunks")
    assert "outgoing_caller_id_format" not in trunk
    assert trunk["register_sip"] is None
    assert trunk["endpoint_sip"] is None
    assert set(trunk) == {
        "id",
        "tenant_uuid",
        "context",
        "twilio_incoming",
        "links",
        "endpoint_sip",
        "endpoint_custom",
        "endpoint_iax",
        "outcalls",
        "register_iax",
        "register_sip",
    }


def test_trunk_list_filters_only_its_own_columns(legacy: Api):
    """xivo-dao resources/trunk/search.py at 20.12: columns id, context, description; a `name`
    parameter is not one of them and is ignored (CONTRACT 4.3: unknown parameters are ignored)."""
    legacy.create("trunks", {"context": INCALL})
    legacy.create("trunks", {})
    assert len(legacy.items("trunks", params={"name": "nobody"})) == 2
    assert len(legacy.items("trunks", params={"context": INCALL})) == 1
    assert_error(
        legacy.get("trunks", params={"order": "outgoing_caller_id_format"}),
        400,
        "Input Error - order: column 'outgoing_caller_id_format' was not found",
    )


def test_contexts_have_client_chosen_names_and_no_uuid(legacy: Api):
    """plugins/context/schema.py ContextSchema at 20.12 (lines 41-80): no `uuid`; names generated
    only from 23.12 (CHANGELOG 23.12). The seeded ones are named as an operator would."""
    (incall,) = legacy.items("contexts", params={"type": "incall"})
    assert incall["name"] == INCALL
    assert "uuid" not in incall
    assert incall["incall_ranges"] == [seed.INCALL_RANGES["acme"]]


def test_context_creation_needs_a_valid_unique_name(legacy: Api):
    """ContextSchema.name at 20.12: required, `^[a-zA-Z0-9-_]*$`, 1..39, not a reserved word;
    validator.py UniqueField('name'); label is optional and may be null."""
    assert_error(
        legacy.post("contexts", {"label": "x", "type": "incall"}),
        400,
        input_error("name", "Missing data for required field."),
    )
    assert_error_startswith(legacy.post("contexts", {"name": "has space"}), 400, "Input Error - name: ")
    assert_error_startswith(legacy.post("contexts", {"name": "x" * 40}), 400, "Input Error - name: ")
    assert_error(legacy.post("contexts", {"name": "general"}), 400, input_error("name", "Invalid input."))
    created = assert_created(
        legacy.post("contexts", {"name": "acme-fax", "type": "incall"}), legacy, "contexts"
    )
    assert created["name"] == "acme-fax"
    assert created["label"] is None
    response = legacy.post("contexts", {"name": "acme-fax"})
    assert_error(response, 400, "Resource Error - Context already exists ('name': 'acme-fax')")


def test_subroutines_are_39_characters_at_most(legacy: Api):
    """plugins/outcall/schema.py and plugins/incall/schema.py at 20.12: Length(max=39) (79 later)."""
    too_long = "s" * 40
    assert_error_startswith(
        legacy.post("outcalls", {"name": "o", "preprocess_subroutine": too_long}),
        400,
        "Input Error - preprocess_subroutine: ",
    )
    body = {"destination": {"type": "none"}, "preprocess_subroutine": too_long}
    assert_error_startswith(legacy.post("incalls", body), 400, "Input Error - preprocess_subroutine: ")
    legacy.create("outcalls", {"name": "o", "preprocess_subroutine": "s" * 39})


def test_user_destination_has_no_music_on_hold(legacy: Api):
    """helpers/destination.py UserDestinationSchema at 20.12 has no `moh_uuid`: it is dropped."""
    moh = seed.target_uuid("moh", "acme")
    incall = legacy.create("incalls", {"destination": {"type": "user", "user_id": ALICE, "moh_uuid": moh}})
    assert "moh_uuid" not in incall["destination"]
    assert incall["destination"]["user_id"] == ALICE


def test_outcall_trunks_show_chan_sip_endpoints(legacy: Api):
    """plugins/outcall/schema.py: trunks show TrunkSchema's endpoint_sip, at 20.12 `id`,
    `username`, `name`, `links` (plugins/trunk/schema.py line 15-17)."""
    trunk = legacy.create("trunks", {"context": INCALL})
    endpoint = legacy.create(
        "endpoints/sip", {"name": "prov", "username": "u1", "secret": "s", "type": "peer"}
    )
    legacy.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['id']}")
    outcall = legacy.create("outcalls", {"name": "out"})
    legacy.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    (shown,) = legacy.ok_get(f"outcalls/{outcall['id']}")["trunks"]
    assert shown["endpoint_sip"] == {
        "id": endpoint["id"],
        "username": "u1",
        "name": "prov",
        "links": [{"rel": "endpoint_sip", "href": legacy.url(f"endpoints/sip/{endpoint['id']}")}],
    }
