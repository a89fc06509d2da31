"""Preview or apply many stacks at once: bounded parallelism, one result per stack, failures isolated.

The runner knows nothing of Pulumi: it calls a `StackOperation` per stack. `automation_operation` is
the real one (Pulumi's Automation API, which drives the Pulumi CLI); tests inject their own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from stacks.stackfile import StackRef

Kind = Literal["preview", "up"]
RESULTS_FILE = "fleet-results.json"
NO_CLI = (
    "the Pulumi CLI is not on PATH: the Automation API drives it, so previews and updates need it "
    "(install it from pulumi.com, or run in CI)"
)


@dataclass(frozen=True)
class StackOutcome:
    """What one successful operation on one stack returns."""

    summary: Mapping[str, int] = field(default_factory=dict)
    digest: dict[str, Any] | None = None


StackOperation = Callable[[StackRef], StackOutcome]


@dataclass(frozen=True)
class StackResult:
    """One stack's result: its change counts on success, the end of its error on failure."""

    stack: str
    ok: bool
    seconds: float
    summary: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    digest: dict[str, Any] | None = None

    def describe(self) -> str:
        if not self.ok:
            return f"failed: {(self.error or 'unknown error').splitlines()[0]}"
        return describe_summary(self.summary)


def describe_summary(summary: Mapping[str, int]) -> str:
    changes = [f"{count} to {op}" for op, count in sorted(summary.items()) if op != "same" and count]
    return ", ".join(changes) if changes else "no changes"


class Progress(Protocol):
    """Told when each stack starts and ends; called from worker threads."""

    def started(self, stack: str) -> None: ...

    def finished(self, result: StackResult, done: int, total: int) -> None: ...


class SilentProgress:
    def started(self, stack: str) -> None:
        pass

    def finished(self, result: StackResult, done: int, total: int) -> None:
        pass


def error_text(error: BaseException, max_lines: int = 20) -> str:
    """The end of an error message: the CLI's output can be long, and its last lines say why."""
    lines = [line.rstrip() for line in str(error).strip().splitlines() if line.strip()]
    text = "\n".join(lines[-max_lines:]) if lines else type(error).__name__
    return text if lines else f"{type(error).__name__} (no message)"


def run_fleet(
    stacks: Sequence[StackRef],
    operation: StackOperation,
    parallel: int = 4,
    progress: Progress | None = None,
) -> list[StackResult]:
    """Run the operation on every stack, at most `parallel` at once; results in the stacks' order."""
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    report = progress or SilentProgress()
    lock = threading.Lock()
    done = 0

    def one(ref: StackRef) -> StackResult:
        nonlocal done
        report.started(ref.name)
        start = time.monotonic()
        try:
            outcome = operation(ref)
            result = StackResult(
                ref.name, True, time.monotonic() - start, dict(outcome.summary), None, outcome.digest
            )
        except Exception as error:  # noqa: BLE001 - one stack's failure must not stop the others
            result = StackResult(ref.name, False, time.monotonic() - start, {}, error_text(error))
        with lock:
            done += 1
            count = done
        report.finished(result, count, len(stacks))
        return result

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="stack") as pool:
        return list(pool.map(one, stacks))


def exit_code(results: Sequence[StackResult]) -> int:
    return 0 if all(result.ok for result in results) else 1


def write_results(results: Sequence[StackResult], kind: Kind, directory: Path) -> None:
    """One `<stack>.json` preview digest per stack that has one, and a summary of every result."""
    directory.mkdir(parents=True, exist_ok=True)
    for result in results:
        if result.digest is not None:
            (directory / f"{result.stack}.json").write_text(json.dumps(result.digest, indent=4) + "\n")
    summary = {
        "operation": kind,
        "stacks": [
            {
                "stack": r.stack,
                "ok": r.ok,
                "seconds": round(r.seconds, 1),
                "summary": dict(r.summary),
                "error": r.error,
            }
            for r in results
        ],
    }
    (directory / RESULTS_FILE).write_text(json.dumps(summary, indent=4) + "\n")


def _op_name(key: Any) -> str:
    return str(getattr(key, "value", key))


def automation_operation(kind: Kind, root: Path, env: Mapping[str, str] | None = None) -> StackOperation:
    """The real operation: select the stack in the project at `root` and preview or update it."""
    from pulumi import automation as auto

    def operation(ref: StackRef) -> StackOutcome:
        options = auto.LocalWorkspaceOptions(env_vars=dict(env)) if env else None
        stack = auto.select_stack(stack_name=ref.name, work_dir=str(root), opts=options)
        if kind == "preview":
            preview = stack.preview(json=True, color="never", suppress_progress=True)
            summary = {_op_name(op): count for op, count in (preview.change_summary or {}).items()}
            try:
                digest = json.loads(preview.stdout)
            except ValueError:
                digest = None
            return StackOutcome(summary, digest if isinstance(digest, dict) else None)
        update = stack.up(color="never", suppress_progress=True, suppress_outputs=True, show_secrets=False)
        changes = update.summary.resource_changes or {}
        return StackOutcome({_op_name(op): count for op, count in changes.items()})

    return operation
