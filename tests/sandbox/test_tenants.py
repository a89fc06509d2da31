"""Tenants as confd shows them (CONTRACT 6.1, 6.5; transcript #161)."""

from __future__ import annotations

import pytest

from tests.sandbox._helpers import ACME, BARE, MASTER, OTHER, Api, assert_list, template

TENANT_KEYS = {
    "uuid",
    "sip_templates_generated",
    "global_sip_template_uuid",
    "webrtc_sip_template_uuid",
    "registration_trunk_sip_template_uuid",
    "meeting_guest_sip_template_uuid",
}


def test_list_is_own_tenant_only(acme: Api) -> None:
    """CONTRACT 6.1, 3: GET /tenants lists the resolved tenant only, with its template uuids."""
    items = assert_list(acme.get("tenants"), 1)
    tenant = items[0]
    assert set(tenant) == TENANT_KEYS
    assert tenant["uuid"] == ACME
    assert tenant["sip_templates_generated"] is True
    assert tenant["global_sip_template_uuid"] == template(acme, "global")["uuid"]
    assert tenant["webrtc_sip_template_uuid"] == template(acme, "webrtc")["uuid"]
    assert tenant["registration_trunk_sip_template_uuid"] == template(acme, "registration_trunk")["uuid"]
    assert tenant["meeting_guest_sip_template_uuid"] == template(acme, "meeting_guest")["uuid"]


def test_master_list_and_recurse(master: Api) -> None:
    """Transcript #161: master sees itself; CONTRACT 3: recurse=true adds every sub-tenant."""
    assert [item["uuid"] for item in assert_list(master.get("tenants"), 1)] == [MASTER]
    items = assert_list(master.get("tenants", params={"recurse": "true"}), 4)
    assert {item["uuid"] for item in items} == {MASTER, ACME, OTHER, BARE}


def test_get_tenant(acme: Api, master: Api) -> None:
    """CONTRACT 6.1: GET /tenants/{uuid}; item access reaches sub-tenants (CONTRACT 3)."""
    response = acme.get(f"tenants/{ACME}")
    assert response.status_code == 200, response.text
    assert response.json() == acme.items("tenants")[0]
    sub = master.get(f"tenants/{OTHER}")
    assert sub.status_code == 200, sub.text
    assert sub.json()["uuid"] == OTHER
    assert set(sub.json()) == TENANT_KEYS


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "tenants"), ("PUT", f"tenants/{ACME}"), ("DELETE", f"tenants/{ACME}")],
)
def test_tenant_writes_are_405(acme: Api, method: str, path: str) -> None:
    """CONTRACT 6.1: POST/PUT/DELETE answer 405 with an empty body."""
    response = acme.request(method, path, json={})
    assert response.status_code == 405, response.text
    assert response.content == b""
