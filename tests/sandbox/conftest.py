"""Fixtures of the sandbox contract tests: confd clients for the seeded wazo-auth users."""

from __future__ import annotations

import pytest

from tests.sandbox._helpers import ACME, CREDENTIALS, OTHER, Api
from tests.support.sandbox import SandboxProcess


def _api(sandbox: SandboxProcess, username: str, tenant: str | None) -> Api:
    user, password = CREDENTIALS[username]
    return Api(sandbox.confd_url, sandbox.token(user, password), tenant)


@pytest.fixture
def acme(clean_sandbox: SandboxProcess) -> Api:
    """acme-admin (`confd.#`), `Wazo-Tenant: acme`."""
    return _api(clean_sandbox, "acme-admin", ACME)


@pytest.fixture
def other(clean_sandbox: SandboxProcess) -> Api:
    """other-admin (`confd.#`), `Wazo-Tenant: other`."""
    return _api(clean_sandbox, "other-admin", OTHER)


@pytest.fixture
def master(clean_sandbox: SandboxProcess) -> Api:
    """root (master tenant, `confd.#`), no `Wazo-Tenant` header."""
    return _api(clean_sandbox, "root", None)


@pytest.fixture
def bare(clean_sandbox: SandboxProcess) -> Api:
    """bare-admin (`confd.#`) in the tenant that has no contexts, no `Wazo-Tenant` header."""
    return _api(clean_sandbox, "bare-admin", None)


@pytest.fixture
def legacy(clean_legacy_sandbox: SandboxProcess) -> Api:
    """acme-admin on the 20.12 (chan_sip) sandbox, `Wazo-Tenant: acme`."""
    return _api(clean_legacy_sandbox, "acme-admin", ACME)


@pytest.fixture
def legacy_other(clean_legacy_sandbox: SandboxProcess) -> Api:
    """other-admin on the 20.12 sandbox, `Wazo-Tenant: other`."""
    return _api(clean_legacy_sandbox, "other-admin", OTHER)


@pytest.fixture
def legacy_master(clean_legacy_sandbox: SandboxProcess) -> Api:
    """root on the 20.12 sandbox, no `Wazo-Tenant` header."""
    return _api(clean_legacy_sandbox, "root", None)
