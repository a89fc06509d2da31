"""The real engine after a failed operation: the reference for the engine double's model of it
(tests/component/test_engine_double.py makes the same assertions of the double).

When one create fails, the engine starts no further operation, waits for those in flight, and keeps
in the state every object whose creation completed and none whose creation failed; the next `up`
creates only what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.stack import (
    EXPECTED_CREATES,
    STACK,
    Cli,
    copy_project,
    object_ids,
    secret_settings,
    snapshot,
    stack_config,
    state_ids,
    write_stack_file,
)
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(clean_sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    root = tmp_path_factory.mktemp("e2e-failure")
    cli = Cli(copy_project(root / "project"), root / "home", root / "backend")
    cli.login()
    cli.run("stack", "init", STACK)
    write_stack_file(cli.project, stack_config(clean_sandbox.url))
    for key, value in secret_settings():
        cli.run("config", "set", "--secret", "--path", key, value)
    yield cli
    clean_sandbox.clear_faults()
    cli.run("destroy", "--yes", "--skip-preview", check=False)


def recorded(cli: Cli) -> set[tuple[str, str]]:
    resources = cli.export()["deployment"].get("resources") or []
    return state_ids([(r["type"].rsplit(":", 1)[-1], str(r.get("id", ""))) for r in resources])


def test_after_a_failed_create_the_state_holds_exactly_what_was_created(
    clean_sandbox: SandboxProcess, cli: Cli
) -> None:
    sandbox = clean_sandbox
    before = object_ids(snapshot(sandbox))
    # every incall creation is refused after 1 s, while the outcall's creation (2 s) is in flight (the
    # SIP endpoints wait for their trunks, whose ids prove a migrated endpoint is the stack's own, so
    # they start late; the outcall, a child of the stack, starts at once)
    sandbox.fault(method="POST", path=r"/api/confd/1\.1/outcalls", action="delay", delay=2, times=1)
    sandbox.fault(method="POST", path=r"/api/confd/1\.1/incalls", status=400, delay=1, times=1000)
    failed = cli.run("up", "--yes", "--skip-preview", check=False)
    assert failed.returncode != 0
    assert "confd refused to create the incall" in failed.stdout + failed.stderr

    created = object_ids(snapshot(sandbox)) - before
    assert recorded(cli) == created  # no orphan in confd, nothing in the state that confd lacks
    assert "/outcalls" in {c for c, _ in created}, "the engine waited for the outcall in flight"
    assert not any(collection == "/incalls" for collection, _ in created)
    # the outcall's links could only start once it existed, after the failure: none did
    (outcall,) = snapshot(sandbox)["/outcalls"]
    assert outcall["trunks"] == []
    assert outcall["extensions"] == []
    time.sleep(2)
    assert object_ids(snapshot(sandbox)) - before == created  # and nothing started after it stopped

    sandbox.clear_faults()
    cli.run("up", "--yes", "--skip-preview")
    objects = [k for k in ("Trunk", "EndpointSip", "Outcall", "Extension", "Incall")]
    assert len(object_ids(snapshot(sandbox)) - before) == sum(EXPECTED_CREATES[k] for k in objects)
    cli.run("preview", "--expect-no-changes")
