"""The fleet runner's orchestration, with a fake per-stack operation in place of the Automation API."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from stacks import fleet
from stacks.stackfile import StackRef
from tests.stacks.conftest import GOOD_STACK, Invoke, Project


def _refs(*names: str) -> list[StackRef]:
    return [StackRef.from_path(Path(f"stacks/Pulumi.{name}.yaml")) for name in names]


class FakeOperation:
    """Sleeps a little, records how many stacks run at once, and fails the stacks it is told to."""

    def __init__(self, fail: set[str] | None = None, delay: float = 0.05) -> None:
        self.fail = fail or set()
        self.delay = delay
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.seen: list[str] = []

    def __call__(self, ref: StackRef) -> fleet.StackOutcome:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.seen.append(ref.name)
        try:
            time.sleep(self.delay)
            if ref.name in self.fail:
                raise RuntimeError(f"code: 255\n stderr: error: {ref.name} is broken\n")
            return fleet.StackOutcome(
                {"create": 2, "same": 5}, {"steps": [], "changeSummary": {"create": 2, "same": 5}}
            )
        finally:
            with self.lock:
                self.running -= 1


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_parallelism_is_bounded(parallel: int) -> None:
    operation = FakeOperation()

    results = fleet.run_fleet(_refs(*[f"t{i}-dev" for i in range(7)]), operation, parallel)

    assert len(results) == 7
    assert operation.peak == parallel


def test_one_failure_does_not_stop_the_others_and_fails_the_run() -> None:
    operation = FakeOperation(fail={"b-dev"})
    events: list[tuple[str, str]] = []

    class Recorder:
        def started(self, stack: str) -> None:
            events.append(("start", stack))

        def finished(self, result: fleet.StackResult, done: int, total: int) -> None:
            events.append(("done", f"{result.stack} {result.ok} {done}/{total}"))

    results = fleet.run_fleet(_refs("a-dev", "b-dev", "c-dev"), operation, 1, Recorder())

    assert [r.stack for r in results] == ["a-dev", "b-dev", "c-dev"]
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == "code: 255\n stderr: error: b-dev is broken"
    assert results[0].summary == {"create": 2, "same": 5}
    assert fleet.exit_code(results) == 1
    assert fleet.exit_code([results[0], results[2]]) == 0
    assert events == [
        ("start", "a-dev"),
        ("done", "a-dev True 1/3"),
        ("start", "b-dev"),
        ("done", "b-dev False 2/3"),
        ("start", "c-dev"),
        ("done", "c-dev True 3/3"),
    ]


def test_results_keep_the_order_of_the_stacks_whatever_finishes_first() -> None:
    def operation(ref: StackRef) -> fleet.StackOutcome:
        time.sleep(0.1 if ref.name == "a-dev" else 0.0)
        return fleet.StackOutcome()

    results = fleet.run_fleet(_refs("a-dev", "b-dev"), operation, 2)

    assert [r.stack for r in results] == ["a-dev", "b-dev"]


def test_write_results_feeds_diff_report(tmp_path: Path) -> None:
    results = fleet.run_fleet(_refs("a-dev", "b-dev"), FakeOperation(fail={"b-dev"}), 2)

    fleet.write_results(results, "preview", tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-dev.json", fleet.RESULTS_FILE]
    summary = json.loads((tmp_path / fleet.RESULTS_FILE).read_text())
    assert [(s["stack"], s["ok"]) for s in summary["stacks"]] == [("a-dev", True), ("b-dev", False)]


@pytest.fixture
def fleet_project(project: Project) -> Project:
    for name in ("acme-dev", "acme-prod", "other-dev", "other-prod"):
        project.write(name, GOOD_STACK)
    return project


def _seams(operation: FakeOperation, kinds: list[str]) -> dict[str, object]:
    def factory(kind: str, root: Path) -> fleet.StackOperation:
        kinds.append(kind)
        return operation

    return {"operation_factory": factory, "which": lambda name: "/usr/bin/pulumi"}


def test_preview_command_selects_by_env_reports_each_stack_and_exits_1_on_failure(
    fleet_project: Project, invoke: Invoke, tmp_path: Path
) -> None:
    operation = FakeOperation(fail={"other-dev"})
    kinds: list[str] = []
    out = tmp_path / "previews"

    result = invoke(
        "preview", "--env", "dev", "--parallel", "2", "--json-dir", str(out), obj=_seams(operation, kinds)
    )

    assert result.exit_code == 1
    assert kinds == ["preview"]
    assert sorted(operation.seen) == ["acme-dev", "other-dev"]
    assert "acme-dev: preview started" in result.stderr
    assert "acme-dev: ok   2 to create" in result.stderr
    assert "other-dev: FAIL failed: code: 255" in result.stderr
    assert "  acme-dev   ok      2 to create" in result.stdout
    assert "  other-dev  FAILED  failed: code: 255" in result.stdout
    assert "1 succeeded, 1 failed" in result.stdout
    assert "other-dev is broken" in result.stderr
    assert (out / "acme-dev.json").exists()
    assert (out / fleet.RESULTS_FILE).exists()


def test_preview_command_selects_by_glob(fleet_project: Project, invoke: Invoke) -> None:
    operation = FakeOperation()

    result = invoke("preview", "acme-*", "other-prod", obj=_seams(operation, []))

    assert result.exit_code == 0, result.output
    assert sorted(operation.seen) == ["acme-dev", "acme-prod", "other-prod"]


def test_up_needs_yes_without_a_terminal(fleet_project: Project, invoke: Invoke) -> None:
    operation = FakeOperation()
    kinds: list[str] = []

    refused = invoke("up", "--env", "prod", obj=_seams(operation, kinds))
    applied = invoke("up", "--env", "prod", "--yes", obj=_seams(operation, kinds))

    assert refused.exit_code == 2
    assert "pass --yes" in refused.output
    assert applied.exit_code == 0, applied.output
    assert kinds == ["up"]
    assert sorted(operation.seen) == ["acme-prod", "other-prod"]


def test_fleet_commands_say_why_without_the_cli(fleet_project: Project, invoke: Invoke) -> None:
    result = invoke("preview", "--env", "dev")  # the default seams: no `pulumi` on PATH

    assert result.exit_code == 1
    assert "the Pulumi CLI is not on PATH" in result.output


def test_no_matching_stack_is_an_error(fleet_project: Project, invoke: Invoke) -> None:
    result = invoke("preview", "nobody-*", obj=_seams(FakeOperation(), []))

    assert result.exit_code == 1
    assert "no stack matches" in result.output
