"""VoipProviderInterconnect under pulumi.runtime mocks: children, parents, dependencies, secrets, errors."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from providers.interconnect import ContextRef, VoipProviderInterconnect, VoipProviderInterconnectArgs
from providers.model import ConfigError, Contexts, IncallRange, Provider, load_stack_config
from providers.plan import ContextInfo, PlanError
from tests.support.engine import EchoMocks, RunResult, run_program

TENANT = "11111111-1111-4111-8111-111111111111"
INCALL = ContextInfo(
    "ctx-acme-incall-1",
    "Acme incall",
    "incall",
    (IncallRange(start="15551230000", end="15551239999", did_length=10),),
)
OUTCALL = ContextInfo("ctx-acme-outcall-1", "Acme outcall", "outcall")
INTERNAL = ContextInfo("ctx-acme-internal-1", "Acme internal", "internal")
PASSWORD = "pr0vider-Pa55"


class StaticDirectory:
    """A Directory holding fixed facts: the component's lookups without a server."""

    def __init__(
        self, contexts: list[ContextInfo] | None = None, users: dict[str, int] | None = None
    ) -> None:
        self._contexts = [INCALL, OUTCALL, INTERNAL] if contexts is None else contexts
        self._users = {"alice@acme.example": 1} if users is None else users
        self.transports = {"transport-udp": "aaaaaaaa-0000-4000-8000-0000000000d1"}

    def contexts(self, type_: str) -> list[ContextInfo]:
        return [c for c in self._contexts if c.type == type_]

    def context(self, name: str) -> ContextInfo | None:
        return next((c for c in self._contexts if c.name == name), None)

    def template_uuid(self, label: str) -> str:
        return {"global": "bbbbbbbb-0000-4000-8000-000000000001"}.get(
            label, "bbbbbbbb-0000-4000-8000-000000000002"
        )

    def transport_uuid(self, name: str) -> str:
        if name not in self.transports:
            raise PlanError(f"the Wazo has no SIP transport named {name!r}")
        return self.transports[name]

    def user_id(self, email: str) -> int:
        if email not in self._users:
            raise PlanError(f"no single user of the tenant has the email {email!r} (0 found)")
        return self._users[email]


def provider(**overrides: Any) -> Provider:
    values: dict[str, Any] = {
        "name": "acme-voipco",
        "label": "VoIPCo",
        "username": "acct123",
        "password": PASSWORD,
        "host": "sip.voipco.example",
        "outgoing": {
            "outcall": "acme-out",
            "patterns": [
                {"exten": "_NXXNXXXXXX", "external_prefix": "+1"},
                {"exten": "_1NXXNXXXXXX", "strip_digits": 1, "caller_id": "+15551230000"},
            ],
        },
        "incoming": [
            {"did": "+15551230000", "destination": {"type": "user", "user_email": "alice@acme.example"}},
            {"did": "+15551239000", "destination": {"type": "hangup", "cause": "busy"}},
        ],
    }
    values.update(overrides)
    return Provider.model_validate(values)


def build(
    *providers: Provider, directory: StaticDirectory | None = None, contexts: Contexts | None = None
) -> tuple[EchoMocks, RunResult]:
    directory = directory or StaticDirectory()
    engine = EchoMocks()

    def program() -> None:
        built: dict[str, VoipProviderInterconnect] = {}
        incall = outcall = None
        for item in providers:
            args = VoipProviderInterconnectArgs(
                tenant_uuid=TENANT,
                provider=item,
                contexts=contexts or Contexts(),
                incall_context=incall,
                outcall_context=outcall,
                other_trunk_ids={name: c.trunk_id for name, c in built.items()},
            )
            component = VoipProviderInterconnect(item.name, args, directory)
            incall, outcall = component.incall_context, component.outcall_context or outcall
            built[item.name] = component
        pulumi.export("trunks", {name: c.trunk_id for name, c in built.items()})

    result = run_program(engine, {}, program)
    return engine, result


def by_name(result: RunResult) -> dict[str, Any]:
    return {reg.name: reg for reg in result.registrations.values()}


def test_children_follow_the_seed_and_are_parented_to_the_component():
    _, result = build(provider())
    regs = by_name(result)
    component = regs["acme-voipco"]
    assert component.type == "wazo-voip:index:VoipProviderInterconnect"
    expected = {
        "acme-voipco-trunk": "Trunk",
        "acme-voipco-endpoint": "EndpointSip",
        "acme-voipco-trunk-endpoint": "TrunkEndpointSip",
        "acme-voipco-outcall": "Outcall",
        "acme-voipco-outcall-trunks": "OutcallTrunks",
        "acme-voipco-pattern-_NXXNXXXXXX": "Extension",
        "acme-voipco-pattern-_NXXNXXXXXX-outcall": "OutcallExtension",
        "acme-voipco-pattern-_1NXXNXXXXXX": "Extension",
        "acme-voipco-pattern-_1NXXNXXXXXX-outcall": "OutcallExtension",
        "acme-voipco-did-15551230000": "Extension",
        "acme-voipco-did-15551230000-incall": "Incall",
        "acme-voipco-did-15551230000-link": "IncallExtension",
        "acme-voipco-did-15551239000": "Extension",
        "acme-voipco-did-15551239000-incall": "Incall",
        "acme-voipco-did-15551239000-link": "IncallExtension",
    }
    children = {name: reg for name, reg in regs.items() if name != "acme-voipco"}
    assert {name: reg.type.rsplit(":", 1)[-1] for name, reg in children.items()} == expected
    assert all(reg.parent == component.urn for reg in children.values())
    assert all(reg.type.startswith("pulumi-python:dynamic/wazo-voip:") for reg in children.values())


def test_dependencies_are_carried_by_outputs():
    _, result = build(provider())
    regs = by_name(result)

    def deps(name: str, prop: str) -> set[str]:
        return {urn.rsplit("::", 1)[-1] for urn in regs[name].property_dependencies.get(prop, [])}

    assert deps("acme-voipco-trunk-endpoint", "trunk_id") == {"acme-voipco-trunk"}
    assert deps("acme-voipco-trunk-endpoint", "endpoint_uuid") == {"acme-voipco-endpoint"}
    assert deps("acme-voipco-outcall-trunks", "outcall_id") == {"acme-voipco-outcall"}
    assert deps("acme-voipco-outcall-trunks", "trunk_ids") == {"acme-voipco-trunk"}
    pattern = "acme-voipco-pattern-_NXXNXXXXXX"
    assert deps(f"{pattern}-outcall", "extension_id") == {pattern}
    assert deps(f"{pattern}-outcall", "outcall_id") == {"acme-voipco-outcall"}
    did = "acme-voipco-did-15551230000"
    assert deps(f"{did}-link", "incall_id") == {f"{did}-incall"}
    assert deps(f"{did}-link", "extension_id") == {did}


def test_inputs_are_what_the_seed_procedure_sends():
    engine, _ = build(provider())
    trunk = engine.inputs["acme-voipco-trunk"]
    assert trunk["context"] == INCALL.name
    assert trunk["outgoing_caller_id_format"] == "+E164"
    endpoint = engine.inputs["acme-voipco-endpoint"]
    assert endpoint["name"] == "acme-voipco"
    assert endpoint["templates"] == ["bbbbbbbb-0000-4000-8000-000000000002"]  # registration_trunk
    assert endpoint["transport_uuid"] == "aaaaaaaa-0000-4000-8000-0000000000d1"
    assert endpoint["outbound_auth_section_options"] == [["username", "acct123"], ["password", PASSWORD]]
    assert endpoint["registration_outbound_auth_section_options"] == [
        ["username", "acct123"],
        ["password", PASSWORD],
    ]
    assert endpoint["registration_section_options"] == [
        ["server_uri", "sip:sip.voipco.example"],
        ["client_uri", "sip:acct123@sip.voipco.example"],
        ["expiration", "120"],
        ["transport", "transport-udp"],
    ]
    assert endpoint["aor_section_options"] == [
        ["contact", "sip:sip.voipco.example:5060"],
        ["qualify_frequency", "60"],
    ]
    assert endpoint["identify_section_options"] == [["match", "sip.voipco.example"]]
    assert endpoint["auth_section_options"] == []
    pattern = engine.inputs["acme-voipco-pattern-_1NXXNXXXXXX-outcall"]
    assert (pattern["strip_digits"], pattern["caller_id"]) == (1, "+15551230000")
    assert engine.inputs["acme-voipco-pattern-_1NXXNXXXXXX"]["context"] == OUTCALL.name
    # did_length 10: the provider delivers, and confd compares, the last ten digits
    assert engine.inputs["acme-voipco-did-15551230000"]["exten"] == "5551230000"
    assert engine.inputs["acme-voipco-did-15551230000"]["context"] == INCALL.name
    assert engine.inputs["acme-voipco-did-15551230000-incall"]["destination"] == {
        "type": "user",
        "user_id": 1,
    }


def test_registration_off_uses_the_global_template_and_no_registration_sections():
    engine, _ = build(provider(registration={"enabled": False}, keepalive={"enabled": False}))
    endpoint = engine.inputs["acme-voipco-endpoint"]
    assert endpoint["templates"] == ["bbbbbbbb-0000-4000-8000-000000000001"]
    assert endpoint["registration_section_options"] == []
    assert endpoint["registration_outbound_auth_section_options"] == []
    assert ["qualify_frequency", "0"] in endpoint["aor_section_options"]


def test_passwords_are_secret_inputs_and_secret_outputs():
    _, result = build(provider())
    endpoint = by_name(result)["acme-voipco-endpoint"]
    assert endpoint.secret_inputs == {
        "auth_section_options",
        "outbound_auth_section_options",
        "registration_outbound_auth_section_options",
    }
    assert set(endpoint.additional_secret_outputs) >= endpoint.secret_inputs
    for name, reg in by_name(result).items():
        if name != "acme-voipco-endpoint":
            assert not reg.secret_inputs, name
    component_outputs = next(iter(result.component_outputs.values()))
    assert PASSWORD not in repr(component_outputs)
    assert set(component_outputs) == {
        "trunk_id",
        "endpoint_uuid",
        "endpoint_name",
        "outcall_id",
        "dids",
        "contexts",
    }
    assert component_outputs["contexts"] == {"incall": INCALL.name, "outcall": OUTCALL.name}
    assert set(component_outputs["dids"]) == {"+15551230000", "+15551239000"}


def test_a_backup_provider_shares_the_contexts_and_the_outcall_lists_trunks_in_order():
    backup = provider(name="acme-backup", outgoing=None, incoming=[], registration={"enabled": False})
    primary = provider(
        outgoing={
            "outcall": "acme-out",
            "trunks": ["acme-voipco", "acme-backup"],
            "patterns": [{"exten": "_NXXNXXXXXX"}],
        }
    )
    engine, result = build(backup, primary)
    regs = by_name(result)
    deps = regs["acme-voipco-outcall-trunks"].property_dependencies["trunk_ids"]
    assert {urn.rsplit("::", 1)[-1] for urn in deps} == {"acme-voipco-trunk", "acme-backup-trunk"}
    trunk_ids = engine.inputs["acme-voipco-outcall-trunks"]["trunk_ids"]
    primary_id = engine.inputs["acme-voipco-trunk"]  # inputs only; ids come from the mocks' outputs
    assert isinstance(primary_id, dict)
    assert len(trunk_ids) == 2
    assert result.stack_outputs["trunks"]["acme-voipco"] == trunk_ids[0]
    assert result.stack_outputs["trunks"]["acme-backup"] == trunk_ids[1]
    assert "acme-backup-outcall" not in regs
    assert engine.inputs["acme-backup-trunk"]["context"] == INCALL.name


def test_contexts_are_created_and_shared_when_the_tenant_has_none():
    contexts = Contexts(create=True, incall_ranges=[IncallRange(start="15551230000", end="15551239999")])
    second = provider(
        name="acme-second", outgoing=None, incoming=[{"did": "+15551230009", "destination": {"type": "none"}}]
    )
    engine, result = build(provider(), second, directory=StaticDirectory(contexts=[]), contexts=contexts)
    regs = by_name(result)
    created = {name: engine.inputs[name] for name, reg in regs.items() if reg.type.endswith(":Context")}
    assert set(created) == {"acme-voipco-incall-context", "acme-voipco-outcall-context"}
    assert created["acme-voipco-incall-context"]["incall_ranges"] == [
        {"start": "15551230000", "end": "15551239999", "did_length": 0}
    ]
    assert created["acme-voipco-outcall-context"]["type"] == "outcall"
    # did_length 0: the whole number is the exten
    assert engine.inputs["acme-voipco-did-15551230000"]["exten"] == "15551230000"
    incall_urn = regs["acme-voipco-incall-context"].urn
    assert regs["acme-second-trunk"].property_dependencies["context"] == [incall_urn]
    assert regs["acme-second-did-15551230009"].property_dependencies["context"] == [incall_urn]


@pytest.mark.parametrize(
    ("directory", "contexts", "message"),
    [
        (
            StaticDirectory(contexts=[INCALL, ContextInfo("ctx-2", "Other incall", "incall"), OUTCALL]),
            None,
            "the tenant has 2 incall contexts (ctx-acme-incall-1 (Acme incall), ctx-2 (Other incall)); "
            "name the one to use with `pulumi config set --path contexts.incall <name>`",
        ),
        (
            StaticDirectory(contexts=[OUTCALL]),
            None,
            "the tenant has no incall context, and confd creates none for a new tenant",
        ),
        (
            StaticDirectory(),
            Contexts(incall="ctx-missing"),
            "wazo-voip:contexts.incall: context 'ctx-missing' does not exist in the tenant",
        ),
        (
            StaticDirectory(),
            Contexts(incall=OUTCALL.name),
            "wazo-voip:contexts.incall: context 'ctx-acme-outcall-1' is of type 'outcall'",
        ),
        (
            StaticDirectory(users={}),
            None,
            "no single user of the tenant has the email 'alice@acme.example'",
        ),
    ],
    ids=["several-incall", "no-incall", "named-missing", "named-wrong-type", "unknown-user"],
)
def test_context_and_lookup_failures_are_clear(directory, contexts, message):
    with pytest.raises(PlanError) as raised:
        build(provider(), directory=directory, contexts=contexts)
    assert message in str(raised.value)


def test_a_did_outside_the_incall_ranges_names_the_did_and_the_ranges():
    bad = provider(incoming=[{"did": "+15559990000", "destination": {"type": "none"}}])
    with pytest.raises(PlanError) as raised:
        build(bad)
    assert str(raised.value).startswith(
        "DID +15559990000 is outside the incall ranges of context 'ctx-acme-incall-1' "
        "(15551230000-15551239999 (did_length 10))"
    )


def test_an_unknown_transport_and_a_missing_password_are_clear():
    directory = StaticDirectory()
    directory.transports = {}
    with pytest.raises(PlanError, match="no SIP transport named 'transport-udp'"):
        build(provider(), directory=directory)
    with pytest.raises(PlanError, match=r"run `pulumi config set --secret --path 'providers\[N\].password'"):
        build(provider(password=None))


def test_extra_options_may_not_override_what_the_component_manages():
    with pytest.raises(PlanError, match=r"options\.aor sets 'contact', which the component manages"):
        build(provider(options={"aor": [("contact", "sip:elsewhere.example")]}))


BASE: dict[str, Any] = {
    "url": "https://wazo.example.com",
    "tenant": TENANT,
    "providers": [
        {
            "name": "acme-voipco",
            "username": "acct123",
            "host": "sip.voipco.example",
            "outgoing": {"outcall": "acme-out", "patterns": [{"exten": "_0XXXXXXXXX"}]},
            "incoming": [{"did": "+15551230000", "destination": {"type": "none"}}],
        }
    ],
}


def with_provider(**changes: Any) -> dict[str, Any]:
    return {**BASE, "providers": [{**BASE["providers"][0], **changes}]}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({**BASE, "tenant": "acme"}, "wazo-voip:tenant: Input should be a valid UUID"),
        ({**BASE, "url": "wazo.example.com"}, "wazo-voip:url: must be an http(s) URL"),
        ({**BASE, "providers": []}, "wazo-voip:providers: List should have at least 1 item"),
        ({**BASE, "tenat": TENANT}, "wazo-voip:tenat: is not a known setting"),
        (with_provider(name="global"), "wazo-voip:providers[0].name: 'global' is a reserved"),
        (with_provider(host="sip://x"), "wazo-voip:providers[0].host: must be a hostname or an IP"),
        (with_provider(port=70000), "wazo-voip:providers[0].port: Input should be less than or equal"),
        (with_provider(match=["not a host"]), "wazo-voip:providers[0].match: 'not a host' is neither"),
        (
            with_provider(outgoing={"outcall": "o", "patterns": [{"exten": "418."}]}),
            "wazo-voip:providers[0].outgoing.patterns[0].exten: contains pattern characters but does "
            "not start with '_'",
        ),
        (
            with_provider(outgoing={"outcall": "o", "patterns": [{"exten": "_0X", "prefix": "abc"}]}),
            "wazo-voip:providers[0].outgoing.patterns[0].prefix: must be digits",
        ),
        (
            with_provider(outgoing={"outcall": "o", "patterns": [{"exten": "_0X", "strip_digits": -1}]}),
            "wazo-voip:providers[0].outgoing.patterns[0].strip_digits: Input should be greater than",
        ),
        (
            with_provider(outgoing={"outcall": "o", "trunks": ["ghost"], "patterns": [{"exten": "_0X"}]}),
            "outgoing.trunks names 'ghost', which is not a provider of this stack",
        ),
        (
            with_provider(incoming=[{"did": "+1555", "destination": {"type": "none"}}]),
            "wazo-voip:providers[0].incoming[0].did: is not an E.164 number",
        ),
        (
            with_provider(incoming=[{"did": "15551230000", "exten": "+1", "destination": {"type": "none"}}]),
            "wazo-voip:providers[0].incoming[0].exten: must be 1..40 digits",
        ),
        (
            with_provider(incoming=[{"did": "+15551230000", "destination": {"type": "hangup"}}]),
            "wazo-voip:providers[0].incoming[0].destination: cause: is required for a 'hangup'",
        ),
        (
            with_provider(incoming=[{"did": "+15551230000", "destination": {"type": "user"}}]),
            "destination: a user destination needs exactly one of user_id or user_email",
        ),
        (
            with_provider(options={"endpoint": [["not_an_option", "1"]]}),
            "wazo-voip:providers[0].options: endpoint: [0] 'not_an_option' is not a PJSIP endpoint option",
        ),
        (
            with_provider(registration={"expiration": 5}),
            "wazo-voip:providers[0].registration.expiration: Input should be greater than or equal to 60",
        ),
        (
            with_provider(outgoing_caller_id_format="E.164"),
            "wazo-voip:providers[0].outgoing_caller_id_format: Input should be '+E164', 'E164' or 'national'",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_every_kind_of_bad_config_names_its_key(values, problem):
    with pytest.raises(ConfigError) as raised:
        load_stack_config(values)
    assert any(problem in line for line in raised.value.problems), raised.value.problems


def test_config_errors_never_echo_a_secret():
    values = with_provider(password="hunter2-secret", username="bad user")
    values["password"] = "top-secret-api"
    with pytest.raises(ConfigError) as raised:
        load_stack_config({**values, "tenant": "nope"})
    assert "hunter2-secret" not in str(raised.value)
    assert "top-secret-api" not in str(raised.value)


def test_explicit_context_refs_skip_the_lookup():
    class Refusing(StaticDirectory):
        def contexts(self, type_: str) -> list[ContextInfo]:
            raise AssertionError("no lookup expected")

    refs = {
        "incall_context": ContextRef(INCALL.name, INCALL.incall_ranges),
        "outcall_context": ContextRef(OUTCALL.name),
    }
    engine = EchoMocks()

    def program() -> None:
        args = VoipProviderInterconnectArgs(tenant_uuid=TENANT, provider=provider(), **refs)
        VoipProviderInterconnect("p", args, Refusing())

    run_program(engine, {}, program)
    assert engine.inputs["p-trunk"]["context"] == INCALL.name


def test_the_program_stops_before_any_resource_on_bad_config_naming_the_key():
    from tests.support.engine import run_main_program

    engine = EchoMocks()
    config = {
        "wazo-voip:url": "https://wazo.example.com",
        "wazo-voip:tenant": TENANT,
        "wazo-voip:providers": [{"name": "p", "username": "u", "host": "h", "port": 0}],
    }
    with pytest.raises(pulumi.RunError) as raised:
        run_program(engine, config, run_main_program)
    assert str(raised.value) == (
        "the stack cannot be deployed:\n"
        "wazo-voip:providers[0].port: Input should be greater than or equal to 1"
    )
    assert engine.inputs == {}
