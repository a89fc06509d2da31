"""Which stacks a change touches: its own stack files, or every stack when shared code changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from stacks.stackfile import STACK_FILE, StackRef

# Paths whose change can alter what any stack deploys: the program, the providers, the project, the pins.
SHARED_PREFIXES = ("providers/",)
SHARED_FILES = frozenset({"__main__.py", "Pulumi.yaml", "requirements.txt"})


def is_shared(path: str) -> bool:
    return path in SHARED_FILES or path.startswith(SHARED_PREFIXES)


def affected_stacks(
    changed: Iterable[str], stacks: Sequence[StackRef], stacks_dir: str = "stacks"
) -> list[str]:
    """Names of the existing stacks the changed paths (relative to the repository root) touch."""
    existing = {ref.name for ref in stacks}
    names: set[str] = set()
    for raw in changed:
        path = raw.strip()
        if not path:
            continue
        if is_shared(path):
            return sorted(existing)
        posix = PurePosixPath(path)
        match = STACK_FILE.match(posix.name)
        if match and str(posix.parent) == stacks_dir and match.group("name") in existing:
            names.add(match.group("name"))  # a deleted stack file has nothing left to preview
    return sorted(names)


def shards(names: Sequence[str], count: int) -> list[list[str]]:
    """The stacks dealt round-robin into at most `count` non-empty shards: each stack in exactly one.

    Names are dealt in order, so shards differ in size by one at most, and the same input always gives
    the same shards.
    """
    if count < 1:
        raise ValueError("the number of shards must be at least 1")
    used = min(count, len(names))
    return [list(names[index::used]) for index in range(used)]


def matrix(names: Sequence[str], count: int) -> dict[str, list[dict[str, int | str]]]:
    """A GitHub Actions matrix, one entry per shard: its number, how many there are, its stacks.

    `stacks` is space-separated (stack names hold no space). With no stack, `include` is empty: the
    workflow must skip the sharded job then, since GitHub refuses an empty matrix.
    """
    groups = shards(names, count)
    return {
        "include": [
            {"shard": index, "shards": len(groups), "stacks": " ".join(group)}
            for index, group in enumerate(groups, start=1)
        ]
    }
