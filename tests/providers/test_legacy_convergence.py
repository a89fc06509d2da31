"""A lost answer on a Wazo 20.12 (chan_sip API), for each object and link of that API and every fault.

The same rules as test_convergence.py on the PJSIP API: a create looks before its POST (the chan_sip
endpoint by its name, unique on the Wazo; a register, which has no name and no tenant, among the
registers of the same account at the same host), and after a lost answer it looks again. Only an
object that was not there before, holds exactly what was sent and is on no trunk is taken as what
the POST made; nothing found means nothing landed, and only then is the POST sent again. The links
are PUTs, sent again after any lost answer (making a link twice is harmless).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

from providers.confd import ConfdAlreadyExists, Settings, configure
from providers.endpoint_sip_legacy import EndpointSipLegacyProvider
from providers.register_sip import RegisterSipProvider
from providers.trunk import TrunkProvider
from providers.trunk_endpoint import TrunkEndpointSipLegacyProvider
from providers.trunk_register import TrunkRegisterSipProvider
from tests.providers.support import ACME, CONFD, LEGACY_VALID, SIP_PASSWORD, TOKEN_PATH, Admin, writes
from tests.providers.test_convergence import FAULTS, SLOW, TIMEOUT, expected_posts, ids
from tests.support.sandbox import SandboxProcess

KINDS: dict[str, tuple[type, str, str]] = {
    # kind: (provider, collection, id key)
    "endpoint_sip_legacy": (EndpointSipLegacyProvider, "/endpoints/sip", "id"),
    "register_sip": (RegisterSipProvider, "/registers/sip", "id"),
    "trunk": (TrunkProvider, "/trunks", "id"),
}
NATURAL_KEY = {"endpoint_sip_legacy"}


def inputs_of(kind: str, admin: Admin) -> dict[str, Any]:
    if kind == "trunk":
        # no outgoing_caller_id_format before 24.15: confd drops it, and none reads as +E164
        return {"tenant_uuid": ACME, "context": admin.context_name("incall")}
    return dict(LEGACY_VALID[kind])


@pytest.fixture
def fast(legacy_acme: SandboxProcess) -> SandboxProcess:
    configure(
        Settings(
            url=legacy_acme.url, username="acme-admin", password="acme-secret", timeout=TIMEOUT, backoff=0.01
        )
    )
    return legacy_acme


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_lost_answer_leaves_exactly_one_object_and_the_state_holds_it(fast, legacy_admin, kind, fault):
    cls, path, key = KINDS[kind]
    provider = cls()
    inputs = provider.check({}, inputs_of(kind, legacy_admin)).inputs
    before = ids(legacy_admin, path, key)
    fast.fault(method="POST", path=re.escape(CONFD + path), times=1, **FAULTS[fault])

    created = provider.create(inputs)

    if fault == "timeout-commit-late":
        time.sleep(SLOW)  # let the held first POST finish: a duplicate would show now
    assert [f["fired"] for f in fast.faults()] == [1]
    made = ids(legacy_admin, path, key) - before
    assert made == {created.id}
    posts = [w for w in writes(fast.requests()) if w == ("POST", CONFD + path)]
    # the endpoint's unique name makes a second POST safe, as on the PJSIP API
    assert len(posts) == expected_posts("endpoint_sip" if kind in NATURAL_KEY else kind, fault)
    read = provider.read(created.id, created.outs or {})
    assert provider.diff(created.id, read.outs or {}, inputs).changes is False


LINKS: dict[str, tuple[type, str]] = {
    "trunk_endpoint_legacy": (TrunkEndpointSipLegacyProvider, "endpoint_sip"),
    "trunk_register": (TrunkRegisterSipProvider, "register_sip"),
}


def _linkable(kind: str, admin: Admin) -> dict[str, Any]:
    trunk = int(admin.post("/trunks", {"context": admin.context_name("incall")})["id"])
    if kind == "trunk_endpoint_legacy":
        endpoint = int(admin.post("/endpoints/sip", {"name": "linked-endpoint"})["id"])
        return {"tenant_uuid": ACME, "trunk_id": trunk, "endpoint_id": endpoint}
    register = int(admin.post("/registers/sip", {"sip_username": "u1", "remote_host": "h"})["id"])
    return {"tenant_uuid": ACME, "trunk_id": trunk, "register_id": register}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", list(LINKS))
def test_a_lost_answer_to_a_link_is_sent_again_and_links_once(fast, legacy_admin, kind, fault):
    cls, shown = LINKS[kind]
    provider = cls()
    inputs = provider.check({}, _linkable(kind, legacy_admin)).inputs
    fast.fault(method="PUT", path=re.escape(CONFD + "/trunks/") + ".*", times=1, **FAULTS[fault])

    created = provider.create(inputs)

    if fault == "timeout-commit-late":
        time.sleep(SLOW)
    assert [f["fired"] for f in fast.faults()] == [1]
    trunk = legacy_admin.get(f"/trunks/{inputs['trunk_id']}")
    linked = inputs["endpoint_id"] if kind == "trunk_endpoint_legacy" else inputs["register_id"]
    assert trunk[shown]["id"] == linked
    puts = [w for w in writes(fast.requests()) if w[0] == "PUT"]
    assert len(puts) == 2  # the faulted one and the one sent again
    assert provider.read(created.id, created.outs or {}).id == created.id


def test_an_endpoint_made_by_hand_before_is_never_taken_over(fast, legacy_admin):
    body = {k: v for k, v in LEGACY_VALID["endpoint_sip_legacy"].items() if k != "tenant_uuid"}
    existing = legacy_admin.post("/endpoints/sip", body)
    shown = legacy_admin.get(f"/endpoints/sip/{existing['id']}")
    fast.fault(method="POST", path=re.escape(CONFD + "/endpoints/sip"), times=1, action="status", status=503)
    seq = fast.last_seq()
    provider = EndpointSipLegacyProvider()

    with pytest.raises(ConfdAlreadyExists) as caught:
        provider.create(provider.check({}, LEGACY_VALID["endpoint_sip_legacy"]).inputs)

    assert [m for m, p in writes(fast.requests(since=seq)) if p != TOKEN_PATH] == ["GET"]
    text = str(caught.value)
    assert f"id {existing['id']}" in text
    assert "adopt=True" in text
    assert SIP_PASSWORD not in text
    assert legacy_admin.get(f"/endpoints/sip/{existing['id']}") == shown


def test_a_register_identical_to_one_made_before_is_a_new_one_never_the_old(fast, legacy_admin):
    """A register has no unique key: one with the same line that was there before the POST is
    someone else's, even when the POST's answer is lost after its commit."""
    body = {k: v for k, v in LEGACY_VALID["register_sip"].items() if k != "tenant_uuid"}
    theirs = legacy_admin.post("/registers/sip", body)
    fast.fault(method="POST", path=re.escape(CONFD + "/registers/sip"), times=1, action="drop", phase="after")
    provider = RegisterSipProvider()

    created = provider.create(provider.check({}, LEGACY_VALID["register_sip"]).inputs)

    registers = ids(legacy_admin, "/registers/sip", "id")
    assert registers == {str(theirs["id"]), created.id}
    assert created.id != str(theirs["id"])


def test_a_register_on_a_trunk_made_meanwhile_is_never_taken_for_the_lost_one(fast, legacy_admin):
    """The same line, made by hand while the POST is held, but already on a trunk: not ours."""
    fast.fault(method="POST", path=re.escape(CONFD + "/registers/sip"), times=1, action="delay", delay=SLOW)
    body = {k: v for k, v in LEGACY_VALID["register_sip"].items() if k != "tenant_uuid"}
    made: list[int] = []

    def make() -> None:
        trunk = legacy_admin.post("/trunks", {"context": legacy_admin.context_name("incall")})
        register = legacy_admin.post("/registers/sip", body)
        legacy_admin.put(f"/trunks/{trunk['id']}/registers/sip/{register['id']}")
        made.append(int(register["id"]))

    timer = threading.Timer(TIMEOUT / 4, make)
    timer.start()
    provider = RegisterSipProvider()
    created = provider.create(provider.check({}, LEGACY_VALID["register_sip"]).inputs)
    timer.join()

    (theirs,) = made
    registers = {r["id"]: r for r in legacy_admin.get("/registers/sip")["items"]}
    assert set(registers) == {theirs, int(created.id)}
    assert registers[int(created.id)]["trunk"] is None
