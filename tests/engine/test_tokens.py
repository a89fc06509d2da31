"""One token per provider server: 40 creates at once share it, and an expired one is renewed once.

The engine runs resources in parallel and the server serves four calls at a time, each provider
class unpickled and configured on first use; none of that may multiply logins.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.engine.scenarios import SCENARIOS, TOKEN_PATH, Admin, confd_calls, token_requests, unique
from tests.support.provider_server import Engine, Registration, State
from tests.support.sandbox import SandboxProcess

PARALLEL = 40
# four provider classes at once: each is unpickled and configured on its first call, concurrently
MIX = ("Trunk", "Outcall", "Extension", "Context")


def registrations(admin: Admin, count: int) -> list[Registration]:
    out = []
    for index in range(count):
        kind = MIX[index % len(MIX)]
        scenario = SCENARIOS[kind]
        out.append(scenario.register(f"{kind.lower()}-{index}", scenario.build(admin, unique()).inputs))
    return out


def up_all(engine: Engine, batch: list[Registration]) -> list[State]:
    with ThreadPoolExecutor(max_workers=len(batch)) as pool:
        return list(pool.map(engine.up, batch))


def statuses(log: list[dict[str, Any]]) -> Counter[int]:
    return Counter(item["status"] for item in log if item["path"] != TOKEN_PATH)


def test_forty_parallel_creates_share_one_token(
    fresh_engine: Engine, sandbox: SandboxProcess, admin: Admin
) -> None:
    batch = registrations(admin, PARALLEL)
    sandbox.clear_requests()

    states = up_all(fresh_engine, batch)

    log = sandbox.requests()
    assert token_requests(log) == 1
    assert log[0]["path"] == TOKEN_PATH  # the login came first, once, before any confd call
    calls = confd_calls(log)
    # exactly one look and one POST per create, nothing else: no read-back, no retry, no second login
    assert len(calls) == 2 * PARALLEL
    assert Counter(method for method, _ in calls) == {"GET": PARALLEL, "POST": PARALLEL}
    assert statuses(log) == {200: PARALLEL, 201: PARALLEL}
    for kind in MIX:
        ids = [s.id for s in states if s.type.endswith(f":{kind}")]
        assert len(ids) == PARALLEL // len(MIX)
        assert len(set(ids)) == len(ids)
    assert fresh_engine.server.alive

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fresh_engine.destroy, states))
    assert token_requests(sandbox.requests()) == 1


def test_a_token_expiring_mid_run_is_renewed_once(
    fresh_engine: Engine, sandbox: SandboxProcess, admin: Admin
) -> None:
    first, *rest = registrations(admin, 17)
    sandbox.clear_requests()
    state = fresh_engine.up(first)
    assert token_requests(sandbox.requests()) == 1

    # sequentially: the refused GET, one login, the same GET again
    sandbox.expire_tokens()
    sandbox.clear_requests()
    assert fresh_engine.refresh(state) is not None
    log = sandbox.requests()
    assert [(item["method"], item["status"]) for item in log] == [("GET", 401), ("POST", 200), ("GET", 200)]
    assert log[1]["path"] == TOKEN_PATH

    # in parallel: every call in flight is refused, one of them logs in, the others reuse it
    sandbox.expire_tokens()
    sandbox.clear_requests()
    states = up_all(fresh_engine, rest)
    log = sandbox.requests()
    assert token_requests(log) == 1
    refused = statuses(log)[401]
    assert 1 <= refused <= 4  # at most one per server worker thread in flight
    assert statuses(log)[201] == len(rest)
    assert all(s.id for s in states)

    for each in (state, *states):
        fresh_engine.destroy(each)
