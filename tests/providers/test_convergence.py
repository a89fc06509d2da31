"""A lost answer to a POST, for every object kind and every kind of fault: one object, provably ours.

Each create looks before its POST (by natural key, or among the objects it could be taken for).
After a lost answer it looks again: only an object that was not there before, holds exactly what
was sent and is linked to nothing is taken as what the POST made; nothing found means nothing
landed, and only then is the POST sent again. An object made by someone else is never taken over.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

from providers.confd import ConfdAlreadyExists, ConfdUncertainWrite, Settings, configure
from providers.context import ContextProvider
from providers.endpoint_sip import EndpointSipProvider
from providers.extension import ExtensionProvider
from providers.incall import IncallProvider
from providers.outcall import OutcallProvider
from providers.trunk import TrunkProvider
from tests.providers.support import (
    CONFD,
    INCALL_CTX,
    OUTCALL_CTX,
    TOKEN_PATH,
    VALID,
    Admin,
    endpoint_inputs,
    writes,
)
from tests.support.sandbox import SandboxProcess

TIMEOUT = 0.4  # the client's timeout here; a "timeout" fault holds the request 1.5 times as long
SLOW = TIMEOUT * 1.5

KINDS: dict[str, tuple[type, dict[str, Any], str, str]] = {
    # kind: (provider, inputs, collection, id key)
    "context": (ContextProvider, VALID["context"], "/contexts", "id"),
    "trunk": (TrunkProvider, VALID["trunk"], "/trunks", "id"),
    "endpoint_sip": (EndpointSipProvider, endpoint_inputs(), "/endpoints/sip", "uuid"),
    "outcall": (OutcallProvider, VALID["outcall"], "/outcalls", "id"),
    "extension": (ExtensionProvider, VALID["extension"], "/extensions", "id"),
    "incall": (IncallProvider, VALID["incall"], "/incalls", "id"),
}
NATURAL_KEY = {"endpoint_sip", "outcall", "extension"}

FAULTS: dict[str, dict[str, Any]] = {
    "5xx-before-commit": {"action": "status", "status": 503, "phase": "before"},
    "5xx-after-commit": {"action": "status", "status": 502, "phase": "after"},
    "drop-before-commit": {"action": "drop", "phase": "before"},
    "drop-after-commit": {"action": "drop", "phase": "after"},
    "timeout-commit-late": {"action": "delay", "delay": SLOW, "phase": "before"},
    "timeout-after-commit": {"action": "delay", "delay": SLOW, "phase": "after"},
}


def expected_posts(kind: str, fault: str) -> int:
    """POSTs a create sends: a second one only once the first is proven not to have landed."""
    if fault in ("5xx-before-commit", "drop-before-commit"):
        return 2
    if fault == "timeout-commit-late" and kind in NATURAL_KEY:
        # the unique key makes the second POST safe: the late first one is then refused by confd
        return 2
    return 1  # found after the commit; without a unique key, found after waiting for a late commit


@pytest.fixture
def fast(acme: SandboxProcess) -> SandboxProcess:
    configure(
        Settings(url=acme.url, username="acme-admin", password="acme-secret", timeout=TIMEOUT, backoff=0.01)
    )
    return acme


def ids(admin: Admin, path: str, key: str) -> set[str]:
    return {str(item[key]) for item in admin.get(path)["items"]}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_lost_answer_leaves_exactly_one_object_and_the_state_holds_it(fast, admin, kind, fault):
    cls, inputs, path, key = KINDS[kind]
    provider = cls()
    before = ids(admin, path, key)
    fast.fault(method="POST", path=re.escape(CONFD + path), times=1, **FAULTS[fault])

    created = provider.create(provider.check({}, inputs).inputs)

    if fault == "timeout-commit-late":
        time.sleep(SLOW)  # let the held first POST finish: a duplicate would show now
    assert [f["fired"] for f in fast.faults()] == [1]
    made = ids(admin, path, key) - before
    assert made == {created.id}
    posts = [w for w in writes(fast.requests()) if w == ("POST", CONFD + path)]
    assert len(posts) == expected_posts(kind, fault)
    # what the state holds is what confd holds: the next run has nothing to do
    read = provider.read(created.id, created.outs or {})
    assert provider.diff(created.id, read.outs or {}, provider.check({}, inputs).inputs).changes is False


# Made by hand with exactly what the stack sends: before the fix, a lost answer took it over.
HAND_MADE: dict[str, tuple[str, dict[str, Any]]] = {
    "outcall": ("/outcalls", {"name": "acme-out", "description": "to the provider"}),
    "extension": ("/extensions", {"exten": "_418.", "context": OUTCALL_CTX}),
    "endpoint_sip": ("/endpoints/sip", {k: v for k, v in endpoint_inputs().items() if k != "tenant_uuid"}),
}


def _templates(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    if "templates" in out:
        out["templates"] = [{"uuid": uuid} for uuid in out["templates"]]
        out["transport"] = {"uuid": out.pop("transport_uuid")}
    return out


@pytest.mark.parametrize("kind", list(HAND_MADE))
def test_an_object_made_by_hand_before_the_fault_is_never_taken_over(fast, admin, kind):
    cls, inputs, path, key = KINDS[kind]
    collection, body = HAND_MADE[kind]
    existing = admin.post(collection, _templates(body))
    item = f"{collection}/{existing[key]}"
    shown = admin.get(item)
    fast.fault(method="POST", path=re.escape(CONFD + path), times=1, action="status", status=503)
    seq = fast.last_seq()

    with pytest.raises(ConfdAlreadyExists) as caught:
        cls().create(cls().check({}, inputs).inputs)

    sent = [m for m, p in writes(fast.requests(since=seq)) if p != TOKEN_PATH]
    assert sent == ["GET"]  # looked, wrote nothing
    text = str(caught.value)
    assert f"{key} {existing[key]}" in text
    assert "this run did not create it" in text
    assert "adopt=True" in text
    assert admin.get(item) == shown  # untouched


# Made by hand while the provider's POST is held by the server: the same key, other content.
MEANWHILE: dict[str, dict[str, Any]] = {
    "outcall": {"name": "acme-out", "description": "made by hand"},
    "extension": {"exten": "_418.", "context": OUTCALL_CTX, "enabled": False},
    "endpoint_sip": {"name": "acme-provider", "label": "made by hand"},
}


def operator_meanwhile(admin: Admin, make: Any) -> tuple[threading.Timer, list[Any]]:
    """Run `make(admin)` while the provider's held POST is on the server; its result lands in the list."""
    made: list[Any] = []
    timer = threading.Timer(TIMEOUT / 4, lambda: made.append(make(admin)))
    timer.start()
    return timer, made


@pytest.mark.parametrize("kind", list(MEANWHILE))
def test_an_object_made_by_hand_while_the_answer_is_lost_is_never_taken_over(fast, admin, kind):
    cls, inputs, path, key = KINDS[kind]
    fast.fault(method="POST", path=re.escape(CONFD + path), times=1, action="delay", delay=SLOW)

    def make(admin: Admin) -> tuple[dict[str, Any], dict[str, Any]]:
        made = admin.post(path, MEANWHILE[kind])
        return made, admin.get(f"{path}/{made[key]}")

    timer, made = operator_meanwhile(admin, make)
    with pytest.raises(ConfdAlreadyExists) as caught:
        cls().create(cls().check({}, inputs).inputs)
    timer.join()
    time.sleep(SLOW)  # the held POST has now been refused by confd: the key was taken

    ((existing, shown),) = made
    assert f"{key} {existing[key]}" in str(caught.value)
    assert "adopt=True" in str(caught.value)
    assert admin.get(f"{path}/{existing[key]}") == shown  # not updated
    assert ids(admin, path, key) == {str(existing[key])}  # not deleted, not duplicated
    assert {m for m, _ in writes(fast.requests())} <= {"GET", "POST"}


def test_an_identical_anonymous_object_made_meanwhile_makes_the_choice_refused(fast, admin):
    fast.fault(method="POST", path=re.escape(CONFD + "/trunks"), times=1, action="delay", delay=SLOW)
    timer, _ = operator_meanwhile(admin, lambda admin: admin.post("/trunks", {"context": INCALL_CTX}))
    with pytest.raises(ConfdUncertainWrite) as caught:
        TrunkProvider().create(TrunkProvider().check({}, VALID["trunk"]).inputs)
    timer.join()

    trunks = admin.get("/trunks")["items"]
    assert len(trunks) == 2  # the operator's, and the one the held POST made
    text = str(caught.value)
    assert all(f"{t['id']}" in text for t in trunks)
    assert "none was adopted" in text
    assert {m for m, _ in writes(fast.requests())} <= {"GET", "POST"}


def test_a_linked_object_is_never_taken_for_the_one_a_lost_post_made(fast, admin):
    fast.fault(method="POST", path=re.escape(CONFD + "/trunks"), times=1, action="delay", delay=SLOW)

    def make(admin: Admin) -> int:
        # the same context and format as the provider's trunk, but in use: linked to an endpoint
        trunk = admin.post("/trunks", {"context": INCALL_CTX})
        endpoint = admin.post("/endpoints/sip", {"name": "made-by-hand"})
        admin.put(f"/trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")
        return int(trunk["id"])

    timer, made = operator_meanwhile(admin, make)
    created = TrunkProvider().create(TrunkProvider().check({}, VALID["trunk"]).inputs)
    timer.join()

    (theirs,) = made
    trunks = {t["id"]: t for t in admin.get("/trunks")["items"]}
    assert set(trunks) == {theirs, int(created.id)}
    assert trunks[theirs]["endpoint_sip"]["name"] == "made-by-hand"
    assert trunks[int(created.id)]["endpoint_sip"] is None
