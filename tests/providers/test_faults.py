"""Faults injected by the sandbox: retries where safe, POSTs only once proven lost, runs converge.

Every object kind against every kind of fault, and takeovers refused: test_convergence.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pulumi.dynamic import ResourceProvider

from providers.confd import ConfdServerError, Settings, configure
from providers.endpoint_sip import EndpointSipProvider
from providers.extension import ExtensionProvider
from providers.outcall import OutcallProvider
from providers.trunk import TrunkProvider
from tests.providers.support import CONFD, VALID, endpoint_inputs, writes

CONFD_WRITE = re.escape(CONFD) + r"/.*"


class Run:
    """A minimal engine: create what the state lacks, leave alone what it has (as `pulumi up`)."""

    def __init__(self, plan: list[tuple[str, ResourceProvider, dict[str, Any]]]) -> None:
        self.plan = plan
        self.state: dict[str, tuple[str, dict[str, Any]]] = {}

    def up(self) -> list[Exception]:
        errors: list[Exception] = []
        for name, provider, inputs in self.plan:
            checked = provider.check({}, inputs).inputs
            if name in self.state:
                id_, outs = self.state[name]
                assert provider.diff(id_, outs, checked).changes is False
                continue
            try:
                created = provider.create(checked)
            except Exception as error:  # noqa: BLE001 (the engine reports it and moves on)
                errors.append(error)
                continue
            self.state[name] = (created.id, created.outs or {})
        return errors


def provider_run() -> Run:
    return Run(
        [
            ("trunk", TrunkProvider(), VALID["trunk"]),
            ("endpoint", EndpointSipProvider(), endpoint_inputs()),
            ("outcall", OutcallProvider(), VALID["outcall"]),
            ("pattern", ExtensionProvider(), VALID["extension"]),
        ]
    )


def counts(admin) -> dict[str, int]:
    return {path: admin.count(path) for path in ("/trunks", "/endpoints/sip", "/outcalls", "/extensions")}


ONE_EACH = {"/trunks": 1, "/endpoints/sip": 1, "/outcalls": 1, "/extensions": 1}


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "status", "status": 503, "phase": "before"},
        {"action": "status", "status": 502, "phase": "after"},
        {"action": "drop", "phase": "before"},
        {"action": "drop", "phase": "after"},
    ],
    ids=["503-before", "502-after", "drop-before", "drop-after"],
)
def test_second_post_of_a_run_fails_and_the_run_converges(acme, admin, fault):
    acme.fault(method="POST", path=CONFD_WRITE, skip=1, times=1, **fault)
    run = provider_run()
    assert run.up() == []
    assert counts(admin) == ONE_EACH
    endpoint_posts = [w for w in writes(acme.requests()) if w == ("POST", f"{CONFD}/endpoints/sip")]
    # a POST is repeated only when the lookup proved the first one had not landed
    assert len(endpoint_posts) == (2 if fault["phase"] == "before" else 1)
    assert run.up() == []  # the rerun changes nothing
    assert counts(admin) == ONE_EACH


@pytest.mark.parametrize("resource", ["endpoint", "outcall", "pattern"])
def test_lost_answer_after_commit_is_recovered_by_natural_key(acme, admin, resource):
    path = {"endpoint": "/endpoints/sip", "outcall": "/outcalls", "pattern": "/extensions"}[resource]
    acme.fault(method="POST", path=re.escape(CONFD + path), times=1, action="drop", phase="after")
    run = provider_run()
    assert run.up() == []
    assert counts(admin) == ONE_EACH
    assert run.up() == []
    assert counts(admin) == ONE_EACH


def test_a_trunk_post_lost_after_commit_is_recovered_without_a_second_post(acme, admin):
    acme.fault(method="POST", path=re.escape(CONFD + "/trunks"), times=1, action="drop", phase="after")
    run = provider_run()
    assert run.up() == []
    assert counts(admin) == ONE_EACH
    (trunk,) = admin.get("/trunks")["items"]
    assert run.state["trunk"][0] == str(trunk["id"])  # the state holds the trunk the lost POST made
    trunk_posts = [w for w in writes(acme.requests()) if w == ("POST", f"{CONFD}/trunks")]
    assert len(trunk_posts) == 1
    assert run.up() == []
    assert counts(admin) == ONE_EACH


def test_a_trunk_post_refused_before_commit_is_sent_again_once_proven_lost(acme, admin):
    acme.fault(method="POST", path=re.escape(CONFD + "/trunks"), times=1, action="status", status=503)
    run = provider_run()
    assert run.up() == []
    assert counts(admin) == ONE_EACH
    trunk_posts = [w for w in writes(acme.requests()) if w == ("POST", f"{CONFD}/trunks")]
    assert len(trunk_posts) == 2
    assert run.up() == []
    assert counts(admin) == ONE_EACH


@pytest.mark.parametrize(
    ("method", "fault"),
    [
        ("GET", {"action": "status", "status": 503, "times": 2}),
        ("GET", {"action": "drop", "times": 1}),
        ("PUT", {"action": "drop", "phase": "after", "times": 1}),
        ("PUT", {"action": "status", "status": 500, "times": 1}),
        ("DELETE", {"action": "drop", "phase": "after", "times": 1}),
        ("DELETE", {"action": "status", "status": 504, "times": 2}),
    ],
)
def test_idempotent_requests_are_retried(acme, admin, method, fault):
    provider = OutcallProvider()
    created = provider.create(VALID["outcall"])
    item = f"{CONFD}/outcalls/{created.id}"
    acme.fault(method=method, path=re.escape(item), **fault)
    seq = acme.last_seq()
    if method == "GET":
        assert provider.read(created.id, (created.outs or {})).outs == (created.outs or {})
    elif method == "PUT":
        news = {**provider.check({}, VALID["outcall"]).inputs, "description": "retried"}
        provider.update(created.id, (created.outs or {}), news)
        assert admin.get(f"/outcalls/{created.id}")["description"] == "retried"
    else:
        provider.delete(created.id, (created.outs or {}))
        assert admin.count("/outcalls") == 0
    sent = [w for w in writes(acme.requests(since=seq)) if w == (method, item)]
    assert len(sent) == fault["times"] + 1


def test_retries_give_up_with_a_clear_error(acme):
    provider = OutcallProvider()
    created = provider.create(VALID["outcall"])
    acme.fault(method="GET", path=".*", times=10, action="status", status=503)
    with pytest.raises(ConfdServerError) as caught:
        provider.read(created.id, (created.outs or {}))
    assert "HTTP 503" in str(caught.value)
    assert "Sandbox injected fault" in str(caught.value)


def test_a_slow_answer_times_out_and_is_retried(acme):
    configure(
        Settings(url=acme.url, username="acme-admin", password="acme-secret", timeout=0.5, backoff=0.01)
    )
    provider = OutcallProvider()
    created = provider.create(VALID["outcall"])
    acme.fault(method="GET", path=".*/outcalls/.*", times=1, action="delay", delay=1.5)
    assert provider.read(created.id, (created.outs or {})).id == created.id
