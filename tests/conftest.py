"""Fixtures shared by every suite: a real sandbox on a free loopback port, per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sandbox import SandboxProcess, running_sandbox


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
