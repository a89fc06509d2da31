"""The stack planned for a Wazo 20.12 (chan_sip API) and declared under mocks: children, secrets, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from providers.confd.generation import ServerGeneration
from providers.interconnect import declare_stack
from providers.model import Contexts, Provider, StackConfig
from providers.plan import PlanError, chan_sip_options, legacy_notes, legacy_problems, plan_stack
from tests.component.test_interconnect import PASSWORD, TENANT, StaticDirectory, by_name, provider
from tests.support.engine import EchoMocks, RunResult, run_program

SERVER = ServerGeneration("20.12", "chan_sip")
ON = "Wazo 20.12, chan_sip API (/registers/sip)"


def build(
    item: Provider, contexts: Contexts | None = None, directory: Any = None
) -> tuple[EchoMocks, RunResult]:
    """The stack of this provider planned for a Wazo 20.12, then declared under mocks."""
    config = StackConfig(
        url="https://wazo.example.com", tenant=TENANT, providers=[item], contexts=contexts or Contexts()
    )
    plan = plan_stack(config, directory or StaticDirectory(), SERVER)
    engine = EchoMocks()

    def program() -> None:
        declare_stack(plan)

    return engine, run_program(engine, {}, program)


def test_the_trunk_step_is_the_chan_sip_one():
    engine, result = build(provider())
    regs = by_name(result)
    component = regs["acme-voipco"]
    trunk_step = {
        name: reg.type.rsplit(":", 1)[-1]
        for name, reg in regs.items()
        if name.startswith("acme-voipco-trunk") or name.endswith(("-endpoint", "-register"))
    }
    assert trunk_step == {
        "acme-voipco-trunk": "Trunk",
        "acme-voipco-endpoint": "EndpointSipLegacy",
        "acme-voipco-trunk-endpoint": "TrunkEndpointSipLegacy",
        "acme-voipco-register": "RegisterSip",
        "acme-voipco-trunk-register": "TrunkRegisterSip",
    }
    assert all(regs[name].parent == component.urn for name in trunk_step)
    assert not any(reg.type.endswith((":EndpointSip", ":TrunkEndpointSip")) for reg in regs.values())
    peer = engine.inputs["acme-voipco-endpoint"]
    assert {k: peer[k] for k in ("name", "username", "secret", "type", "host")} == {
        "name": "acme-voipco",
        "username": "acct123",
        "secret": PASSWORD,
        "type": "peer",
        "host": "sip.voipco.example",
    }
    assert peer["options"] == [["insecure", "port,invite"], ["qualify", "yes"], ["qualifyfreq", "60"]]
    register = engine.inputs["acme-voipco-register"]
    assert {k: register.get(k) for k in ("transport", "sip_username", "auth_username", "remote_host")} == {
        "transport": "transport-udp",
        "sip_username": "acct123",
        "auth_username": "acct123",
        "remote_host": "sip.voipco.example",
    }
    assert register["expiration"] == 120


def test_passwords_are_secret_inputs_and_outputs():
    _, result = build(provider())
    regs = by_name(result)
    assert regs["acme-voipco-endpoint"].secret_inputs == {"secret"}
    assert regs["acme-voipco-endpoint"].additional_secret_outputs == ["secret"]
    assert regs["acme-voipco-register"].secret_inputs == {"auth_password"}
    assert regs["acme-voipco-register"].additional_secret_outputs == ["auth_password"]


def test_links_depend_on_what_they_link():
    _, result = build(provider())
    regs = by_name(result)
    trunk, peer, register = (
        regs[n].urn for n in ("acme-voipco-trunk", "acme-voipco-endpoint", "acme-voipco-register")
    )
    assert set(regs["acme-voipco-trunk-endpoint"].dependencies) == {trunk, peer}
    assert set(regs["acme-voipco-trunk-register"].dependencies) == {trunk, register}


def test_without_registration_there_is_no_register():
    _, result = build(provider(registration={"enabled": False}))
    assert not any(name.endswith("register") for name in by_name(result))


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (
            {"match": ["sip.voipco.example", "203.0.113.0/28"]},
            "match 203.0.113.0/28 has no equivalent on " + ON,
        ),
        (
            {"options": {"registration": [["max_retries", "5"]]}},
            "options.registration has no equivalent on " + ON,
        ),
        ({"options": {"identify": [["match_header", "X-A: b"]]}}, "options.identify has no equivalent"),
        ({"outgoing_caller_id_format": "national"}, "outgoing_caller_id_format 'national' has no equivalent"),
        ({"name": "acme.voipco"}, "name 'acme.voipco' 1..40 characters among letters"),
        ({"username": "acct.123"}, "username 'acct.123' 1..40 characters"),
        ({"password": "with:colon"}, "password must not contain ':', '/' or spaces on " + ON),
        ({"password": "pâssword"}, "password must be 1..80 printable ASCII characters"),
        ({"options": {"endpoint": [["dtmf_mode", "rfc4733"], ["callerid", "x" * 161]]}}, "longer than 160"),
        (
            {
                "incoming": [
                    {
                        "did": "+15551230000",
                        "destination": {
                            "type": "user",
                            "user_id": 1,
                            "moh_uuid": "aaaaaaaa-0000-4000-8000-000000000001",
                        },
                    }
                ]
            },
            "destination.moh_uuid has no equivalent",
        ),
    ],
)
def test_settings_20_12_cannot_express_are_refused(overrides, says):
    with pytest.raises(PlanError) as caught:
        build(provider(**overrides))
    assert says in str(caught.value)
    assert "with:colon" not in str(caught.value)
    assert "pâssword" not in str(caught.value)


def test_a_password_with_a_colon_is_fine_without_registration():
    assert legacy_problems(provider(password="with:colon", registration={"enabled": False}), ON) == []


def test_the_label_is_only_a_warning():
    assert legacy_problems(provider(), ON) == []
    (note,) = legacy_notes(provider(), ON)
    assert "label 'VoIPCo' is not deployed" in note
    assert legacy_notes(provider(label=None), ON) == []


def test_contexts_cannot_be_created_on_20_12():
    directory = StaticDirectory(contexts=[])
    with pytest.raises(PlanError, match=r"contexts\.create cannot make one on Wazo 20\.12"):
        build(provider(), contexts=Contexts(create=True), directory=directory)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, [("insecure", "port,invite"), ("qualify", "yes"), ("qualifyfreq", "60")]),
        (
            {"keepalive": {"enabled": False}},
            [("insecure", "port,invite"), ("qualify", "no"), ("qualify_frequency", "0")],
        ),
        (
            {"port": 5080},
            [("insecure", "port,invite"), ("qualify", "yes"), ("qualifyfreq", "60"), ("port", "5080")],
        ),
        ({"options": {"endpoint": [["dtmf_mode", "rfc4733"]]}}, [("dtmfmode", "rfc2833")]),
        ({"options": {"endpoint": [["dtmf_mode", "auto_info"]]}}, [("dtmf_mode", "auto_info")]),
        (
            {"options": {"endpoint": [["force_rport", "yes"], ["rewrite_contact", "yes"]]}},
            [("nat", "force_rport")],
        ),
        ({"options": {"endpoint": [["rtp_symmetric", "yes"]]}}, [("nat", "comedia")]),
        (
            {"options": {"endpoint": [["rtp_symmetric", "yes"], ["force_rport", "yes"]]}},
            [("rtp_symmetric", "yes"), ("force_rport", "yes")],
        ),
        ({"options": {"aor": [["qualify_timeout", "3"]]}}, [("qualify_timeout", "3")]),
    ],
)
def test_the_stacks_settings_in_chan_sip_words(overrides, expected):
    """wazo-confgend plugins/pjsip_conf.py at wazo-20.12 turns these back into the PJSIP options."""
    options = chan_sip_options(provider(**overrides))
    assert all(pair in options for pair in expected), options
    if "options" in overrides:
        assert options[3:] == expected


def test_component_and_program_share_the_refusal_wording():
    with pytest.raises(PlanError) as caught:
        build(provider(match=["10.0.0.1"]))
    assert str(caught.value) == (
        "providers 'acme-voipco': match 10.0.0.1 has no equivalent on "
        + ON
        + ": calls are recognised by the "
        "trunk's host (sip.voipco.example) only; remove those entries"
    )
