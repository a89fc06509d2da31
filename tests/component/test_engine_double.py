"""The engine double after a failed operation, as the real engine behaves (tests/e2e/test_failure.py).

When one create fails, the engine stops starting new operations, waits for those in flight, and keeps
in its state every object whose creation completed, and none whose creation failed. The next run then
creates only what is missing.
"""

from __future__ import annotations

import time

import pytest

from tests.component.test_program import acme_dev_config
from tests.e2e.stack import COLLECTION_OF, EXPECTED_CREATES, object_ids, snapshot, state_ids
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess


def recorded(engine: EngineDouble) -> set[tuple[str, str]]:
    kinds = [(resource.type.rsplit(":", 1)[-1], resource.id) for resource in engine.state.values()]
    return state_ids(kinds)


def test_after_a_failed_create_the_state_holds_exactly_what_was_created(clean_sandbox: SandboxProcess):
    sandbox = clean_sandbox
    before = object_ids(snapshot(sandbox))
    # every incall creation is refused after 1 s, while the SIP endpoints' creations (2 s) are in flight
    sandbox.fault(method="POST", path=r"/api/confd/1\.1/endpoints/sip", action="delay", delay=2, times=2)
    sandbox.fault(method="POST", path=r"/api/confd/1\.1/incalls", status=400, delay=1, times=1000)
    engine = EngineDouble(acme_dev_config(sandbox))
    with pytest.raises(Exception, match="incall"):
        engine.run(stack="acme-dev")

    created = object_ids(snapshot(sandbox)) - before
    assert recorded(engine) == created  # no orphan in confd, nothing in the state that confd lacks
    assert "/endpoints/sip" in {c for c, _ in created}, "the run waited for the endpoints in flight"
    # a trunk-endpoint link could only start once its endpoint existed, after the failure: none did
    assert not [r for r in engine.state.values() if r.type.endswith(":TrunkEndpointSip")]
    assert all(trunk["endpoint_sip"] is None for trunk in snapshot(sandbox)["/trunks"])
    time.sleep(2)
    assert object_ids(snapshot(sandbox)) - before == created  # and nothing started after it stopped
    assert {collection for collection, _ in created} >= {"/trunks", "/endpoints/sip"}
    assert not any(collection == COLLECTION_OF["Incall"][0] for collection, _ in created)

    sandbox.clear_faults()
    rerun = engine.run(stack="acme-dev")
    assert {op for op, _ in rerun.operations} == {"create"}
    assert len(rerun.operations) < 29  # only what the failed run left missing
    objects = [k for k in ("Trunk", "EndpointSip", "Outcall", "Extension", "Incall")]
    assert len(object_ids(snapshot(sandbox)) - before) == sum(EXPECTED_CREATES[k] for k in objects)
    assert engine.run(stack="acme-dev").operations == []
