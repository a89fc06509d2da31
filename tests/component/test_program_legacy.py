"""The whole program on a Wazo 20.12 (chan_sip API), through the engine double, and its upgrade.

The same acme-dev stack file as test_program.py, against `python -m sandbox --api 20.12`: the
program asks the server which API it speaks and declares the chan_sip objects of the seed
procedure; a second run changes nothing; an empty program removes everything it made. Then the
server is upgraded (the same state restarted as 26.08, migrated as Wazo 20.13 did): refresh finds
the chan_sip objects gone, and the next run declares their PJSIP form, taking over the endpoint
the migration made.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sandbox import seed
from tests.component.test_program import PASSWORDS, Tenant, acme_dev_config
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

PREFIX = "pulumi-python:dynamic/wazo-voip:"
INCALL = seed.CONTEXTS[("acme", "incall")].legacy_name
OUTCALL = seed.CONTEXTS[("acme", "outcall")].legacy_name
DEFAULTS = Counter({("amaflags", "default"): 1, ("call-limit", "10"): 1, ("subscribemwi", "no"): 1})


def options(endpoint: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter((key, value) for key, value in endpoint["options"])


def kinds(operations: list[tuple[str, str]]) -> Counter[str]:
    return Counter(key.removeprefix(PREFIX).split("::")[0] for _, key in operations)


@pytest.fixture
def legacy_tenant(clean_legacy_sandbox: SandboxProcess) -> Tenant:
    return Tenant(clean_legacy_sandbox)


def test_acme_dev_on_20_12_builds_the_seed_procedures_objects(clean_legacy_sandbox, legacy_tenant):
    before = legacy_tenant.snapshot()
    engine = EngineDouble(acme_dev_config(clean_legacy_sandbox))
    result = engine.run(stack="acme-dev")

    assert kinds(result.operations) == {
        "Trunk": 2,
        "EndpointSipLegacy": 2,
        "TrunkEndpointSipLegacy": 2,
        "RegisterSip": 1,  # acme-backupco does not register
        "TrunkRegisterSip": 1,
        "Outcall": 1,
        "OutcallTrunks": 1,
        "Extension": 3 + 5,
        "OutcallExtension": 3,
        "Incall": 5,
        "IncallExtension": 5,
    }
    trunks = {t["endpoint_sip"]["name"]: t for t in legacy_tenant.items("/trunks")}
    assert set(trunks) == {"acme-voipco", "acme-backupco"}
    assert {t["context"] for t in trunks.values()} == {INCALL}
    assert all("outgoing_caller_id_format" not in t for t in trunks.values())

    # step 1 as the seed writes it: a peer with the account and the provider's host ...
    voipco = legacy_tenant.one(f"/endpoints/sip/{trunks['acme-voipco']['endpoint_sip']['id']}")
    assert (voipco["username"], voipco["secret"], voipco["type"], voipco["host"]) == (
        "acme-voipco-1234",
        PASSWORDS["acme-voipco"],
        "peer",
        "sip.voipco.example",
    )
    # ... qualify for the NAT keepalive, no challenge of the provider's calls, the stack's endpoint
    # options in chan_sip words (dtmf_mode rfc4733 is dtmfmode rfc2833)
    assert options(voipco) == DEFAULTS + Counter(
        {
            ("insecure", "port,invite"): 1,
            ("qualify", "yes"): 1,
            ("qualifyfreq", "60"): 1,
            ("dtmfmode", "rfc2833"): 1,
            ("allow", "!all,ulaw,alaw"): 1,
        }
    )
    # ... and a register line on the trunk
    register = legacy_tenant.one(f"/registers/sip/{trunks['acme-voipco']['register_sip']['id']}")
    assert {
        k: register[k] for k in ("transport", "sip_username", "auth_username", "remote_host", "expiration")
    } == {
        "transport": "transport-udp",
        "sip_username": "acme-voipco-1234",
        "auth_username": "acme-voipco-1234",
        "remote_host": "sip.voipco.example",
        "expiration": 120,
    }
    assert register["auth_password"] == PASSWORDS["acme-voipco"]
    assert register["trunk"]["id"] == trunks["acme-voipco"]["id"]
    backup = legacy_tenant.one(f"/endpoints/sip/{trunks['acme-backupco']['endpoint_sip']['id']}")
    assert options(backup) == DEFAULTS + Counter(
        {("insecure", "port,invite"): 1, ("qualify", "yes"): 1, ("qualifyfreq", "30"): 1, ("port", "5080"): 1}
    )
    assert trunks["acme-backupco"]["register_sip"] is None

    # steps 2 and 3 are the same objects as on a current Wazo
    (outcall,) = legacy_tenant.items("/outcalls")
    assert [t["id"] for t in outcall["trunks"]] == [
        trunks["acme-voipco"]["id"],
        trunks["acme-backupco"]["id"],
    ]
    assert {e["exten"] for e in outcall["extensions"]} == {"_NXXNXXXXXX", "_1NXXNXXXXXX", "_011."}
    assert {e["context"] for e in outcall["extensions"]} == {OUTCALL}
    routes = {i["extensions"][0]["exten"]: i for i in legacy_tenant.items("/incalls")}
    assert set(routes) == {"5551230000", "5551230001", "5551230002", "5551239000", "5551239001"}
    after = legacy_tenant.snapshot()
    assert after["contexts"] == before["contexts"]

    # a second run changes nothing; an empty program takes everything away again
    seq = clean_legacy_sandbox.last_seq()
    assert engine.run(stack="acme-dev").operations == []
    writes = [r for r in clean_legacy_sandbox.requests(since=seq) if r["method"] != "GET"]
    assert [w["path"] for w in writes if "/api/auth/" not in w["path"]] == []
    engine.run(lambda: None, stack="acme-dev")
    assert legacy_tenant.snapshot() == before
    assert legacy_tenant.items("/registers/sip") == []


def test_settings_20_12_cannot_express_are_refused_before_any_write(clean_legacy_sandbox):
    config = acme_dev_config(clean_legacy_sandbox)
    voipco = config["wazo-voip:providers"][0]
    voipco["match"] = ["sip.voipco.example", "203.0.113.0/28"]
    voipco["outgoing_caller_id_format"] = "national"
    voipco["options"]["identify"] = [["match_header", "X-Provider: voipco"]]
    seq = clean_legacy_sandbox.last_seq()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the program's own RunError, checked below
        EngineDouble(config).run(stack="acme-dev")
    text = str(caught.value)
    assert "on Wazo 20.12, chan_sip API (/registers/sip)" in text
    assert "providers 'acme-voipco': match 203.0.113.0/28 has no equivalent" in text
    assert "outgoing_caller_id_format 'national' has no equivalent" in text
    assert "options.identify has no equivalent" in text
    assert PASSWORDS["acme-voipco"] not in text
    confd = [r for r in clean_legacy_sandbox.requests(since=seq) if r["path"].startswith("/api/confd")]
    assert confd
    assert {r["method"] for r in confd} == {"GET"}


def test_a_server_of_unknown_generation_is_refused_with_its_version(clean_sandbox):
    """Neither API on confd's spec path: the program stops before declaring anything."""
    clean_sandbox.fault(path="/api/confd/1.1/api/api.yml", status=200, times=1)
    seq = clean_sandbox.last_seq()
    engine = EngineDouble(acme_dev_config(clean_sandbox))
    with pytest.raises(Exception, match=r"reports wazo_version '26\.08' and its confd serves neither"):
        engine.run(stack="acme-dev")
    assert engine.result.operations == []
    assert [r["method"] for r in clean_sandbox.requests(since=seq) if r["path"].startswith("/api/confd")] == [
        "GET",
        "GET",
    ]


@pytest.fixture
def upgrade(tmp_path: Path):
    """A sandbox of its own, on a state file that outlives a restart."""
    sandbox = SandboxProcess(tmp_path / "state.db").start("--api", "20.12")
    yield sandbox
    sandbox.stop()


def test_upgrading_the_wazo_to_pjsip(upgrade):
    sandbox = upgrade
    engine = EngineDouble(acme_dev_config(sandbox))
    engine.run(stack="acme-dev")
    trunk_ids = sorted(t["id"] for t in Tenant(sandbox).items("/trunks"))
    outcall_id = Tenant(sandbox).items("/outcalls")[0]["id"]

    sandbox.restart("--api", "26.08")
    tenant = Tenant(sandbox)

    # refresh: the chan_sip objects are gone (their PJSIP form is the migrated endpoint); the rest
    # reads back unchanged
    report = engine.refresh()
    assert kinds([(op, key) for op, key in report if op == "gone"]) == {
        "EndpointSipLegacy": 2,
        "TrunkEndpointSipLegacy": 2,
        "RegisterSip": 1,
        "TrunkRegisterSip": 1,
    }
    assert [key for op, key in report if op == "changed"] == []

    # up: the PJSIP endpoints and links are declared; the endpoints the migration made are taken
    # over (same names, already on these trunks) and brought to the stack's settings
    seq = sandbox.last_seq()
    result = engine.run(stack="acme-dev")
    assert sorted(result.operations) == sorted(
        [
            ("create", f"{PREFIX}EndpointSip::acme-voipco-endpoint"),
            ("create", f"{PREFIX}TrunkEndpointSip::acme-voipco-trunk-endpoint"),
            ("create", f"{PREFIX}EndpointSip::acme-backupco-endpoint"),
            ("create", f"{PREFIX}TrunkEndpointSip::acme-backupco-trunk-endpoint"),
        ]
    )
    writes = Counter(
        (r["method"], r["path"].split("/api/confd/1.1")[-1].split("/")[1])
        for r in sandbox.requests(since=seq)
        if r["method"] != "GET" and r["path"].startswith("/api/confd")
    )
    # the look before each POST finds the migrated endpoint on the resource's own trunk: no POST,
    # the takeover's PUT (verified by a GET), and the links (already there: no-ops)
    assert writes == {("PUT", "endpoints"): 2, ("PUT", "trunks"): 2}
    assert sorted(t["id"] for t in tenant.items("/trunks")) == trunk_ids
    assert tenant.items("/outcalls")[0]["id"] == outcall_id
    voipco = next(e for e in tenant.items("/endpoints/sip") if e["name"] == "acme-voipco")
    assert voipco["label"] == "VoIPCo (primary)"
    assert [t["label"] for t in voipco["templates"]] == ["registration_trunk"]
    assert ["match", "sip.voipco.example"] in voipco["identify_section_options"]
    assert ["contact", "sip:sip.voipco.example:5060"] in voipco["aor_section_options"]
    assert voipco["auth_section_options"] == []

    # and then the stack is a PJSIP stack like any other
    assert engine.run(stack="acme-dev").operations == []
    config = copy.deepcopy(engine.config)
    config["wazo-voip:providers"][0]["keepalive"] = {"frequency": 45}
    engine.config = config
    assert engine.run(stack="acme-dev").operations == [
        ("update", f"{PREFIX}EndpointSip::acme-voipco-endpoint")
    ]


def seed_stack(sandbox: SandboxProcess) -> dict[str, Any]:
    """The seed procedure's provider, written as a stack (one provider, its pattern, its number)."""
    return {
        "wazo-voip:url": sandbox.url,
        "wazo-voip:tenant": seed.ACME_TENANT,
        "wazo-voip:username": "acme-admin",
        "wazo-voip:password": "acme-secret",
        "wazo-voip:providers": [
            {
                "name": "acct123",
                "username": "acct123",
                "password": "pa55word",
                "host": "voip.provider.example.com",
                "outgoing": {"outcall": "provider-out", "patterns": [{"exten": "_418."}]},
                "incoming": [{"did": "+15551234567", "destination": {"type": "user", "user_id": 1}}],
            }
        ],
    }


def replay_the_seed(tenant: Tenant) -> None:
    """The seed's requests as tests/sandbox/test_legacy_seed_procedure.py shows they work at 20.12."""
    http = tenant.http

    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = http.post(path, json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def put(path: str, body: Any = None) -> None:
        response = http.put(path, json=body) if body is not None else http.put(path)
        assert response.status_code == 204, response.text

    trunk = created("/trunks", {"context": INCALL})
    peer = created(
        "/endpoints/sip",
        {"username": "acct123", "secret": "pa55word", "type": "peer", "host": "voip.provider.example.com"},
    )
    put(f"/trunks/{trunk['id']}/endpoints/sip/{peer['id']}")
    register = created(
        "/registers/sip",
        {
            "sip_username": "acct123",
            "auth_username": "acct123",
            "auth_password": "pa55word",
            "transport": "transport-udp",
            "remote_host": "voip.provider.example.com",
        },
    )
    put(f"/trunks/{trunk['id']}/registers/sip/{register['id']}")
    put(f"/endpoints/sip/{peer['id']}", {"options": [["qualify", "yes"], ["qualifyfreq", "60"]]})
    outcall = created("/outcalls", {"name": "provider-out"})
    put(f"/outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    pattern = created("/extensions", {"exten": "418.", "context": OUTCALL})
    put(f"/outcalls/{outcall['id']}/extensions/{pattern['id']}")
    did = created("/extensions", {"exten": "5551234567", "context": INCALL})
    incall = created("/incalls", {"destination": {"type": "user", "user_id": 1}})
    put(f"/incalls/{incall['id']}/extensions/{did['id']}")


def objects(tenant: Tenant) -> dict[str, Any]:
    """What an operator compares: each object's own fields, without ids."""
    (trunk,) = tenant.items("/trunks")
    peer = tenant.one(f"/endpoints/sip/{trunk['endpoint_sip']['id']}")
    register = tenant.one(f"/registers/sip/{trunk['register_sip']['id']}")
    (outcall,) = tenant.items("/outcalls")
    (incall,) = tenant.items("/incalls")
    return {
        "trunk": {"context": trunk["context"], "outcalls": [o["name"] for o in trunk["outcalls"]]},
        "peer": {
            **{key: peer[key] for key in ("name", "username", "secret", "type", "host")},
            "options": sorted(map(tuple, peer["options"])),
        },
        "register": {key: value for key, value in register.items() if key not in ("id", "links", "trunk")},
        "patterns": sorted((e["exten"], e["strip_digits"]) for e in outcall["extensions"]),
        "incall": ([e["exten"] for e in incall["extensions"]], incall["destination"]["user_id"]),
    }


def test_the_stack_builds_what_the_seed_procedure_builds(clean_legacy_sandbox):
    """The same provider, by the seed's requests and by the product: the same objects, but for
    what the product does on purpose (each difference below says why)."""
    tenant = Tenant(clean_legacy_sandbox)
    EngineDouble(seed_stack(clean_legacy_sandbox)).run(stack="seed")
    product = objects(tenant)
    clean_legacy_sandbox.reset()
    replay_the_seed(tenant)
    procedure = objects(tenant)

    # the register: the product always says how long a registration lasts (120 s, what a register
    # line without expiry means to the 20.13 migration too)
    assert product["register"] == {**procedure["register"], "expiration": 120}
    # the peer: the product adds insecure=port,invite so that the provider's calls are not
    # challenged (its PJSIP form has no inbound auth section either)
    assert product["peer"] == {
        **procedure["peer"],
        "options": sorted([*procedure["peer"]["options"], ("insecure", "port,invite")]),
    }
    # the pattern: the page's "418." is a number to Asterisk, the product writes the pattern "_418."
    # and says how many digits to strip (0) where the page leaves it unset
    assert procedure["patterns"] == [("418.", None)]
    assert product["patterns"] == [("_418.", 0)]
    # the trunk, its outcall and the incoming number are the same
    assert (product["trunk"], product["incall"]) == (procedure["trunk"], procedure["incall"])


def test_up_without_refresh_after_the_upgrade_gets_there_too(upgrade):
    """The chan_sip objects are then deleted by `up` itself: each delete finds nothing (404)."""
    sandbox = upgrade
    engine = EngineDouble(acme_dev_config(sandbox))
    engine.run(stack="acme-dev")
    sandbox.restart("--api", "26.08")
    result = engine.run(stack="acme-dev")
    assert kinds([(op, key) for op, key in result.operations if op == "delete"]) == {
        "EndpointSipLegacy": 2,
        "TrunkEndpointSipLegacy": 2,
        "RegisterSip": 1,
        "TrunkRegisterSip": 1,
    }
    assert kinds([(op, key) for op, key in result.operations if op == "create"]) == {
        "EndpointSip": 2,
        "TrunkEndpointSip": 2,
    }
    tenant = Tenant(sandbox)
    assert sorted(e["name"] for e in tenant.items("/endpoints/sip")) == ["acme-backupco", "acme-voipco"]
    assert all(t["endpoint_sip"] is not None for t in tenant.items("/trunks"))
    assert engine.run(stack="acme-dev").operations == []
