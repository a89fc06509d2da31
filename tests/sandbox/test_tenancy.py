"""Wazo-Tenant scoping across objects (CONTRACT 3; transcript #71-#77, #185)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    OTHER,
    Api,
    assert_error,
    assert_error_startswith,
    assert_list,
    context,
    new_endpoint,
    new_extension,
    new_incall,
    new_outcall,
    new_trunk,
    not_found,
)


def _one_of_each(api: Api, tag: str) -> dict[str, Any]:
    return {
        "trunks": new_trunk(api)["id"],
        "endpoints/sip": new_endpoint(api, name=f"{tag}_endpoint")["uuid"],
        "outcalls": new_outcall(api, f"{tag}-out")["id"],
        "extensions": new_extension(api, "_418.", "outcall")["id"],
        "incalls": new_incall(api)["id"],
    }


RESOURCE_NAMES = {
    "trunks": "Trunk",
    "outcalls": "Outcall",
    "extensions": "Extension",
    "incalls": "Incall",
    "contexts": "Context",
}


@pytest.mark.parametrize("collection", ["trunks", "endpoints/sip", "outcalls", "extensions", "incalls"])
def test_lists_are_per_tenant(acme: Api, other: Api, master: Api, collection: str) -> None:
    """CONTRACT 3; transcript #71, #74, #75: lists show one tenant unless recurse=true."""
    mine = _one_of_each(acme, "acme")
    theirs = _one_of_each(other, "other")
    key = "uuid" if collection == "endpoints/sip" else "id"
    assert [i[key] for i in assert_list(acme.get(collection), 1)] == [mine[collection]]
    assert [i[key] for i in assert_list(other.get(collection), 1)] == [theirs[collection]]
    assert_list(master.get(collection), 0)
    both = assert_list(master.get(collection, params={"recurse": "true"}), 2)
    assert {i[key] for i in both} == {mine[collection], theirs[collection]}
    assert {i["tenant_uuid"] for i in both} == {ACME, OTHER}
    assert [i[key] for i in assert_list(master.get(collection, tenant=ACME), 1)] == [mine[collection]]
    # recurse from a leaf tenant is just the leaf
    assert_list(acme.get(collection, params={"recurse": "true"}), 1)


@pytest.mark.parametrize("collection", ["trunks", "outcalls", "extensions", "incalls"])
def test_item_access_reaches_sub_tenants(acme: Api, master: Api, collection: str) -> None:
    """CONTRACT 3: GET/PUT/DELETE by id search the resolved tenant and all its sub-tenants."""
    ident = _one_of_each(acme, "acme")[collection]
    response = master.get(f"{collection}/{ident}")
    assert response.status_code == 200, response.text
    assert response.json()["tenant_uuid"] == ACME
    assert master.put(f"{collection}/{ident}", {}).status_code == 204
    assert master.delete(f"{collection}/{ident}").status_code == 204
    assert acme.get(f"{collection}/{ident}").status_code == 404


def test_endpoint_item_access_reaches_sub_tenants(acme: Api, master: Api) -> None:
    """CONTRACT 3: same for SIP endpoints (uuid ids)."""
    endpoint = new_endpoint(acme, name="sub_tenant_ep")
    assert master.ok_get(f"endpoints/sip/{endpoint['uuid']}")["tenant_uuid"] == ACME
    master.ok_put(f"endpoints/sip/{endpoint['uuid']}", {"label": "by master"})
    assert acme.ok_get(f"endpoints/sip/{endpoint['uuid']}")["label"] == "by master"


@pytest.mark.parametrize("collection", ["trunks", "outcalls", "extensions", "incalls"])
def test_other_tenant_object_is_404(acme: Api, other: Api, collection: str) -> None:
    """CONTRACT 3; transcript #73: another tenant's object -> 404 with the normal message."""
    ident = _one_of_each(acme, "acme")[collection]
    expected = not_found(RESOURCE_NAMES[collection], f"'id': {ident}")
    assert_error(other.get(f"{collection}/{ident}"), 404, expected)
    assert_error(other.put(f"{collection}/{ident}", {}), 404, expected)
    assert_error(other.delete(f"{collection}/{ident}"), 404, expected)
    assert acme.get(f"{collection}/{ident}").status_code == 200


def test_other_tenant_endpoint_is_404(acme: Api, other: Api) -> None:
    """CONTRACT 3/5: SIP endpoint of another tenant -> 404 SIPEndpoint was not found."""
    uuid = new_endpoint(acme)["uuid"]
    expected = f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{uuid}'))"
    assert_error(other.get(f"endpoints/sip/{uuid}"), 404, expected)
    assert_error(other.put(f"endpoints/sip/{uuid}", {"label": "x"}), 404, expected)
    assert_error(other.delete(f"endpoints/sip/{uuid}"), 404, expected)


def test_master_with_other_header_cannot_see_acme_transcript_73(master: Api, acme: Api) -> None:
    """Transcript #73: master token + `Wazo-Tenant: other` -> acme's incall is 404."""
    incall = new_incall(acme)
    assert_error(
        master.get(f"incalls/{incall['id']}", tenant=OTHER), 404, not_found("Incall", f"'id': {incall['id']}")
    )
    assert master.get(f"incalls/{incall['id']}", tenant=ACME).status_code == 200


def test_other_tenant_associations_404_transcript_77(acme: Api, other: Api) -> None:
    """Transcript #77: another tenant associating acme's objects -> 404 on the first object."""
    incall = new_incall(acme)
    ext = new_extension(acme, "15551234567", "incall")
    assert_error(
        other.put(f"incalls/{incall['id']}/extensions/{ext['id']}"),
        404,
        not_found("Incall", f"'id': {incall['id']}"),
    )
    trunk = new_trunk(acme)
    endpoint = new_endpoint(acme)
    assert_error(
        other.put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}"),
        404,
        not_found("Trunk", f"'id': {trunk['id']}"),
    )
    outcall = new_outcall(acme, "o")
    assert_error(
        other.put(f"outcalls/{outcall['id']}/trunks", {"trunks": []}),
        404,
        not_found("Outcall", f"'id': {outcall['id']}"),
    )
    assert_error(
        other.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {}),
        404,
        not_found("Outcall", f"'id': {outcall['id']}"),
    )


def test_cross_tenant_associations_400(master: Api, acme: Api, other: Api) -> None:
    """CONTRACT 3: both visible but different tenants -> 400 `different tenants`, for every association."""
    trunk, their_trunk = new_trunk(acme), new_trunk(other)
    their_endpoint = new_endpoint(other)
    outcall = new_outcall(acme, "o")
    their_pattern = new_extension(other, "_33.", "outcall")
    incall = new_incall(acme)
    their_did = new_extension(other, "33140000001", "incall")
    prefix = "Resource Error - different tenants ("
    assert_error_startswith(
        master.put(f"trunks/{trunk['id']}/endpoints/sip/{their_endpoint['uuid']}"), 400, prefix
    )
    assert_error_startswith(
        master.put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": their_trunk["id"]}]}), 400, prefix
    )
    assert_error_startswith(
        master.put(f"outcalls/{outcall['id']}/extensions/{their_pattern['id']}", {}), 400, prefix
    )
    assert_error_startswith(master.put(f"incalls/{incall['id']}/extensions/{their_did['id']}"), 400, prefix)


def test_create_in_sub_tenant_with_header(master: Api) -> None:
    """CONTRACT 3: creation gets the resolved tenant (the header's)."""
    for tenant in (ACME, OTHER):
        created = master.create("trunks", {}, tenant=tenant)
        assert created["tenant_uuid"] == tenant
    trunk = master.create(
        "trunks", {"context": context(master.with_tenant(OTHER), "incall")["name"]}, tenant=OTHER
    )
    assert trunk["tenant_uuid"] == OTHER
