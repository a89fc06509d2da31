"""Fixtures of the engine suite: the SDK's provider server, configured like a stack aimed at the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.scenarios import ACME, STACK_PASSWORD, STACK_USERNAME, Admin
from tests.support.provider_server import PROJECT, Engine, ProviderServer, stack_config
from tests.support.sandbox import SandboxProcess

SECRET_KEYS = (f"{PROJECT}:password",)


def start_engine(sandbox: SandboxProcess, password: str = STACK_PASSWORD) -> tuple[ProviderServer, Engine]:
    """A fresh server (no provider unpickled, no token yet), through GetPluginInfo and Configure."""
    # DEBUG: every line the providers and httpx log reaches stderr, where test_secrets.py looks
    server = ProviderServer(log_level="debug").start()
    engine = Engine(server)
    engine.get_plugin_info()
    engine.configure(stack_config(sandbox.url, STACK_USERNAME, password, ACME), SECRET_KEYS)
    return server, engine


@pytest.fixture(scope="module")
def engine(sandbox: SandboxProcess) -> Iterator[Engine]:
    """One provider server for the module, as one `pulumi up` has one."""
    server, engine = start_engine(sandbox)
    yield engine
    server.stop()


@pytest.fixture
def fresh_engine(sandbox: SandboxProcess) -> Iterator[Engine]:
    """A provider server of its own, for tests that count token requests from zero."""
    server, engine = start_engine(sandbox)
    yield engine
    server.stop()


@pytest.fixture(scope="module")
def admin(sandbox: SandboxProcess) -> Admin:
    return Admin(sandbox)
