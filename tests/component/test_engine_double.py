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
    # every incall creation is refused after 1 s, while the outcall's creation (2 s) is in flight
    sandbox.fault(method="POST", path=r"/api/confd/1\.1/outcalls", action="delay", delay=2, times=1)
    sandbox.fault(method="POST", path=r"/api/confd/1\.1/incalls", status=400, delay=1, times=1000)
    engine = EngineDouble(acme_dev_config(sandbox))
    with pytest.raises(Exception, match="incall"):
        engine.run(stack="acme-dev")

    created = object_ids(snapshot(sandbox)) - before
    assert recorded(engine) == created  # no orphan in confd, nothing in the state that confd lacks
    assert "/outcalls" in {c for c, _ in created}, "the run waited for the outcall in flight"
    # the outcall's links could only start once it existed, after the failure: none did
    assert not [r for r in engine.state.values() if r.type.endswith((":OutcallTrunks", ":OutcallExtension"))]
    (outcall,) = snapshot(sandbox)["/outcalls"]
    assert outcall["trunks"] == []
    assert outcall["extensions"] == []
    time.sleep(2)
    assert object_ids(snapshot(sandbox)) - before == created  # and nothing started after it stopped
    assert not any(collection == COLLECTION_OF["Incall"][0] for collection, _ in created)

    sandbox.clear_faults()
    rerun = engine.run(stack="acme-dev")
    assert {op for op, _ in rerun.operations} == {"create"}
    assert len(rerun.operations) < 29  # only what the failed run left missing
    objects = [k for k in ("Trunk", "EndpointSip", "Outcall", "Extension", "Incall")]
    assert len(object_ids(snapshot(sandbox)) - before) == sum(EXPECTED_CREATES[k] for k in objects)
    assert engine.run(stack="acme-dev").operations == []
