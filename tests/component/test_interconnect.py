"""VoipProviderInterconnect under pulumi.runtime mocks: children, parents, dependencies, secrets, errors."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from providers.interconnect import declare_stack
from providers.model import ConfigError, Contexts, IncallRange, Provider, StackConfig, load_stack_config
from providers.plan import ContextInfo, PlanError, plan_stack
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
    """The stack of these providers planned against `directory`, then declared under mocks."""
    config = StackConfig(
        url="https://wazo.example.com",
        tenant=TENANT,
        providers=list(providers),
        contexts=contexts or Contexts(),
    )
    plan = plan_stack(config, directory or StaticDirectory())
    engine = EchoMocks()

    def program() -> None:
        declared = declare_stack(plan)
        pulumi.export("trunks", {name: c.trunk_id for name, c in declared.trunks.items()})

    result = run_program(engine, {}, program)
    return engine, result


def by_name(result: RunResult) -> dict[str, Any]:
    return {reg.name: reg for reg in result.registrations.values()}


def test_trunks_are_components_and_the_tenants_calls_are_children_of_the_stack():
    _, result = build(provider())
    regs = by_name(result)
    component = regs["acme-voipco"]
    assert component.type == "wazo-voip:index:VoipProviderInterconnect"
    in_component = {
        "acme-voipco-trunk": "Trunk",
        "acme-voipco-endpoint": "EndpointSip",
        "acme-voipco-trunk-endpoint": "TrunkEndpointSip",
    }
    of_the_tenant = {
        "outcall-acme-out": "Outcall",
        "outcall-acme-out-trunks": "OutcallTrunks",
        "pattern-_NXXNXXXXXX": "Extension",
        "pattern-_NXXNXXXXXX-outcall": "OutcallExtension",
        "pattern-_1NXXNXXXXXX": "Extension",
        "pattern-_1NXXNXXXXXX-outcall": "OutcallExtension",
        "did-5551230000": "Extension",
        "did-5551230000-incall": "Incall",
        "did-5551230000-link": "IncallExtension",
        "did-5551239000": "Extension",
        "did-5551239000-incall": "Incall",
        "did-5551239000-link": "IncallExtension",
    }
    children = {name: reg for name, reg in regs.items() if name != "acme-voipco"}
    assert {name: reg.type.rsplit(":", 1)[-1] for name, reg in children.items()} == {
        **in_component,
        **of_the_tenant,
    }
    assert {name for name, reg in children.items() if reg.parent == component.urn} == set(in_component)
    stack_urn = {reg.parent for name, reg in children.items() if name in of_the_tenant}
    assert len(stack_urn) == 1
    assert stack_urn.pop().endswith("::pulumi:pulumi:Stack::wazo-voip-dev")
    assert all(reg.type.startswith("pulumi-python:dynamic/wazo-voip:") for reg in children.values())


def test_each_resource_outside_a_trunk_lists_its_first_layout_name_under_its_provider():
    _, result = build(provider())
    regs = by_name(result)
    component = regs["acme-voipco"].urn
    assert regs["acme-voipco-trunk"].aliases == []
    expected = {
        "outcall-acme-out": "acme-voipco-outcall",
        "outcall-acme-out-trunks": "acme-voipco-outcall-trunks",
        "pattern-_NXXNXXXXXX": "acme-voipco-pattern-_NXXNXXXXXX",
        "pattern-_NXXNXXXXXX-outcall": "acme-voipco-pattern-_NXXNXXXXXX-outcall",
        "did-5551230000": "acme-voipco-did-15551230000",
        "did-5551230000-incall": "acme-voipco-did-15551230000-incall",
        "did-5551230000-link": "acme-voipco-did-15551230000-link",
    }
    for name, former in expected.items():
        qualified = regs[name].type
        assert regs[name].aliases == [
            component.replace("::wazo-voip:index:VoipProviderInterconnect::acme-voipco", "")
            + f"::wazo-voip:index:VoipProviderInterconnect${qualified}::{former}"
        ], name


def test_dependencies_are_carried_by_outputs():
    _, result = build(provider())
    regs = by_name(result)

    def deps(name: str, prop: str) -> set[str]:
        return {urn.rsplit("::", 1)[-1] for urn in regs[name].property_dependencies.get(prop, [])}

    assert deps("acme-voipco-trunk-endpoint", "trunk_id") == {"acme-voipco-trunk"}
    assert deps("acme-voipco-trunk-endpoint", "endpoint_uuid") == {"acme-voipco-endpoint"}
    assert deps("outcall-acme-out-trunks", "outcall_id") == {"outcall-acme-out"}
    assert deps("outcall-acme-out-trunks", "trunk_ids") == {"acme-voipco-trunk"}
    pattern = "pattern-_NXXNXXXXXX"
    assert deps(f"{pattern}-outcall", "extension_id") == {pattern}
    assert deps(f"{pattern}-outcall", "outcall_id") == {"outcall-acme-out"}
    did = "did-5551230000"
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
    pattern = engine.inputs["pattern-_1NXXNXXXXXX-outcall"]
    assert (pattern["strip_digits"], pattern["caller_id"]) == (1, "+15551230000")
    assert engine.inputs["pattern-_1NXXNXXXXXX"]["context"] == OUTCALL.name
    # did_length 10: the provider delivers, and confd compares, the last ten digits
    assert engine.inputs["did-5551230000"]["exten"] == "5551230000"
    assert engine.inputs["did-5551230000"]["context"] == INCALL.name
    assert engine.inputs["did-5551230000-incall"]["destination"] == {"type": "user", "user_id": 1}


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
    (component_outputs,) = result.component_outputs.values()
    assert PASSWORD not in repr(component_outputs)
    assert set(component_outputs) == {"trunk_id", "endpoint_uuid", "endpoint_name"}
    assert component_outputs["endpoint_name"] == "acme-voipco"


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
    deps = regs["outcall-acme-out-trunks"].property_dependencies["trunk_ids"]
    assert {urn.rsplit("::", 1)[-1] for urn in deps} == {"acme-voipco-trunk", "acme-backup-trunk"}
    trunk_ids = engine.inputs["outcall-acme-out-trunks"]["trunk_ids"]
    assert trunk_ids == [
        result.stack_outputs["trunks"]["acme-voipco"],
        result.stack_outputs["trunks"]["acme-backup"],
    ]
    assert trunk_ids[0] != trunk_ids[1]
    assert [name for name, reg in regs.items() if reg.type.endswith(":Outcall")] == ["outcall-acme-out"]
    assert engine.inputs["acme-backup-trunk"]["context"] == INCALL.name


def test_two_outcalls_may_each_list_the_others_trunk():
    # the first layout refused this as a cycle: its outcalls lived inside the trunks' components
    first = provider(
        outgoing={"outcall": "out-a", "trunks": ["acme-voipco", "acme-b"], "patterns": [{"exten": "_0X."}]}
    )
    second = provider(
        name="acme-b",
        incoming=[],
        outgoing={"outcall": "out-b", "trunks": ["acme-b", "acme-voipco"], "patterns": [{"exten": "_9X."}]},
    )
    engine, result = build(first, second)
    trunks = result.stack_outputs["trunks"]
    assert engine.inputs["outcall-out-a-trunks"]["trunk_ids"] == [trunks["acme-voipco"], trunks["acme-b"]]
    assert engine.inputs["outcall-out-b-trunks"]["trunk_ids"] == [trunks["acme-b"], trunks["acme-voipco"]]


def test_contexts_are_created_and_shared_when_the_stack_creates_them():
    contexts = Contexts(create=True, incall_ranges=[IncallRange(start="15551230000", end="15551239999")])
    second = provider(
        name="acme-second", outgoing=None, incoming=[{"did": "+15551230009", "destination": {"type": "none"}}]
    )
    engine, result = build(provider(), second, directory=StaticDirectory(contexts=[]), contexts=contexts)
    regs = by_name(result)
    created = {name: engine.inputs[name] for name, reg in regs.items() if reg.type.endswith(":Context")}
    assert set(created) == {"incall-context", "outcall-context"}
    assert created["incall-context"]["incall_ranges"] == [
        {"start": "15551230000", "end": "15551239999", "did_length": 0}
    ]
    assert created["outcall-context"]["type"] == "outcall"
    # did_length 0: the whole number is the exten
    assert engine.inputs["did-15551230000"]["exten"] == "15551230000"
    incall_urn = regs["incall-context"].urn
    assert regs["acme-second-trunk"].property_dependencies["context"] == [incall_urn]
    assert regs["did-15551230009"].property_dependencies["context"] == [incall_urn]
    assert regs["pattern-_NXXNXXXXXX"].property_dependencies["context"] == [regs["outcall-context"].urn]


def test_created_contexts_are_declared_even_when_the_tenant_has_contexts_of_their_type():
    # on the second run the tenant holds the contexts the first run created: the stack keeps them
    contexts = Contexts(create=True, incall_ranges=[IncallRange(start="15551230000", end="15551239999")])

    class Refusing(StaticDirectory):
        def contexts(self, type_: str) -> list[ContextInfo]:
            raise AssertionError("a stack that creates its contexts never looks them up")

    _, result = build(provider(), directory=Refusing(), contexts=contexts)
    assert {n for n, r in by_name(result).items() if r.type.endswith(":Context")} == {
        "incall-context",
        "outcall-context",
    }


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
            "wazo-voip:providers[0].incoming[0].destination: no single user of the tenant has the email "
            "'alice@acme.example'",
        ),
    ],
    ids=["several-incall", "no-incall", "named-missing", "named-wrong-type", "unknown-user"],
)
def test_context_and_lookup_failures_are_clear(directory, contexts, message):
    with pytest.raises(PlanError) as raised:
        build(provider(), directory=directory, contexts=contexts)
    assert message in str(raised.value)


def test_a_did_outside_the_incall_ranges_names_its_key_the_did_and_the_ranges():
    bad = provider(incoming=[{"did": "+15559990000", "destination": {"type": "none"}}])
    with pytest.raises(PlanError) as raised:
        build(bad)
    assert raised.value.problems == [
        "wazo-voip:providers[0].incoming[0].did: DID +15559990000 is outside the incall ranges of context "
        "'ctx-acme-incall-1' (15551230000-15551239999 (did_length 10)); confd would accept it at creation "
        "but refuse every later update of that extension. Add a range to the context or fix the DID"
    ]


def test_an_unknown_transport_and_a_missing_password_are_clear():
    directory = StaticDirectory()
    directory.transports = {}
    with pytest.raises(
        PlanError, match=r"providers\[0\].transport: the Wazo has no SIP transport named 'transport-udp'"
    ):
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


def test_named_contexts_skip_the_lookup_by_type():
    class Refusing(StaticDirectory):
        def contexts(self, type_: str) -> list[ContextInfo]:
            raise AssertionError("no lookup expected")

    engine, _ = build(
        provider(), directory=Refusing(), contexts=Contexts(incall=INCALL.name, outcall=OUTCALL.name)
    )
    assert engine.inputs["acme-voipco-trunk"]["context"] == INCALL.name
    assert engine.inputs["pattern-_NXXNXXXXXX"]["context"] == OUTCALL.name


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


def test_a_did_the_cli_stored_as_a_number_is_taken_as_its_digits():
    # `pulumi config set --path 'providers[0].incoming[0].did' +15551230000` stores 15551230000
    values = with_provider(
        incoming=[{"did": 15551230000, "exten": 5551230000, "destination": {"type": "none"}}]
    )
    (did,) = load_stack_config(values).providers[0].incoming
    assert (did.did, did.digits, did.exten) == ("15551230000", "15551230000", "5551230000")
    # the same exten as the E.164 form: the same DID in the incall context
    engine, _ = build(provider(incoming=[{"did": 15551230000, "destination": {"type": "none"}}]))
    assert engine.inputs["did-5551230000"]["exten"] == "5551230000"


@pytest.mark.parametrize(
    ("values", "key", "command"),
    [
        (
            with_provider(
                outgoing={"outcall": "o", "patterns": [{"exten": "_0X", "caller_id": 15551230000}]}
            ),
            "wazo-voip:providers[0].outgoing.patterns[0].caller_id",
            "pulumi config set --type string --path 'providers[0].outgoing.patterns[0].caller_id' <value>",
        ),
        (
            with_provider(username=140000000),
            "wazo-voip:providers[0].username",
            "pulumi config set --type string --path 'providers[0].username' <value>",
        ),
        (
            with_provider(password=987654321),
            "wazo-voip:providers[0].password",
            "pulumi config set --secret --type string --path 'providers[0].password' <value>",
        ),
    ],
    ids=["caller-id", "username", "password"],
)
def test_any_other_string_the_cli_stored_as_a_number_asks_for_type_string(values, key, command):
    with pytest.raises(ConfigError) as raised:
        load_stack_config(values)
    (line,) = raised.value.problems
    assert line.startswith(f"{key}: is a number, not a string")
    assert line.endswith(f"`{command}`")
    assert "15551230000" not in line
    assert "987654321" not in line
