"""Every example stack of stacks/ through the program, twice: the first `up` creates, the second does nothing.

Each stack is pointed at the sandbox's tenant of its name (the prod stacks' URL and tenant are
placeholders), with the secrets the CLI would hold. The second run must make no write and plan no
delete, whichever way the stack gets its contexts: found by type (acme, other) or created by the
stack itself (bare, `contexts.create: true`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import seed
from stacks.stackfile import discover
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
# the example stacks the repository holds, as the fleet tool finds them (not the demo's local copy)
STACKS = [ref.name for ref in discover(ROOT / "stacks")]


def example_config(stack: str, sandbox: SandboxProcess) -> dict[str, Any]:
    """The stack file's config aimed at the sandbox tenant named like the stack, secrets set."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    tenant = stack.split("-")[0]
    admin = seed.AUTH_USERS[f"{tenant}-admin"]
    config["wazo-voip:url"] = sandbox.url
    config["wazo-voip:tenant"] = seed.TENANTS[tenant].uuid
    config["wazo-voip:username"] = admin.username
    config["wazo-voip:password"] = admin.password
    for index, provider in enumerate(config["wazo-voip:providers"]):
        provider["password"] = f"example-Pa55word-{index}"
    return config


def confd_writes(sandbox: SandboxProcess, since: int) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"])
        for r in sandbox.requests(since=since)
        if r["method"] != "GET" and r["path"].startswith("/api/confd/")
    ]


def test_every_example_stack_is_listed():
    assert {"acme-dev", "acme-prod", "other-dev", "other-prod", "bare-dev"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_each_example_stack_creates_then_reruns_with_no_operation(stack: str, clean_sandbox: SandboxProcess):
    engine = EngineDouble(example_config(stack, clean_sandbox))
    seq = clean_sandbox.last_seq()
    first = engine.run(stack=stack)
    created = confd_writes(clean_sandbox, seq)
    assert first.operations
    assert {op for op, _ in first.operations} == {"create"}
    assert len([w for w in created if w[0] == "POST"]) >= 1

    seq = clean_sandbox.last_seq()
    second = engine.run(stack=stack)
    assert second.operations == []
    assert confd_writes(clean_sandbox, seq) == []


def test_a_stack_that_names_its_contexts_reruns_with_no_operation(clean_sandbox: SandboxProcess):
    # the third way to get contexts (found by type, created: the example stacks above)
    config = example_config("acme-dev", clean_sandbox)
    config["wazo-voip:contexts"] = {
        "incall": seed.CONTEXTS[("acme", "incall")].name,
        "outcall": seed.CONTEXTS[("acme", "outcall")].name,
    }
    engine = EngineDouble(config)
    assert {op for op, _ in engine.run(stack="acme-dev").operations} == {"create"}
    seq = clean_sandbox.last_seq()
    assert engine.run(stack="acme-dev").operations == []
    assert confd_writes(clean_sandbox, seq) == []
