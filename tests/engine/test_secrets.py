"""Secrets and credentials under the real server: where passwords travel, and where they never go.

The server answers `acceptSecrets: false`, so the engine strips every secret marker before a call
and can only re-mark what comes back by name: an output named like a secret input
(`annotateSecrets`) or listed in the resource's `additionalSecretOutputs`. These tests pin that
every property holding a password is one of those, and that no credential of the stack reaches
the state, the pickled provider, an error message or the server's log.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

import dill
import pulumi
import pytest
from pulumi.runtime import rpc

from providers.endpoint_sip import AUTH_SECTIONS, EndpointSip
from tests.engine.scenarios import (
    SCENARIOS,
    SIP_PASSWORD,
    SIP_PASSWORD_2,
    STACK_PASSWORD,
    STACK_USERNAME,
    Admin,
    endpoint_inputs,
    unique,
)
from tests.support.provider_server import (
    PROVIDER_KEY,
    Engine,
    ProviderError,
    contains,
    provider_path,
    register,
)
from tests.support.sandbox import SandboxProcess

SECRET_SECTIONS = frozenset({"outbound_auth_section_options", "registration_outbound_auth_section_options"})


def as_the_component_declares(inputs: dict[str, Any]) -> dict[str, Any]:
    """The component passes every auth section as a secret Output (providers/interconnect.py)."""
    return {k: pulumi.Output.secret(v) if k in AUTH_SECTIONS else v for k, v in inputs.items()}


def outside(values: dict[str, Any], allowed: frozenset[str], needle: str) -> list[str]:
    """Keys other than `allowed` whose value holds `needle`."""
    return [k for k, v in values.items() if k not in allowed and contains(v, needle)]


def test_endpoint_passwords_live_only_in_properties_the_engine_encrypts(engine: Engine) -> None:
    name = f"engine-secret-{unique()}"
    registration = register(EndpointSip, "endpoint", **as_the_component_declares(endpoint_inputs(name)))
    assert registration.additional_secret_outputs == tuple(sorted(AUTH_SECTIONS))
    assert registration.secret_inputs == SECRET_SECTIONS
    # on the wire to this server the values are plain: it would not understand the secret marker
    assert not any(rpc.is_rpc_secret(v) for v in registration.inputs().values())

    checked = engine.check(registration.urn, {}, registration.inputs())
    assert checked.failures == {}
    # the engine re-marks checked inputs by name: every password must sit under a secret input's name
    assert outside(checked.inputs, registration.secret_inputs, SIP_PASSWORD) == []

    state = engine.up(registration)
    assert state.secret_outputs == AUTH_SECTIONS
    assert outside(state.outputs, state.secret_outputs, SIP_PASSWORD) == []
    assert outside(state.inputs, registration.secret_inputs, SIP_PASSWORD) == []

    rotated = {**endpoint_inputs(name, password=SIP_PASSWORD_2)}
    changed = register(EndpointSip, "endpoint", **as_the_component_declares(rotated))
    diffed, state = engine.change(state, changed)
    assert diffed.changed
    assert diffed.replaces == ()
    assert state.secret_outputs == AUTH_SECTIONS
    for needle in (SIP_PASSWORD, SIP_PASSWORD_2):
        assert outside(state.outputs, state.secret_outputs, needle) == []

    refreshed = engine.refresh(state)
    assert refreshed is not None
    assert refreshed.secret_outputs == AUTH_SECTIONS
    assert outside(refreshed.outputs, AUTH_SECTIONS, SIP_PASSWORD_2) == []
    engine.destroy(refreshed)


def test_errors_about_an_endpoint_never_show_its_password(engine: Engine) -> None:
    name = f"engine-dup-{unique()}"
    registration = register(EndpointSip, "first", **as_the_component_declares(endpoint_inputs(name)))
    state = engine.up(registration)

    # confd refuses a second endpoint with the same name: the error reaches the CLI's output
    twin = register(EndpointSip, "twin", **as_the_component_declares(endpoint_inputs(name)))
    checked = engine.check(twin.urn, {}, twin.inputs())
    with pytest.raises(ProviderError) as raised:
        engine.create(twin.urn, checked.inputs)
    assert name in raised.value.details
    assert SIP_PASSWORD not in raised.value.details

    # a bad value in an auth section is reported without the section's values
    bad = endpoint_inputs(name)
    bad["outbound_auth_section_options"] = [["username", "u123"], ["passwd", SIP_PASSWORD]]
    failing = register(EndpointSip, "bad", **as_the_component_declares(bad))
    failures = engine.check(failing.urn, {}, failing.inputs()).failures
    assert set(failures) == {"outbound_auth_section_options"}
    assert SIP_PASSWORD not in failures["outbound_auth_section_options"]
    engine.destroy(state)


def test_no_credential_in_the_state_nor_in_the_pickled_providers(
    engine: Engine, sandbox: SandboxProcess, admin: Admin
) -> None:
    states = []
    for kind, scenario in sorted(SCENARIOS.items()):
        case = scenario.build(admin, unique())
        states.append(engine.up(scenario.register(f"{kind.lower()}-cred", case.inputs)))
    for state in states:
        engine.refresh(state)

    credentials = (STACK_PASSWORD, STACK_USERNAME, sandbox.url)
    answered = [call.answered for call in engine.calls]
    assert len(answered) >= 2 * len(SCENARIOS)
    for values in answered:
        for credential in credentials:
            assert not contains(values, credential)

    providers = {str(values[PROVIDER_KEY]) for values in answered if PROVIDER_KEY in values}
    assert len(providers) == len(SCENARIOS)
    for serialized in providers:
        raw = base64.b64decode(serialized)
        assert len(raw) < 200  # a reference to a class, nothing captured by value
        for credential in credentials:
            assert credential.encode() not in raw
        module, _, cls = provider_path(serialized).partition(":")
        provider = dill.loads(raw)  # noqa: S301 (bytes this suite produced)
        assert type(provider).__module__ == module
        assert type(provider).__qualname__ == cls
        assert vars(provider) == {}
        assert pickle.loads(raw).__class__ is type(provider)  # noqa: S301 (plain pickle reads it too)

    for state in states:
        engine.destroy(state)


def test_the_server_log_holds_no_secret(engine: Engine) -> None:
    # after every call of this module (logs of retries, adoptions, gone objects, errors): the
    # server runs with DEBUG logging (tests/engine/conftest.py), so the log is not empty
    log = engine.server.stderr
    assert "HTTP Request: POST" in log  # httpx's own lines
    assert "/api/confd/1.1/endpoints/sip -> 201" in log  # the client's
    tokens = [line for line in log.splitlines() if "token" in line.lower()]
    assert tokens  # the login is logged...
    for secret in (STACK_PASSWORD, SIP_PASSWORD, SIP_PASSWORD_2):
        assert secret not in log
