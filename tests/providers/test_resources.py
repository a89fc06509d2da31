"""The resource classes under the SDK: type names, secret outputs, and whole runs through a real provider."""

from __future__ import annotations

import pytest

from providers.confd import configure
from providers.confd.auth import forget_tokens
from providers.context import Context
from providers.endpoint_sip import EndpointSip
from providers.extension import Extension
from providers.incall import Incall
from providers.incall_extension import IncallExtension
from providers.outcall import Outcall
from providers.outcall_extension import OutcallExtension
from providers.outcall_trunk import OutcallTrunks
from providers.trunk import Trunk
from providers.trunk_endpoint import TrunkEndpointSip
from tests.providers.support import (
    ACME,
    INCALL_CTX,
    OUTCALL_CTX,
    SIP_PASSWORD,
    TOKEN_PATH,
    endpoint_inputs,
    writes,
)
from tests.support.engine import EchoMocks, EngineDouble, run_program

AUTH_SECTIONS = [
    "auth_section_options",
    "outbound_auth_section_options",
    "registration_outbound_auth_section_options",
]


def program(description: str = "to the provider", with_everything: bool = True) -> None:
    if not with_everything:
        return
    endpoint_args = {k: v for k, v in endpoint_inputs().items() if k != "tenant_uuid"}
    Context("extra", tenant_uuid=ACME, label="Acme extra", type="outcall")
    trunk = Trunk("trunk", tenant_uuid=ACME, context=INCALL_CTX)
    endpoint = EndpointSip("endpoint", tenant_uuid=ACME, **endpoint_args)
    TrunkEndpointSip("link", tenant_uuid=ACME, trunk_id=trunk.trunk_id, endpoint_uuid=endpoint.uuid)
    outcall = Outcall("outcall", tenant_uuid=ACME, name="acme-out", description=description)
    OutcallTrunks("routes", tenant_uuid=ACME, outcall_id=outcall.outcall_id, trunk_ids=[trunk.trunk_id])
    pattern = Extension("pattern", tenant_uuid=ACME, exten="_0XXXXXXXXX", context=OUTCALL_CTX)
    OutcallExtension(
        "dial",
        tenant_uuid=ACME,
        outcall_id=outcall.outcall_id,
        extension_id=pattern.extension_id,
        strip_digits=1,
        external_prefix="+33",
    )
    did = Extension("did", tenant_uuid=ACME, exten="15551230001", context=INCALL_CTX)
    incall = Incall(
        "incall", tenant_uuid=ACME, destination={"type": "user", "user_id": 1}, caller_id_mode="prepend"
    )
    IncallExtension("did-link", tenant_uuid=ACME, incall_id=incall.incall_id, extension_id=did.extension_id)


def test_every_resource_registers_with_its_type_and_the_endpoint_hides_its_passwords():
    mocks = EchoMocks()
    result = run_program(mocks, {}, program)
    types = sorted({r.type for r in result.registrations.values()})
    assert types == sorted(
        f"pulumi-python:dynamic/wazo-voip:{name}"
        for name in (
            "Context",
            "Trunk",
            "EndpointSip",
            "TrunkEndpointSip",
            "Outcall",
            "OutcallTrunks",
            "Extension",
            "OutcallExtension",
            "Incall",
            "IncallExtension",
        )
    )
    endpoint = next(r for r in result.registrations.values() if r.name == "endpoint")
    assert sorted(endpoint.additional_secret_outputs) == AUTH_SECTIONS
    others = [r for r in result.registrations.values() if r.name != "endpoint"]
    assert all(r.additional_secret_outputs == [] for r in others)
    # numbers cross the wire as floats: the provider must still build "/trunks/2", not "/trunks/2.0"
    assert isinstance(mocks.inputs["link"]["trunk_id"], float)


@pytest.fixture
def engine(acme):
    config = {
        "wazo-voip:url": acme.url,
        "wazo-voip:username": "acme-admin",
        "wazo-voip:password": "acme-secret",
    }
    forget_tokens()
    yield EngineDouble(config)
    configure(None)
    forget_tokens()


def test_whole_runs_are_economical_and_quiet_when_nothing_changed(acme, admin, engine):
    seq = acme.last_seq()
    first = engine.run(lambda: program())
    assert len(first.operations) == 11
    log = writes(acme.requests(since=seq))
    assert log.count(("POST", TOKEN_PATH)) == 1  # one token for the whole run
    assert log[0] == ("POST", TOKEN_PATH)
    # one write per resource; each of the 7 objects is looked up once before its POST (what
    # proves, after a lost answer, which object the POST made), and nothing is read back
    assert [m for m, _ in log[1:]].count("GET") == 7
    assert len(log) == 1 + 7 + 11

    # the endpoint's passwords are in its outputs (secret through additional_secret_outputs)
    endpoint = next(r for r in engine.state.values() if r.name == "endpoint")
    assert ["password", SIP_PASSWORD] in endpoint.outputs["outbound_auth_section_options"]

    seq = acme.last_seq()
    again = engine.run(lambda: program())
    assert again.operations == []
    assert acme.requests(since=seq) == []  # check and diff send nothing

    seq = acme.last_seq()
    changed = engine.run(lambda: program(description="changed"))
    assert changed.operations == [("update", "pulumi-python:dynamic/wazo-voip:Outcall::outcall")]
    assert [m for m, _ in writes(acme.requests(since=seq))] == ["PUT", "GET"]  # the GET verifies the PUT

    seq = acme.last_seq()
    engine.run(lambda: program(with_everything=False))
    deletes = writes(acme.requests(since=seq))
    assert len(deletes) == 11
    assert {method for method, _ in deletes} == {"DELETE", "PUT"}  # PUT: the outcall's trunk list emptied
    assert admin.count("/trunks") == 0
    assert admin.count("/endpoints/sip") == 0
    assert admin.count("/outcalls") == 0
    assert admin.count("/incalls") == 0
    assert admin.count("/extensions") == 0
