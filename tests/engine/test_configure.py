"""Configure as the engine sends it: the stack config reaches the providers, and a missing or
wrong value fails the first call that needs it, naming the key to set, before or at the login."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.scenarios import ACME, SCENARIOS, STACK_USERNAME, TOKEN_PATH, Admin, unique
from tests.support.provider_server import PROJECT, Engine, ProviderError, ProviderServer, stack_config
from tests.support.sandbox import SandboxProcess

WRONG_PASSWORD = "not-the-Password-42"


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer() as server:
        yield server


def test_without_config_a_create_names_the_keys_and_sends_nothing(
    server: ProviderServer, sandbox: SandboxProcess, admin: Admin
) -> None:
    engine = Engine(server)
    engine.configure({})
    scenario = SCENARIOS["Trunk"]
    registration = scenario.register("trunk", scenario.build(admin, unique()).inputs)
    sandbox.clear_requests()

    checked = engine.check(registration.urn, {}, registration.inputs())
    assert checked.failures == {}  # check needs no settings
    with pytest.raises(ProviderError) as raised:
        engine.create(registration.urn, checked.inputs)
    assert f"{PROJECT}:url" in raised.value.details
    assert "WAZO_URL" in raised.value.details
    assert sandbox.requests() == []


def test_a_wrong_password_fails_at_the_login_naming_the_keys(
    server: ProviderServer, sandbox: SandboxProcess, admin: Admin
) -> None:
    engine = Engine(server)
    engine.configure(stack_config(sandbox.url, STACK_USERNAME, WRONG_PASSWORD, ACME), [f"{PROJECT}:password"])
    scenario = SCENARIOS["Outcall"]
    registration = scenario.register("outcall", scenario.build(admin, unique()).inputs)
    sandbox.clear_requests()

    checked = engine.check(registration.urn, {}, registration.inputs())
    with pytest.raises(ProviderError) as raised:
        engine.create(registration.urn, checked.inputs)
    assert f"{PROJECT}:password" in raised.value.details
    assert WRONG_PASSWORD not in raised.value.details
    assert WRONG_PASSWORD not in server.stderr
    paths = [item["path"] for item in sandbox.requests()]
    assert paths  # it tried to log in...
    assert set(paths) == {TOKEN_PATH}  # ...and never reached confd


def test_config_given_plain_works_too(server: ProviderServer, sandbox: SandboxProcess, admin: Admin) -> None:
    # the server unwraps a secret marker in Configure's args if there is one; plain values work too
    engine = Engine(server)
    engine.configure(stack_config(sandbox.url, STACK_USERNAME, "acme-secret", ACME))
    scenario = SCENARIOS["Incall"]
    state = engine.up(scenario.register("incall", scenario.build(admin, unique()).inputs))
    assert state.id
    engine.destroy(state)
