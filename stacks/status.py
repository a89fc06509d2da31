"""`status`: is each provider trunk of a stack registered, as wazo-calld sees it, and are calls flowing.

A stack declares its providers; wazo-calld lists the tenant's trunks by Asterisk endpoint name (the
provider's `name`) with `registered` and `current_call_count`. A provider whose registration is
disabled is never a failure: calld's flag then only follows the keepalive (PJSIP qualify).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from providers.confd import (
    ConfdConfigError,
    ConfdConnectionError,
    ConfdError,
    ConfdServerError,
    Settings,
    TrunkStatus,
    calld_client,
)
from providers.model import StackConfig

MAX_PAUSE = 30.0


@dataclass(frozen=True)
class ProviderTrunk:
    """One provider of a stack as calld sees it; `listed` False when calld does not know the trunk."""

    name: str
    expected: bool  # registration enabled in the stack
    listed: bool
    registered: bool | None = None
    calls: int | None = None

    @property
    def up(self) -> bool:
        """An expected registration that calld reports as registered; anything else is not up."""
        return self.listed and self.registered is True

    @property
    def fine(self) -> bool:
        return self.up or not self.expected

    def describe(self) -> str:
        if not self.listed:
            return "not loaded yet"
        if self.registered is None:
            return "unknown"
        return "registered" if self.registered else "not registered"


@dataclass
class StackStatus:
    """One stack's answer: its trunks, or why calld could not be asked (`error`, and whether to retry)."""

    stack: str
    calld: str
    trunks: list[ProviderTrunk] = field(default_factory=list)
    error: str | None = None
    retryable: bool = False
    polls: int = 0

    @property
    def ready(self) -> bool:
        return self.error is None and all(trunk.fine for trunk in self.trunks)

    @property
    def waiting_for(self) -> list[ProviderTrunk]:
        return [trunk for trunk in self.trunks if not trunk.fine]


@dataclass(frozen=True)
class Target:
    """What to ask calld about one stack: its settings (validated later) and its providers."""

    stack: str
    config: StackConfig
    settings: Settings


def check(target: Target) -> StackStatus:
    """Ask calld once; an error is reported in the result, never raised."""
    config = target.config
    status = StackStatus(target.stack, target.settings.calld_base)
    try:
        listed = {item.name: item for item in calld_client(str(config.tenant), target.settings).trunks()}
    except ConfdConfigError as error:
        status.error = str(error)
        return status
    except ConfdConnectionError as error:
        status.error, status.retryable = f"unreachable: {error}", True
        return status
    except ConfdServerError as error:
        status.error, status.retryable = str(error), True
        return status
    except ConfdError as error:
        status.error = str(error)
        return status
    status.trunks = [
        _trunk(provider.name, provider.registration.enabled, listed) for provider in config.providers
    ]
    return status


def _trunk(name: str, expected: bool, listed: dict[str, TrunkStatus]) -> ProviderTrunk:
    item = listed.get(name)
    if item is None:
        return ProviderTrunk(name, expected, listed=False)
    return ProviderTrunk(name, expected, True, item.registered, item.current_call_count)


Progress = Callable[[float, Sequence[StackStatus]], None]


def poll(
    targets: Sequence[Target],
    wait: float = 0.0,
    interval: float = 2.0,
    parallel: int = 4,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[StackStatus]:
    """Ask calld about every stack; with `wait`, ask again the stacks not ready yet, pausing `interval`
    seconds then twice as long each time (at most MAX_PAUSE), until all are ready or `wait` has passed.

    A stack whose calld refused the credentials, or whose settings are wrong, is not asked again.
    """
    start = clock()
    results: dict[str, StackStatus] = {}
    pending = list(targets)
    pause = interval
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="status") as pool:
        while True:
            for target, result in zip(pending, pool.map(check, pending), strict=True):
                result.polls = results[target.stack].polls + 1 if target.stack in results else 1
                results[target.stack] = result
            pending = [
                target
                for target in pending
                if not results[target.stack].ready
                and (results[target.stack].error is None or results[target.stack].retryable)
            ]
            elapsed = clock() - start
            if not pending or elapsed >= wait:
                break
            if progress is not None:
                progress(elapsed, [results[target.stack] for target in pending])
            sleep(min(pause, wait - elapsed))
            pause = min(pause * 2, MAX_PAUSE)
    return [results[target.stack] for target in targets]


def render(results: Sequence[StackStatus], waited: float | None = None) -> list[str]:
    """The report: per stack a verdict line, then one line per provider trunk; never a secret."""
    lines: list[str] = []
    for result in results:
        if result.error is not None:
            lines.append(f"{result.stack}: FAILED, {result.error}")
            continue
        if result.ready:
            verdict = "ok, every expected registration is up"
        else:
            names = ", ".join(f"{t.name} ({t.describe()})" for t in result.waiting_for)
            after = f" after {waited:g} s" if waited else ""
            verdict = f"NOT READY{after}: {names}"
        lines.append(f"{result.stack}: {verdict}")
        width = max([len("trunk"), *(len(t.name) for t in result.trunks)])
        lines.append(f"  {'trunk':<{width}}  {'registration':<16}{'calls':>5}  expected")
        for trunk in result.trunks:
            calls = "-" if trunk.calls is None else str(trunk.calls)
            expected = "yes" if trunk.expected else "no (registration disabled: not a failure)"
            lines.append(f"  {trunk.name:<{width}}  {trunk.describe():<16}{calls:>5}  {expected}")
    ready = sum(1 for result in results if result.ready)
    failed = sum(1 for result in results if result.error is not None)
    lines.append(
        f"{len(results)} stack{'s' if len(results) != 1 else ''}: {ready} ready, "
        f"{len(results) - ready - failed} not ready, {failed} failed"
    )
    return lines
