"""Fixtures of the provider tests: the process's settings aimed at a clean sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from providers.confd import Settings, configure
from providers.confd.auth import forget_tokens
from tests.providers.support import Admin
from tests.support.sandbox import SandboxProcess


def aim(sandbox: SandboxProcess, username: str = "acme-admin", password: str = "acme-secret") -> None:  # noqa: S107
    """Configure the process as `configure()` would, with a short backoff for the fault tests."""
    configure(Settings(url=sandbox.url, username=username, password=password, backoff=0.01))
    forget_tokens()


@pytest.fixture
def acme(clean_sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    """A clean sandbox; the providers talk to it as acme-admin; no token cached yet."""
    aim(clean_sandbox)
    yield clean_sandbox
    configure(None)
    forget_tokens()


@pytest.fixture
def admin(acme: SandboxProcess) -> Admin:
    """Direct confd access for setup and out-of-band changes."""
    return Admin(acme)


@pytest.fixture
def legacy_acme(clean_legacy_sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    """A clean 20.12 (chan_sip) sandbox; the providers talk to it as acme-admin."""
    aim(clean_legacy_sandbox)
    yield clean_legacy_sandbox
    configure(None)
    forget_tokens()


@pytest.fixture
def legacy_admin(legacy_acme: SandboxProcess) -> Admin:
    """Direct access to the 20.12 sandbox for setup and out-of-band changes."""
    return Admin(legacy_acme)
