"""The sandbox as a process: banner, persistence, reset, concurrency and the `/_sandbox/` hooks."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox import seed
from tests.support.sandbox import SandboxProcess

ACME = seed.ACME_TENANT
OUTCALL_CONTEXT = seed.CONTEXTS[("acme", "outcall")].name
INCALL_CONTEXT = seed.CONTEXTS[("acme", "incall")].name


def acme(sandbox: SandboxProcess) -> httpx.Client:
    token = sandbox.token("acme-admin", "acme-secret")
    return httpx.Client(
        base_url=sandbox.confd_url, headers={"X-Auth-Token": token, "Wazo-Tenant": ACME}, timeout=10
    )


def count(client: httpx.Client, path: str, **params: Any) -> int:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


# -- process -------------------------------------------------------------------------------------


def test_banner_is_the_first_line_and_names_a_reachable_base_url(sandbox: SandboxProcess) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sandbox.url)
    with acme(sandbox) as client:
        response = client.get("/infos")
    assert response.status_code == 200
    assert response.json() == {"uuid": seed.WAZO_UUID, "wazo_version": "26.08"}
    assert "acme-admin" in sandbox.output, "the demo credentials follow the banner"


def test_every_seeded_tenant_answers(clean_sandbox: SandboxProcess) -> None:
    token = clean_sandbox.token("root", "root-secret")
    response = httpx.get(
        f"{clean_sandbox.confd_url}/tenants", params={"recurse": "true"}, headers={"X-Auth-Token": token}
    )
    assert response.status_code == 200
    assert {item["uuid"] for item in response.json()["items"]} == {t.uuid for t in seed.TENANTS.values()}


def _build_everything(client: httpx.Client) -> dict[str, str]:
    """One object of every kind, linked together; returns the paths to read back."""
    template = client.get("/endpoints/sip/templates", params={"label": "registration_trunk"}).json()["items"][
        0
    ]
    endpoint = client.post(
        "/endpoints/sip",
        json={
            "name": "persist-trunk",
            "label": "Persisted",
            "templates": [{"uuid": template["uuid"]}],
            "outbound_auth_section_options": [["username", "u1"], ["password", "p1"]],
            "registration_section_options": [["client_uri", "sip:u1@provider.example"]],
        },
    )
    assert endpoint.status_code == 201, endpoint.text
    trunk = client.post("/trunks", json={"context": INCALL_CONTEXT})
    assert trunk.status_code == 201, trunk.text
    trunk_id, endpoint_uuid = trunk.json()["id"], endpoint.json()["uuid"]
    assert client.put(f"/trunks/{trunk_id}/endpoints/sip/{endpoint_uuid}").status_code == 204
    outcall = client.post("/outcalls", json={"name": "persist-out", "ring_time": 20})
    assert outcall.status_code == 201, outcall.text
    outcall_id = outcall.json()["id"]
    assert (
        client.put(f"/outcalls/{outcall_id}/trunks", json={"trunks": [{"id": trunk_id}]}).status_code == 204
    )
    pattern = client.post("/extensions", json={"exten": "_1NXXNXXXXXX", "context": OUTCALL_CONTEXT})
    assert pattern.status_code == 201, pattern.text
    pattern_id = pattern.json()["id"]
    response = client.put(f"/outcalls/{outcall_id}/extensions/{pattern_id}", json={"strip_digits": 1})
    assert response.status_code == 204
    did = client.post("/extensions", json={"exten": "15551230001", "context": INCALL_CONTEXT})
    assert did.status_code == 201, did.text
    incall = client.post("/incalls", json={"destination": {"type": "user", "user_id": 1, "ring_time": 15}})
    assert incall.status_code == 201, incall.text
    incall_id, did_id = incall.json()["id"], did.json()["id"]
    assert client.put(f"/incalls/{incall_id}/extensions/{did_id}").status_code == 204
    context = client.post("/contexts", json={"label": "Persisted", "type": "internal"})
    assert context.status_code == 201, context.text
    return {
        "endpoint": f"/endpoints/sip/{endpoint_uuid}",
        "trunk": f"/trunks/{trunk_id}",
        "outcall": f"/outcalls/{outcall_id}",
        "pattern": f"/extensions/{pattern_id}",
        "did": f"/extensions/{did_id}",
        "incall": f"/incalls/{incall_id}",
        "context": f"/contexts/{context.json()['id']}",
    }


def test_restart_with_the_same_state_keeps_every_object(tmp_path: Any) -> None:
    sandbox = SandboxProcess(tmp_path / "state.db").start()
    try:
        with acme(sandbox) as client:
            paths = _build_everything(client)
            before = {name: client.get(path).json() for name, path in paths.items()}
        old_url = sandbox.url
        sandbox.restart()
        assert sandbox.url == old_url, "restart keeps the port"
        with acme(sandbox) as client:
            after = {name: client.get(path).json() for name, path in paths.items()}
        assert after == before
    finally:
        sandbox.stop()


def test_reset_flag_wipes_the_state_and_seeds_again(tmp_path: Any) -> None:
    sandbox = SandboxProcess(tmp_path / "state.db").start()
    try:
        with acme(sandbox) as client:
            paths = _build_everything(client)
        sandbox.restart("--reset")
        with acme(sandbox) as client:
            assert client.get(paths["trunk"]).status_code == 404
            assert client.get(paths["outcall"]).status_code == 404
            assert count(client, "/trunks") == 0
            assert count(client, "/contexts") == 3
            assert count(client, "/endpoints/sip/templates") == 5
    finally:
        sandbox.stop()


def test_reset_hook_wipes_the_state_and_seeds_again(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        assert client.post("/outcalls", json={"name": "to-be-wiped"}).status_code == 201
        clean_sandbox.reset()
        assert count(client, "/outcalls") == 0
        assert count(client, "/contexts") == 3


# -- concurrency -----------------------------------------------------------------------------------


def _in_parallel(jobs: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    results: list[httpx.Response | None] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        barrier.wait()
        results[index] = jobs[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def _create_extension(sandbox: SandboxProcess, token: str, exten: str) -> Callable[[], httpx.Response]:
    def job() -> httpx.Response:
        return httpx.post(
            f"{sandbox.confd_url}/extensions",
            json={"exten": exten, "context": OUTCALL_CONTEXT},
            headers={"X-Auth-Token": token, "Wazo-Tenant": ACME},
            timeout=30,
        )

    return job


def test_twenty_clients_creating_the_same_extension_make_exactly_one(clean_sandbox: SandboxProcess) -> None:
    token = clean_sandbox.token("acme-admin", "acme-secret")
    responses = _in_parallel([_create_extension(clean_sandbox, token, "_9XXX") for _ in range(20)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * 19
    for response in responses:
        if response.status_code == 400:
            assert response.json() == [
                "Resource Error - Extension already exists"
                f" ('exten': '_9XXX', 'context': '{OUTCALL_CONTEXT}')"
            ]
    with acme(clean_sandbox) as client:
        assert count(client, "/extensions", exten="_9XXX", context=OUTCALL_CONTEXT) == 1


def test_twenty_clients_creating_different_extensions_all_succeed(clean_sandbox: SandboxProcess) -> None:
    token = clean_sandbox.token("acme-admin", "acme-secret")
    extens = [f"_8{index:02d}X" for index in range(20)]
    responses = _in_parallel([_create_extension(clean_sandbox, token, exten) for exten in extens])
    assert [response.status_code for response in responses] == [201] * 20
    ids = {response.json()["id"] for response in responses}
    assert len(ids) == 20
    with acme(clean_sandbox) as client:
        listed = client.get("/extensions", params={"context": OUTCALL_CONTEXT}).json()
    assert sorted(item["exten"] for item in listed["items"]) == sorted(extens)
    assert listed["total"] == 20


def test_concurrent_outcalls_with_one_name_across_tenants_make_exactly_one(
    clean_sandbox: SandboxProcess,
) -> None:
    tokens = [
        (clean_sandbox.token("acme-admin", "acme-secret"), seed.ACME_TENANT),
        (clean_sandbox.token("other-admin", "other-secret"), seed.OTHER_TENANT),
    ]

    def job(index: int) -> Callable[[], httpx.Response]:
        token, tenant = tokens[index % 2]
        return lambda: httpx.post(
            f"{clean_sandbox.confd_url}/outcalls",
            json={"name": "contested"},
            headers={"X-Auth-Token": token, "Wazo-Tenant": tenant},
            timeout=30,
        )

    responses = _in_parallel([job(index) for index in range(20)])
    assert sorted(response.status_code for response in responses) == [201] + [400] * 19
    root = clean_sandbox.token("root", "root-secret")
    listed = httpx.get(
        f"{clean_sandbox.confd_url}/outcalls",
        params={"recurse": "true", "name": "contested"},
        headers={"X-Auth-Token": root},
    ).json()
    assert listed["total"] == 1


# -- request log -----------------------------------------------------------------------------------


def test_request_log_records_every_api_request_in_order(clean_sandbox: SandboxProcess) -> None:
    token = clean_sandbox.token("acme-admin", "acme-secret")
    headers = {"X-Auth-Token": token, "Wazo-Tenant": ACME}
    httpx.get(f"{clean_sandbox.confd_url}/contexts", params={"type": "incall"}, headers=headers)
    httpx.post(f"{clean_sandbox.confd_url}/outcalls", json={}, headers={"X-Auth-Token": token})
    httpx.get(f"{clean_sandbox.confd_url}/nowhere", headers=headers)
    clean_sandbox.requests()  # reading the log is not logged

    items = clean_sandbox.requests()
    assert [(i["method"], i["path"], i["status"]) for i in items] == [
        ("POST", "/api/auth/0.1/token", 200),
        ("GET", "/api/confd/1.1/contexts", 200),
        ("POST", "/api/confd/1.1/outcalls", 400),
        ("GET", "/api/confd/1.1/nowhere", 404),
    ]
    assert [item["seq"] for item in items] == sorted(item["seq"] for item in items)
    assert items[1]["query"] == "type=incall"
    assert items[1]["tenant"] == ACME
    assert items[2]["tenant"] is None
    assert all(item["fault"] is None for item in items)
    assert set(items[0]) == {"seq", "method", "path", "query", "status", "tenant", "fault"}

    last = items[-1]["seq"]
    httpx.get(f"{clean_sandbox.confd_url}/infos", headers=headers)
    assert [item["path"] for item in clean_sandbox.requests(since=last)] == ["/api/confd/1.1/infos"]
    clean_sandbox.clear_requests()
    assert clean_sandbox.requests() == []


# -- faults ----------------------------------------------------------------------------------------


def test_status_fault_before_answers_without_processing(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        fault = clean_sandbox.fault(
            method="POST", path="/api/confd/1.1/outcalls", action="status", status=503
        )
        response = client.post("/outcalls", json={"name": "never-made"})
        assert response.status_code == 503
        assert response.json() == ["Sandbox injected fault"]
        assert response.headers["content-type"] == "application/json"
        assert count(client, "/outcalls") == 0
        # `times` defaults to 1: the next one goes through
        assert client.post("/outcalls", json={"name": "made"}).status_code == 201
    log = clean_sandbox.requests()
    faulted = [item for item in log if item["fault"] is not None]
    assert [(item["status"], item["fault"]) for item in faulted] == [(503, fault)]


def test_status_fault_after_commits_then_replaces_the_answer(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        clean_sandbox.fault(method="POST", path="/api/confd/1.1/outcalls", status=502, phase="after")
        response = client.post("/outcalls", json={"name": "made-anyway"})
        assert response.status_code == 502
        assert response.json() == ["Sandbox injected fault"]
        assert count(client, "/outcalls", name="made-anyway") == 1


def test_drop_fault_before_closes_the_connection_without_processing(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        fault = clean_sandbox.fault(method="POST", path=r"/api/confd/1\.1/outcalls", action="drop")
        with pytest.raises(httpx.TransportError):
            client.post("/outcalls", json={"name": "dropped"})
        assert count(client, "/outcalls") == 0
    dropped = [item for item in clean_sandbox.requests() if item["fault"] == fault]
    assert len(dropped) == 1
    assert dropped[0]["status"] is None


def test_drop_fault_after_commits_then_closes_the_connection(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        clean_sandbox.fault(method="POST", path="/api/confd/1.1/outcalls", action="drop", phase="after")
        with pytest.raises(httpx.TransportError):
            client.post("/outcalls", json={"name": "committed-then-dropped"})
        assert count(client, "/outcalls", name="committed-then-dropped") == 1


def test_delay_fault_slows_the_answer_down(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        clean_sandbox.fault(method="GET", path="/api/confd/1.1/infos", action="delay", delay=0.6)
        started = time.monotonic()
        response = client.get("/infos")
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert elapsed >= 0.6
        started = time.monotonic()
        assert client.get("/infos").status_code == 200
        assert time.monotonic() - started < 0.6


def test_status_fault_with_a_delay_answers_late_then_fails(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        clean_sandbox.fault(method="GET", path="/api/confd/1.1/infos", status=502, delay=0.6)
        started = time.monotonic()
        response = client.get("/infos")
        assert time.monotonic() - started >= 0.6
        assert response.status_code == 502
        # without a delay a status fault answers at once
        clean_sandbox.fault(method="GET", path="/api/confd/1.1/infos", status=502)
        started = time.monotonic()
        assert client.get("/infos").status_code == 502
        assert time.monotonic() - started < 0.6


def test_fault_skip_times_method_and_path_matching(clean_sandbox: SandboxProcess) -> None:
    with acme(clean_sandbox) as client:
        clean_sandbox.fault(method="GET", path="/api/confd/1.1/trunks", times=2, skip=1, status=500)
        assert client.post("/trunks", json={}).status_code == 201, "another method is not matched"
        assert client.get("/trunks/1").status_code == 200, "the path must match in full"
        statuses = [client.get("/trunks").status_code for _ in range(4)]
        assert statuses == [200, 500, 500, 200]
        assert clean_sandbox.requests()[-1]["fault"] is None


def test_faults_can_be_listed_and_cleared(clean_sandbox: SandboxProcess) -> None:
    fault = clean_sandbox.fault(path="/api/confd/1.1/.*", times=3, status=503)
    listed = httpx.get(f"{clean_sandbox.url}/_sandbox/faults").json()["items"]
    assert [(item["id"], item["remaining"]) for item in listed] == [(fault, 3)]
    with acme(clean_sandbox) as client:
        assert client.get("/infos").status_code == 503
        listed = httpx.get(f"{clean_sandbox.url}/_sandbox/faults").json()["items"]
        assert listed[0]["remaining"] == 2
        clean_sandbox.clear_faults()
        assert httpx.get(f"{clean_sandbox.url}/_sandbox/faults").json()["items"] == []
        assert client.get("/infos").status_code == 200


def test_a_bad_fault_spec_is_refused(clean_sandbox: SandboxProcess) -> None:
    for spec in ({"action": "explode"}, {"path": "("}, {"phase": "later"}, {"times": "x"}):
        response = httpx.post(f"{clean_sandbox.url}/_sandbox/faults", json=spec)
        assert response.status_code == 400, spec


def test_the_api_spec_needs_no_token_and_shows_the_pjsip_generation(sandbox: SandboxProcess) -> None:
    response = httpx.get(f"{sandbox.confd_url}/api/api.yml")
    assert response.status_code == 200
    assert "/endpoints/sip/templates:" in response.text
    assert "/registers/sip" not in response.text


def test_auth_requests_can_fail_too(clean_sandbox: SandboxProcess) -> None:
    clean_sandbox.fault(method="POST", path="/api/auth/0.1/token", status=503)
    response = httpx.post(f"{clean_sandbox.auth_url}/token", auth=("acme-admin", "acme-secret"), json={})
    assert response.status_code == 503
    assert clean_sandbox.token("acme-admin", "acme-secret")


# -- token expiry ------------------------------------------------------------------------------------


def test_expiring_tokens_makes_every_issued_token_invalid(clean_sandbox: SandboxProcess) -> None:
    token = clean_sandbox.token("acme-admin", "acme-secret")
    headers = {"X-Auth-Token": token}
    assert httpx.get(f"{clean_sandbox.confd_url}/infos", headers=headers).status_code == 200
    assert httpx.head(f"{clean_sandbox.auth_url}/token/{token}").status_code == 204

    clean_sandbox.expire_tokens()

    response = httpx.get(f"{clean_sandbox.confd_url}/infos", headers=headers)
    assert response.status_code == 401
    assert response.json() == [f"('{token}', 'confd.infos.read')"]
    assert httpx.head(f"{clean_sandbox.auth_url}/token/{token}").status_code == 404
    fresh = clean_sandbox.token("acme-admin", "acme-secret")
    assert httpx.get(f"{clean_sandbox.confd_url}/infos", headers={"X-Auth-Token": fresh}).status_code == 200


def test_a_refresh_token_survives_the_expiry_of_access_tokens(clean_sandbox: SandboxProcess) -> None:
    first = httpx.post(
        f"{clean_sandbox.auth_url}/token",
        auth=("acme-admin", "acme-secret"),
        json={"access_type": "offline", "client_id": "sandbox-tests"},
    ).json()["data"]
    clean_sandbox.expire_tokens()
    renewed = httpx.post(
        f"{clean_sandbox.auth_url}/token",
        json={"refresh_token": first["refresh_token"], "client_id": "sandbox-tests"},
    )
    assert renewed.status_code == 200
    token = renewed.json()["data"]["token"]
    assert token != first["token"]
    assert httpx.get(f"{clean_sandbox.confd_url}/infos", headers={"X-Auth-Token": token}).status_code == 200


# -- where each service is mounted -------------------------------------------------------------------


@pytest.fixture(scope="module")
def direct_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Services at their own paths, as on a Wazo reached without nginx (one port here, not three)."""
    prefixes = {"confd": "/1.1", "auth": "/0.1", "calld": "/1.0"}
    sandbox = SandboxProcess(tmp_path_factory.mktemp("direct") / "sandbox.db", prefixes=prefixes).start()
    yield sandbox
    sandbox.stop()


def test_each_service_can_be_served_at_its_own_path(direct_sandbox: SandboxProcess) -> None:
    base = direct_sandbox.url
    token = direct_sandbox.token("acme-admin", "acme-secret")
    headers = {"X-Auth-Token": token, "Wazo-Tenant": ACME}

    created = httpx.post(f"{base}/1.1/trunks", json={"context": INCALL_CONTEXT}, headers=headers)

    assert direct_sandbox.auth_url == f"{base}/0.1"
    login = httpx.post(f"{base}/api/auth/0.1/token", auth=("acme-admin", "acme-secret"), json={})
    assert login.status_code == 404
    assert httpx.get(f"{base}/api/confd/1.1/infos", headers=headers).status_code == 404
    assert created.status_code == 201
    assert created.headers["Location"] == f"{base}/1.1/trunks/{created.json()['id']}"
    assert created.json()["links"][0]["href"] == f"{base}/1.1/trunks/{created.json()['id']}"
    assert httpx.get(f"{base}/1.0/trunks", headers=headers).json()["total"] == 0
    assert httpx.get(f"{base}/api/calld/1.0/trunks", headers=headers).status_code == 404
    spec = httpx.get(f"{base}/1.1/api/api.yml").text
    assert "basePath: /1.1" in spec
    assert "/endpoints/sip/templates:" in spec
    assert "/trunks:" in spec
    assert "/token" not in spec
