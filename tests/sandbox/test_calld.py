"""wazo-calld's `GET /1.0/trunks` (CALLD.md): items, tenancy, 401 bodies, and the status test hooks.

Written from CALLD.md (itself read from wazo-calld's endpoints plugin and xivo-lib-python's auth
verifier), not from the sandbox code.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox._helpers import ACME, CREDENTIALS, OTHER, Api, new_endpoint, new_trunk, template
from tests.support.sandbox import SandboxProcess

ITEM_KEYS = {"id", "name", "technology", "registered", "current_call_count"}


def calld_get(
    sandbox: SandboxProcess, token: str | None, tenant: str | None, **params: str
) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["X-Auth-Token"] = token
    if tenant is not None:
        headers["Wazo-Tenant"] = tenant
    return httpx.get(f"{sandbox.calld_url}/trunks", headers=headers, params=params, timeout=15)


def trunks(
    sandbox: SandboxProcess, username: str = "acme-admin", tenant: str | None = ACME
) -> dict[str, Any]:
    response = calld_get(sandbox, sandbox.token(*CREDENTIALS[username]), tenant)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in body["items"]}


def provider_trunk(api: Api, name: str, registration: bool = True) -> dict[str, Any]:
    """A trunk with a SIP endpoint, associated: what the program builds for one provider."""
    trunk = new_trunk(api)
    label = "registration_trunk" if registration else "global"
    body: dict[str, Any] = {"name": name, "templates": [{"uuid": template(api, label)["uuid"]}]}
    if registration:
        body["registration_section_options"] = [
            ["server_uri", "sip:sip.example"],
            ["client_uri", f"sip:{name}@sip.example"],
        ]
    endpoint = new_endpoint(api, **body)
    assert api.put(f"trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}").status_code == 204
    return {"trunk": trunk, "endpoint": endpoint}


# -- the listing ---------------------------------------------------------------------------------------


def test_an_associated_trunk_is_listed_unregistered_with_no_call(clean_sandbox: SandboxProcess, acme: Api):
    """CALLD.md 7: right after the association calld lists exactly these five keys, false and 0."""
    created = provider_trunk(acme, "acme-voipco")

    body = trunks(clean_sandbox)

    assert body == {
        "items": [
            {
                "id": created["trunk"]["id"],
                "name": "acme-voipco",
                "technology": "sip",
                "registered": False,
                "current_call_count": 0,
            }
        ],
        "total": 1,
        "filtered": 1,
    }


def test_a_trunk_without_registration_starts_unregistered_too(clean_sandbox: SandboxProcess, acme: Api):
    """CALLD.md 4.1: the association sets registered false whatever the endpoint's registration."""
    provider_trunk(acme, "acme-backupco", registration=False)

    item = by_name(trunks(clean_sandbox))["acme-backupco"]

    assert (item["registered"], item["current_call_count"]) == (False, 0)


def test_trunks_without_an_endpoint_are_not_listed_and_a_query_is_ignored(
    clean_sandbox: SandboxProcess, acme: Api
):
    """CALLD.md 2-3: trunks without endpoint are skipped; no search or pagination."""
    new_trunk(acme)
    provider_trunk(acme, "acme-one")
    provider_trunk(acme, "acme-two")
    token = clean_sandbox.token(*CREDENTIALS["acme-admin"])

    body = calld_get(clean_sandbox, token, ACME, limit="1", search="one").json()

    assert [item["name"] for item in body["items"]] == ["acme-one", "acme-two"]
    assert (body["total"], body["filtered"]) == (2, 2)
    assert all(set(item) == ITEM_KEYS for item in body["items"])


def test_the_tenant_is_the_header_or_the_tokens_and_never_recursive(
    clean_sandbox: SandboxProcess, acme: Api, other: Api
):
    """CALLD.md 5: Wazo-Tenant, else the token's tenant; exact match, even for the master tenant."""
    provider_trunk(acme, "acme-voipco")
    provider_trunk(other, "other-francotel")

    assert list(by_name(trunks(clean_sandbox, "acme-admin", None))) == ["acme-voipco"]
    assert list(by_name(trunks(clean_sandbox, "other-admin", OTHER))) == ["other-francotel"]
    assert trunks(clean_sandbox, "root", None)["items"] == []
    assert list(by_name(trunks(clean_sandbox, "root", ACME))) == ["acme-voipco"]


# -- authentication -------------------------------------------------------------------------------------


def assert_calld_401(response: httpx.Response, reason: str, token: str, tenant: str | None = None) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"message", "error_id", "details", "timestamp"}
    assert (body["message"], body["error_id"]) == ("Unauthorized", "unauthorized")
    assert isinstance(body["timestamp"], float)
    details: dict[str, str | None] = {
        "invalid_token": token,
        "reason": reason,
        "required_access": "calld.trunks.read",
    }
    if reason == "missing_permission_or_invalid_tenant":
        details["tenant_uuid"] = tenant
    assert body["details"] == details


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_no_or_unknown_token_is_a_401_not_found_or_expired(clean_sandbox: SandboxProcess, token: str | None):
    assert_calld_401(calld_get(clean_sandbox, token, ACME), "not_found_or_expired", token or "")


def test_an_expired_token_is_a_401_not_found_or_expired(clean_sandbox: SandboxProcess):
    token = clean_sandbox.token(*CREDENTIALS["acme-admin"])
    clean_sandbox.expire_tokens()

    assert_calld_401(calld_get(clean_sandbox, token, ACME), "not_found_or_expired", token)


def test_a_token_without_the_acl_is_a_401_missing_permission(clean_sandbox: SandboxProcess):
    """acme-readonly holds `confd.#.read`, which does not grant `calld.trunks.read`."""
    token = clean_sandbox.token(*CREDENTIALS["acme-readonly"])

    assert_calld_401(calld_get(clean_sandbox, token, None), "missing_permission_or_invalid_tenant", token)


def test_a_tenant_outside_the_tokens_subtree_is_a_401_missing_permission(clean_sandbox: SandboxProcess):
    token = clean_sandbox.token(*CREDENTIALS["acme-admin"])

    response = calld_get(clean_sandbox, token, OTHER)

    assert_calld_401(response, "missing_permission_or_invalid_tenant", token, OTHER)


# -- what confd's changes do to the list ---------------------------------------------------------------


def test_deleting_the_trunk_forgets_its_status(clean_sandbox: SandboxProcess, acme: Api):
    """CALLD.md 4.1: `trunk_deleted` removes the status; a new trunk of that name starts false again."""
    first = provider_trunk(acme, "acme-voipco")
    clean_sandbox.set_trunk_status("acme-voipco", registered=True)
    assert acme.delete(f"trunks/{first['trunk']['id']}").status_code == 204
    assert trunks(clean_sandbox)["items"] == []

    provider_trunk(acme, "acme-voipco")

    assert by_name(trunks(clean_sandbox))["acme-voipco"]["registered"] is False


def test_a_dissociated_trunk_leaves_the_list(clean_sandbox: SandboxProcess, acme: Api):
    created = provider_trunk(acme, "acme-voipco")
    trunk_id, endpoint_uuid = created["trunk"]["id"], created["endpoint"]["uuid"]

    assert acme.delete(f"trunks/{trunk_id}/endpoints/sip/{endpoint_uuid}").status_code == 204

    assert trunks(clean_sandbox)["items"] == []


def test_a_renamed_endpoint_is_listed_with_no_status(clean_sandbox: SandboxProcess, acme: Api):
    """CALLD.md 4.2 caveat: calld re-keys the trunk but not its status, which reads null until restart."""
    created = provider_trunk(acme, "acme-voipco")
    endpoint = acme.ok_get(f"endpoints/sip/{created['endpoint']['uuid']}")
    endpoint["name"] = "acme-voipco-2"
    assert acme.put(f"endpoints/sip/{endpoint['uuid']}", endpoint).status_code == 204

    item = by_name(trunks(clean_sandbox))["acme-voipco-2"]

    assert (item["registered"], item["current_call_count"]) == (None, None)


# -- the test hooks -------------------------------------------------------------------------------------


def test_the_hook_sets_registration_and_calls(clean_sandbox: SandboxProcess, acme: Api):
    provider_trunk(acme, "acme-voipco")

    clean_sandbox.set_trunk_status("acme-voipco", registered=True, current_call_count=2)
    after_both = by_name(trunks(clean_sandbox))["acme-voipco"]
    clean_sandbox.set_trunk_status("acme-voipco", registered=None)
    after_unknown = by_name(trunks(clean_sandbox))["acme-voipco"]

    assert (after_both["registered"], after_both["current_call_count"]) == (True, 2)
    assert (after_unknown["registered"], after_unknown["current_call_count"]) == (None, 2)


def test_a_scheduled_change_waits_for_that_many_listings(clean_sandbox: SandboxProcess, acme: Api):
    provider_trunk(acme, "acme-voipco")
    clean_sandbox.set_trunk_status("acme-voipco", after=2, registered=True)

    seen = [by_name(trunks(clean_sandbox))["acme-voipco"]["registered"] for _ in range(4)]

    assert seen == [False, False, True, True]


def test_an_unlisted_trunk_is_hidden_until_listed(clean_sandbox: SandboxProcess, acme: Api):
    """calld has not consumed the association event yet: the trunk is not in its list."""
    provider_trunk(acme, "acme-voipco")
    clean_sandbox.set_trunk_status("acme-voipco", listed=False)
    clean_sandbox.set_trunk_status("acme-voipco", after=1, listed=True)

    seen = [list(by_name(trunks(clean_sandbox))) for _ in range(2)]

    assert seen == [[], ["acme-voipco"]]


def test_forgetting_a_status_lists_nulls(clean_sandbox: SandboxProcess, acme: Api):
    """CALLD.md 4.2: a trunk calld has no Asterisk state for reads null/null."""
    provider_trunk(acme, "acme-voipco")

    clean_sandbox.forget_trunk_status("acme-voipco")

    item = by_name(trunks(clean_sandbox))["acme-voipco"]
    assert (item["registered"], item["current_call_count"]) == (None, None)


@pytest.mark.parametrize(
    "spec",
    [{}, {"registered": "yes"}, {"current_call_count": -1}, {"listed": None}, {"after": -1}, {"colour": 1}],
)
def test_the_hook_refuses_malformed_changes(clean_sandbox: SandboxProcess, spec: dict[str, Any]):
    response = httpx.put(f"{clean_sandbox.url}/_sandbox/calld/trunks/x", json=spec, timeout=10)

    assert response.status_code == 400


def test_reset_forgets_every_status(clean_sandbox: SandboxProcess, acme: Api):
    provider_trunk(acme, "acme-voipco")
    clean_sandbox.set_trunk_status("acme-voipco", after=5, registered=True)

    clean_sandbox.reset()
    provider_trunk(acme, "acme-voipco")

    assert [by_name(trunks(clean_sandbox))["acme-voipco"]["registered"] for _ in range(7)] == [False] * 7
