"""A stack deployed by the first layout upgrades to the current names in place: no replace, no write.

The first layout (tests/support/first_layout.py, the program of commit d506d38) named every resource
after its provider, under the provider's component. The current program names outcalls, patterns,
DIDs and created contexts after their confd identities, as children of the stack, and lists the
former names as aliases. The engine double resolves aliases as the engine does (specs, parents).
"""

from __future__ import annotations

import pytest

from tests.component.test_examples import STACKS, confd_writes, example_config
from tests.support import first_layout
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

TRUNK_PARTS = ("-trunk", "-endpoint", "-trunk-endpoint")
# the first layout understood incall ranges written in full only: bare-dev's 0000-9999 as it knew it
FULL_RANGES = [{"start": "15557770000", "end": "15557779999", "did_length": 4}]


def name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


@pytest.mark.parametrize("stack", [s for s in STACKS if s.endswith("-dev")])
def test_a_first_layout_stack_upgrades_with_no_operation_and_no_write(
    stack: str, clean_sandbox: SandboxProcess
):
    config = example_config(stack, clean_sandbox)
    if "wazo-voip:contexts" in config:
        config["wazo-voip:contexts"] = {**config["wazo-voip:contexts"], "incall_ranges": FULL_RANGES}
    engine = EngineDouble(config)
    old = engine.run(program=first_layout.main, stack=stack)
    assert {op for op, _ in old.operations} == {"create"}
    before = set(engine.state)

    seq = clean_sandbox.last_seq()
    result = engine.run(stack=stack)

    assert result.operations == []
    assert confd_writes(clean_sandbox, seq) == []
    # every resource outside the trunk components found its former self by alias
    moved = {old_urn for old_urn, _ in result.renamed}
    kept = {
        urn for urn in before if name_of(urn).endswith(TRUNK_PARTS) and "VoipProviderInterconnect$" in urn
    }
    assert moved == before - kept
    assert all("VoipProviderInterconnect$" not in new for _, new in result.renamed)
    # and the next run starts from the new names: still nothing to do
    seq = clean_sandbox.last_seq()
    assert engine.run(stack=stack).operations == []
    assert confd_writes(clean_sandbox, seq) == []
