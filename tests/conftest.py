"""Fixtures shared by every suite: a real sandbox on a free loopback port, per test module, and the
real Pulumi CLI for the suites marked `e2e` and `fleet`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import hypothesis  # noqa: F401
import pytest

from stacks import toolchain
from tests.support.sandbox import SandboxProcess, running_sandbox

# hypothesis is imported above, before any test runs: imported first by its plugin's end-of-session
# summary, after engine runs that failed (their abandoned steps still finishing in other threads), its
# parse failed here with CPython 3.11.7's "AST constructor recursion depth mismatch".

CLI_MARKERS = ("e2e", "fleet")
# CI sets it: there a test that needs the CLI fails when the CLI is missing, instead of skipping
REQUIRE_CLI = "WAZO_VOIP_REQUIRE_PULUMI"
_CLI = pytest.StashKey[Path | None]()


def pytest_configure(config: pytest.Config) -> None:
    """Put the project's CLI (or a suitable one on PATH) first on PATH for every test."""
    config.stash[_CLI] = toolchain.activate()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[_CLI] is not None:
        return
    needing = [item for item in items if any(m in item.keywords for m in CLI_MARKERS)]
    if not needing:
        return
    minimum = toolchain.Tools().sdk_version()
    reason = (
        f"no Pulumi CLI: `make pulumi` builds the pinned one (needs Go), or put pulumi >= {minimum} on PATH"
    )
    if os.environ.get(REQUIRE_CLI) == "1":
        raise pytest.UsageError(f"{REQUIRE_CLI}=1, but {reason}")
    for item in needing:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A fresh sandbox process for the test module."""
    yield from running_sandbox(tmp_path_factory.mktemp("sandbox"))


@pytest.fixture
def clean_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    """The module's sandbox, re-seeded, with an empty request log and no faults."""
    sandbox.clean()
    return sandbox


@pytest.fixture(scope="module")
def legacy_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A fresh sandbox speaking Wazo 20.12's chan_sip API, for the test module."""
    yield from running_sandbox(tmp_path_factory.mktemp("legacy-sandbox"), "--api", "20.12")


@pytest.fixture
def clean_legacy_sandbox(legacy_sandbox: SandboxProcess) -> SandboxProcess:
    """The module's 20.12 sandbox, re-seeded, with an empty request log and no faults."""
    legacy_sandbox.clean()
    return legacy_sandbox
