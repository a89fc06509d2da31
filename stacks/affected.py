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
