"""Trunk <-> SIP endpoint association (CONTRACT 6.7; transcript #12, #95, #96, #129, #138)."""

from __future__ import annotations

from tests.sandbox._helpers import (
    Api,
    assert_error,
    assert_error_startswith,
    assert_no_content,
    new_endpoint,
    new_trunk,
    not_found,
    template,
)

UNKNOWN_UUID = "00000000-0000-4000-8000-00000000abcd"


def _already(trunk_id: int, endpoint_uuid: str) -> str:
    return (
        f"Resource Error - Trunk is associated with a Endpoint ('trunk_id': {trunk_id}, "
        f"'endpoint': 'sip', 'endpoint_id': UUID('{endpoint_uuid}'))"
    )


def test_associate_transcript_12(acme: Api) -> None:
    """Transcript #12; CONTRACT 6.7: 204 empty; both sides show the relation."""
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme, name="provider_trunk", label="Provider trunk")
    response = acme.put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")
    assert_no_content(response)
    assert acme.ok_get(f"trunks/{trunk['id']}")["endpoint_sip"]["uuid"] == endpoint["uuid"]
    assert acme.ok_get(f"endpoints/sip/{endpoint['uuid']}")["trunk"] == {
        "id": trunk["id"],
        "links": [{"rel": "trunks", "href": acme.url(f"trunks/{trunk['id']}")}],
    }


def test_step1_unknown_trunk_404_before_endpoint(acme: Api) -> None:
    """CONTRACT 6.7 step 1: the trunk is looked up first -> 404 Trunk was not found."""
    endpoint = new_endpoint(acme)
    assert_error(
        acme.put(f"trunks/999999/endpoints/sip/{endpoint['uuid']}"), 404, not_found("Trunk", "'id': 999999")
    )
    assert_error(
        acme.put(f"trunks/999999/endpoints/sip/{UNKNOWN_UUID}"), 404, not_found("Trunk", "'id': 999999")
    )


def test_step2_unknown_endpoint_404(acme: Api) -> None:
    """CONTRACT 6.7 step 2: unknown endpoint -> 404 SIPEndpoint was not found."""
    trunk = new_trunk(acme)
    assert_error(
        acme.put(f"trunks/{trunk['id']}/endpoints/sip/{UNKNOWN_UUID}"),
        404,
        f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{UNKNOWN_UUID}'))",
    )


def test_step2_template_is_not_an_endpoint(acme: Api) -> None:
    """CONTRACT 6.7 step 2: only non-template endpoints can be associated."""
    trunk = new_trunk(acme)
    glob = template(acme, "global")
    assert_error_startswith(
        acme.put(f"trunks/{trunk['id']}/endpoints/sip/{glob['uuid']}"),
        404,
        "Resource Not Found - SIPEndpoint was not found (",
    )
    assert acme.ok_get(f"trunks/{trunk['id']}")["endpoint_sip"] is None


def test_step2_endpoint_of_invisible_tenant_404(acme: Api, other: Api) -> None:
    """CONTRACT 6.7 step 2 + 3: the endpoint is looked up in the visible tenants only."""
    trunk = new_trunk(acme)
    theirs = new_endpoint(other)
    assert_error_startswith(
        acme.put(f"trunks/{trunk['id']}/endpoints/sip/{theirs['uuid']}"),
        404,
        "Resource Not Found - SIPEndpoint was not found (",
    )


def test_step3_same_pair_is_idempotent(acme: Api) -> None:
    """CONTRACT 6.7 step 3: re-PUT of the associated pair -> 204, nothing else."""
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme)
    acme.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")
    before = acme.ok_get(f"trunks/{trunk['id']}")
    assert_no_content(acme.put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}"))
    assert acme.ok_get(f"trunks/{trunk['id']}") == before


def test_step4_different_tenants(master: Api, acme: Api, other: Api) -> None:
    """CONTRACT 6.7 step 4, 3: both visible (master token) but different tenants -> 400."""
    trunk = new_trunk(acme)
    theirs = new_endpoint(other)
    assert_error_startswith(
        master.put(f"trunks/{trunk['id']}/endpoints/sip/{theirs['uuid']}"),
        400,
        "Resource Error - different tenants (",
    )
    assert acme.ok_get(f"trunks/{trunk['id']}")["endpoint_sip"] is None


def test_step4_tenant_checked_before_trunk_busy(master: Api, acme: Api, other: Api) -> None:
    """CONTRACT 6.7 order: `different tenants` (step 4) comes before `Trunk is associated` (step 5)."""
    trunk = new_trunk(acme)
    mine = new_endpoint(acme)
    acme.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{mine['uuid']}")
    theirs = new_endpoint(other)
    assert_error_startswith(
        master.put(f"trunks/{trunk['id']}/endpoints/sip/{theirs['uuid']}"),
        400,
        "Resource Error - different tenants (",
    )


def test_step5_trunk_already_has_endpoint_transcript_96(acme: Api) -> None:
    """Transcript #96; CONTRACT 6.7 step 5: no implicit replacement."""
    trunk = new_trunk(acme)
    first = new_endpoint(acme)
    second = new_endpoint(acme)
    acme.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{first['uuid']}")
    assert_error(
        acme.put(f"trunks/{trunk['id']}/endpoints/sip/{second['uuid']}"),
        400,
        _already(trunk["id"], first["uuid"]),
    )
    assert acme.ok_get(f"trunks/{trunk['id']}")["endpoint_sip"]["uuid"] == first["uuid"]
    assert acme.ok_get(f"endpoints/sip/{second['uuid']}")["trunk"] is None


def test_step6_endpoint_on_another_trunk_transcript_95(acme: Api) -> None:
    """Transcript #95; CONTRACT 6.7 step 6: the endpoint already serves another trunk."""
    first = new_trunk(acme)
    second = new_trunk(acme)
    endpoint = new_endpoint(acme)
    acme.ok_put(f"trunks/{first['id']}/endpoints/sip/{endpoint['uuid']}")
    assert_error(
        acme.put(f"trunks/{second['id']}/endpoints/sip/{endpoint['uuid']}"),
        400,
        _already(first["id"], endpoint["uuid"]),
    )
    assert acme.ok_get(f"trunks/{second['id']}")["endpoint_sip"] is None


def test_dissociate(acme: Api) -> None:
    """CONTRACT 6.7: DELETE unlinks (204 empty); the endpoint is kept; then re-association works."""
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme)
    acme.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")
    assert_no_content(acme.delete(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}"))
    assert acme.ok_get(f"trunks/{trunk['id']}")["endpoint_sip"] is None
    assert acme.ok_get(f"endpoints/sip/{endpoint['uuid']}")["trunk"] is None
    other_endpoint = new_endpoint(acme)
    acme.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{other_endpoint['uuid']}")


def test_dissociate_not_associated_is_noop(acme: Api) -> None:
    """CONTRACT 6.7: dissociating a pair that is not associated -> 204 no-op."""
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme)
    busy = new_endpoint(acme)
    acme.ok_put(f"trunks/{trunk['id']}/endpoints/sip/{busy['uuid']}")
    assert_no_content(acme.delete(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}"))
    assert acme.ok_get(f"trunks/{trunk['id']}")["endpoint_sip"]["uuid"] == busy["uuid"]


def test_dissociate_unknown_ids_404(acme: Api) -> None:
    """CONTRACT 6.7: dissociate has the same 404s as associate."""
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme)
    assert_error(
        acme.delete(f"trunks/999999/endpoints/sip/{endpoint['uuid']}"),
        404,
        not_found("Trunk", "'id': 999999"),
    )
    assert_error(
        acme.delete(f"trunks/{trunk['id']}/endpoints/sip/{UNKNOWN_UUID}"),
        404,
        f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{UNKNOWN_UUID}'))",
    )


def test_body_is_not_read(acme: Api) -> None:
    """CONTRACT 6.7: no body is read (garbage body still 204)."""
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme)
    response = acme.request(
        "PUT",
        f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}",
        content=b"garbage",
        headers={"Content-Type": "application/json"},
    )
    assert_no_content(response)
