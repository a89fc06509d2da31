"""wazo-auth token issuance and how confd checks tokens (CONTRACT 2, 3; transcript #68-#82, #156)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.sandbox._helpers import (
    ACME,
    CREDENTIALS,
    MASTER,
    OTHER,
    UNKNOWN_TENANT,
    Api,
    assert_json_content_type,
    assert_unauthorized,
    token_for,
)
from tests.support.sandbox import SandboxProcess

UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def _post_token(
    sandbox: SandboxProcess, body: Any = None, auth: tuple[str, str] | None = None
) -> httpx.Response:
    kwargs: dict[str, Any] = {"timeout": 15}
    if body is not None:
        kwargs["json"] = body
    if auth is not None:
        kwargs["auth"] = auth
    return httpx.post(f"{sandbox.auth_url}/token", **kwargs)


def _assert_auth_error(response: httpx.Response, status: int, reason: str | None = None) -> None:
    """CONTRACT 2.1: wazo-auth's envelope `{"reason": [...], "timestamp": [float], "status_code": N}`."""
    assert response.status_code == status, (response.status_code, response.text)
    assert_json_content_type(response)
    body = response.json()
    assert set(body) == {"reason", "timestamp", "status_code"}, body
    assert body["status_code"] == status
    assert isinstance(body["reason"], list)
    assert len(body["reason"]) >= 1
    assert all(isinstance(item, str) for item in body["reason"])
    if reason is not None:
        assert body["reason"] == [reason]
    assert isinstance(body["timestamp"], list)
    assert len(body["timestamp"]) == 1
    assert isinstance(body["timestamp"][0], float)


# -- issuing tokens ---------------------------------------------------------------------------
def test_token_issued_with_basic_auth(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: POST /token with basic auth -> 200 {"data": {...}}, default lifetime 7200 s."""
    response = _post_token(clean_sandbox, {}, CREDENTIALS["acme-admin"])
    assert response.status_code == 200, response.text
    assert_json_content_type(response)
    body = response.json()
    assert set(body) == {"data"}
    data = body["data"]
    for key in (
        "token",
        "auth_id",
        "xivo_user_uuid",
        "xivo_uuid",
        "issued_at",
        "expires_at",
        "utc_issued_at",
        "utc_expires_at",
        "acl",
        "metadata",
        "session_uuid",
    ):
        assert key in data, key
    assert "refresh_token" not in data
    assert isinstance(data["token"], str)
    assert data["token"]
    assert data["acl"] == ["confd.#", "calld.trunks.read"]
    assert data["metadata"]["tenant_uuid"] == ACME
    issued = datetime.strptime(data["utc_issued_at"], UTC_FORMAT)
    expires = datetime.strptime(data["utc_expires_at"], UTC_FORMAT)
    assert abs((expires - issued).total_seconds() - 7200) < 5


def test_token_without_body_is_400(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1 (body fields all optional, `{}` suffices); wazo-auth parses the body with
    `get_json(force=True)`, so a request with no body at all is a 400 in wazo-auth's envelope."""
    response = _post_token(clean_sandbox, None, CREDENTIALS["acme-admin"])
    _assert_auth_error(response, 400)


def test_token_metadata_tenant_per_user(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: metadata.tenant_uuid is the user's tenant (confd takes the tenant from it)."""
    assert token_for(clean_sandbox.auth_url, "root")["metadata"]["tenant_uuid"] == MASTER
    assert token_for(clean_sandbox.auth_url, "other-admin")["metadata"]["tenant_uuid"] == OTHER
    assert token_for(clean_sandbox.auth_url, "acme-readonly")["acl"] == ["confd.#.read"]
    assert token_for(clean_sandbox.auth_url, "acme-noacl")["acl"] == []


def test_token_expiration_is_honoured(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1 `expiration` seconds; 2.2 an expired token -> 401."""
    data = token_for(clean_sandbox.auth_url, "acme-admin", expiration=1)
    issued = datetime.strptime(data["utc_issued_at"], UTC_FORMAT)
    expires = datetime.strptime(data["utc_expires_at"], UTC_FORMAT)
    assert abs((expires - issued).total_seconds() - 1) < 1
    api = Api(clean_sandbox.confd_url, data["token"], ACME)
    assert api.get("trunks").status_code == 200
    time.sleep(2.2)
    assert_unauthorized(api.get("trunks"))


@pytest.mark.parametrize("expiration", [0, -5, 315360001, "soon"])
def test_token_bad_expiration_is_400(clean_sandbox: SandboxProcess, expiration: Any) -> None:
    """CONTRACT 2.1: expiration is an integer 1..315360000; else 400 in wazo-auth's envelope."""
    response = _post_token(clean_sandbox, {"expiration": expiration}, CREDENTIALS["acme-admin"])
    _assert_auth_error(response, 400)


def test_expire_hook_makes_tokens_invalid(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.2: an expired token -> 401 (through the sandbox's /_sandbox/tokens/expire)."""
    api = Api(clean_sandbox.confd_url, clean_sandbox.token(*CREDENTIALS["acme-admin"]), ACME)
    assert api.get("trunks").status_code == 200
    clean_sandbox.expire_tokens()
    assert_unauthorized(api.get("trunks"))


def test_offline_token_gets_refresh_token_usable_without_password(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: access_type offline + client_id -> refresh_token; refresh_token + client_id -> token."""
    response = _post_token(
        clean_sandbox, {"access_type": "offline", "client_id": "contract-tests"}, CREDENTIALS["acme-admin"]
    )
    assert response.status_code == 200, response.text
    refresh = response.json()["data"]["refresh_token"]
    assert isinstance(refresh, str)
    assert refresh
    renewed = _post_token(clean_sandbox, {"refresh_token": refresh, "client_id": "contract-tests"})
    assert renewed.status_code == 200, renewed.text
    data = renewed.json()["data"]
    assert data["token"] != response.json()["data"]["token"]
    assert data["metadata"]["tenant_uuid"] == ACME
    assert Api(clean_sandbox.confd_url, data["token"], ACME).get("trunks").status_code == 200


def test_refresh_token_survives_access_token_expiry(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: the refresh token obtains a new access token once the first one expired."""
    response = _post_token(
        clean_sandbox,
        {"access_type": "offline", "client_id": "contract-tests", "expiration": 1},
        CREDENTIALS["acme-admin"],
    )
    assert response.status_code == 200, response.text
    refresh = response.json()["data"]["refresh_token"]
    time.sleep(1.5)
    renewed = _post_token(clean_sandbox, {"refresh_token": refresh, "client_id": "contract-tests"})
    assert renewed.status_code == 200, renewed.text
    assert (
        Api(clean_sandbox.confd_url, renewed.json()["data"]["token"], ACME).get("trunks").status_code == 200
    )


def test_offline_without_client_id_is_400(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: `offline` requires client_id (schema error, wazo-auth envelope)."""
    response = _post_token(clean_sandbox, {"access_type": "offline"}, CREDENTIALS["acme-admin"])
    _assert_auth_error(response, 400)


def test_bad_access_type_is_400(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: access_type is online|offline."""
    response = _post_token(clean_sandbox, {"access_type": "forever"}, CREDENTIALS["acme-admin"])
    _assert_auth_error(response, 400)


def test_refresh_token_without_client_id_is_400(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: client_id is mandatory with a refresh token."""
    response = _post_token(
        clean_sandbox, {"access_type": "offline", "client_id": "c1"}, CREDENTIALS["acme-admin"]
    )
    refresh = response.json()["data"]["refresh_token"]
    _assert_auth_error(_post_token(clean_sandbox, {"refresh_token": refresh}), 400)


def test_unknown_refresh_token_is_401(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: unknown refresh token -> 401 Authentication Failed."""
    response = _post_token(clean_sandbox, {"refresh_token": "no-such-refresh", "client_id": "c1"})
    _assert_auth_error(response, 401, "Authentication Failed")


def test_refresh_token_of_another_client_id_is_401(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: a refresh token is tied to its client_id."""
    response = _post_token(
        clean_sandbox, {"access_type": "offline", "client_id": "c1"}, CREDENTIALS["acme-admin"]
    )
    refresh = response.json()["data"]["refresh_token"]
    _assert_auth_error(_post_token(clean_sandbox, {"refresh_token": refresh, "client_id": "c2"}), 401)


@pytest.mark.parametrize(
    "auth",
    [("acme-admin", "wrong"), ("nobody", "acme-secret"), ("", "")],
    ids=["bad-password", "unknown-user", "empty"],
)
def test_bad_credentials_envelope(clean_sandbox: SandboxProcess, auth: tuple[str, str]) -> None:
    """CONTRACT 2.1: 401 {"reason": ["Authentication Failed"], "timestamp": [float], "status_code": 401}."""
    _assert_auth_error(_post_token(clean_sandbox, {}, auth), 401, "Authentication Failed")


def test_no_credentials_is_401(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.1: no basic auth and no refresh token -> 401 in wazo-auth's envelope."""
    _assert_auth_error(_post_token(clean_sandbox, {}), 401)


# -- X-Auth-Token on every confd route --------------------------------------------------------
ROUTES = [
    ("GET", "infos"),
    ("GET", "tenants"),
    ("GET", f"tenants/{ACME}"),
    ("GET", "contexts"),
    ("POST", "contexts"),
    ("GET", "contexts/1"),
    ("PUT", "contexts/1"),
    ("DELETE", "contexts/1"),
    ("PUT", "contexts/1/contexts"),
    ("GET", "sip/transports"),
    ("GET", "endpoints/sip"),
    ("POST", "endpoints/sip"),
    ("GET", "endpoints/sip/templates"),
    ("GET", "endpoints/sip/6f57c534-42d7-4dcd-a67e-a2427502a2ce"),
    ("DELETE", "endpoints/sip/6f57c534-42d7-4dcd-a67e-a2427502a2ce"),
    ("GET", "trunks"),
    ("POST", "trunks"),
    ("GET", "trunks/1"),
    ("PUT", "trunks/1"),
    ("DELETE", "trunks/1"),
    ("PUT", "trunks/1/endpoints/sip/6f57c534-42d7-4dcd-a67e-a2427502a2ce"),
    ("DELETE", "trunks/1/endpoints/sip/6f57c534-42d7-4dcd-a67e-a2427502a2ce"),
    ("GET", "outcalls"),
    ("POST", "outcalls"),
    ("PUT", "outcalls/1/trunks"),
    ("PUT", "outcalls/1/extensions/1"),
    ("DELETE", "outcalls/1/extensions/1"),
    ("GET", "extensions"),
    ("POST", "extensions"),
    ("PUT", "extensions/1"),
    ("DELETE", "extensions/1"),
    ("GET", "incalls"),
    ("POST", "incalls"),
    ("GET", "incalls/1"),
    ("PUT", "incalls/1/extensions/1"),
    ("DELETE", "incalls/1/extensions/1"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_missing_token_is_401_everywhere(clean_sandbox: SandboxProcess, method: str, path: str) -> None:
    """CONTRACT 2.2; transcript key finding 1, #78, #156: no token -> 401 (never 403), even on 404s."""
    body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
    response = httpx.request(
        method, f"{clean_sandbox.confd_url}/{path}", json=body, headers={"Wazo-Tenant": ACME}, timeout=15
    )
    assert_unauthorized(response)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_unknown_token_is_401_everywhere(clean_sandbox: SandboxProcess, method: str, path: str) -> None:
    """CONTRACT 2.2; transcript #79: unknown token -> 401."""
    body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
    response = httpx.request(
        method,
        f"{clean_sandbox.confd_url}/{path}",
        json=body,
        headers={"X-Auth-Token": "bogus-token", "Wazo-Tenant": ACME},
        timeout=15,
    )
    assert_unauthorized(response)


def test_infos_without_token_is_401(clean_sandbox: SandboxProcess) -> None:
    """Transcript #156: /infos is not open."""
    assert_unauthorized(httpx.get(f"{clean_sandbox.confd_url}/infos", timeout=15))


def test_missing_token_before_body_validation(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.2: auth is checked first: a bad body without a token is 401, not 400."""
    response = httpx.post(f"{clean_sandbox.confd_url}/outcalls", content=b"not json", timeout=15)
    assert_unauthorized(response)


# -- ACL ---------------------------------------------------------------------------------------
def _api(sandbox: SandboxProcess, username: str, tenant: str | None = ACME) -> Api:
    return Api(sandbox.confd_url, sandbox.token(*CREDENTIALS[username]), tenant)


def test_token_without_acl_is_401(clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.2; transcript #80: missing ACL -> 401."""
    api = _api(clean_sandbox, "acme-noacl")
    for path in ("trunks", "contexts", "infos", "endpoints/sip", "outcalls", "extensions", "incalls"):
        assert_unauthorized(api.get(path))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "outcalls", {"name": "ro"}),
        ("POST", "trunks", {}),
        ("POST", "endpoints/sip", {}),
        ("POST", "contexts", {"label": "ro"}),
        ("POST", "incalls", {"destination": {"type": "none"}}),
    ],
)
def test_read_only_token_write_is_401(
    clean_sandbox: SandboxProcess, method: str, path: str, body: dict[str, Any]
) -> None:
    """CONTRACT 2.2; transcript #81: `confd.#.read` cannot create -> 401, and nothing is created."""
    api = _api(clean_sandbox, "acme-readonly")
    before = api.get(path).json()["total"]
    assert_unauthorized(api.request(method, path, json=body))
    assert api.get(path).json()["total"] == before


def test_read_only_token_update_and_delete_are_401(acme: Api, clean_sandbox: SandboxProcess) -> None:
    """CONTRACT 2.2: update/delete ACLs (`confd.outcalls.{id}.update|delete`) are not read ACLs."""
    outcall = acme.create("outcalls", {"name": "rw"})
    readonly = _api(clean_sandbox, "acme-readonly")
    assert_unauthorized(readonly.put(f"outcalls/{outcall['id']}", {"description": "x"}))
    assert_unauthorized(readonly.delete(f"outcalls/{outcall['id']}"))
    assert acme.ok_get(f"outcalls/{outcall['id']}")["description"] is None


def test_read_only_token_read_is_200(acme: Api, clean_sandbox: SandboxProcess) -> None:
    """Transcript #82: `confd.#.read` reads lists and items."""
    outcall = acme.create("outcalls", {"name": "ro-read"})
    readonly = _api(clean_sandbox, "acme-readonly")
    assert readonly.get("outcalls").json()["total"] == 1
    assert readonly.get(f"outcalls/{outcall['id']}").json()["name"] == "ro-read"


# -- Wazo-Tenant ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tenant",
    [OTHER, "not-a-uuid", UNKNOWN_TENANT, MASTER],
    ids=["other-tenant-68", "not-uuid-69", "unknown-70", "parent-tenant"],
)
def test_wazo_tenant_outside_subtree_is_401(clean_sandbox: SandboxProcess, tenant: str) -> None:
    """CONTRACT 2.2/3; transcript #68-#70: a tenant the token cannot see, or not a UUID -> 401."""
    api = _api(clean_sandbox, "acme-admin", tenant)
    assert_unauthorized(api.get("trunks"))
    assert_unauthorized(api.post("outcalls", {"name": "x"}))


def test_no_wazo_tenant_uses_token_tenant(acme: Api) -> None:
    """CONTRACT 3; transcript #71: without the header, the token's own tenant is used."""
    created = acme.create("outcalls", {"name": "no-header"}, tenant=None)
    assert created["tenant_uuid"] == ACME
    assert [item["name"] for item in acme.items("outcalls", tenant=None)] == ["no-header"]


def test_master_token_may_name_a_sub_tenant(master: Api) -> None:
    """CONTRACT 3; transcript #72: a master token with `Wazo-Tenant: <sub-tenant>` acts in it."""
    created = master.create("outcalls", {"name": "by-master"}, tenant=ACME)
    assert created["tenant_uuid"] == ACME
