"""The whole program (__main__.py) run through the real providers against the sandbox.

A test double of the engine (tests/support/engine.py) unpickles each resource's provider and calls
check and create (then diff, update, delete on a second run) in dependency order, as `pulumi up`
does. The tenant is then read back through confd's API.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pulumi
import pytest
import yaml

from sandbox import seed
from tests.support.engine import EngineDouble, RunResult
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
ACME = seed.ACME_TENANT
PASSWORDS = {"acme-voipco": "voipco-Pa55word", "acme-backupco": "backup-Pa55word"}


def acme_dev_config(sandbox: SandboxProcess) -> dict[str, Any]:
    """stacks/Pulumi.acme-dev.yaml pointed at this sandbox, with the secrets the CLI would hold."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-dev.yaml").read_text())["config"]
    config["wazo-voip:url"] = sandbox.url
    config["wazo-voip:password"] = "acme-secret"
    for provider in config["wazo-voip:providers"]:
        provider["password"] = PASSWORDS[provider["name"]]
    return config


class Tenant:
    """Reads the acme tenant back through confd, as an operator would."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        token = sandbox.token("acme-admin", "acme-secret")
        self.http = httpx.Client(
            base_url=sandbox.confd_url,
            headers={"X-Auth-Token": token, "Wazo-Tenant": ACME},
            timeout=10,
        )

    def items(self, path: str, **params: Any) -> list[dict[str, Any]]:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def one(self, path: str) -> dict[str, Any]:
        response = self.http.get(path)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def context(self, type_: str) -> str:
        (context,) = self.items("/contexts", type=type_)
        return str(context["name"])

    def snapshot(self) -> dict[str, list[Any]]:
        return {
            "trunks": sorted(t["id"] for t in self.items("/trunks")),
            "endpoints": sorted(e["name"] for e in self.items("/endpoints/sip")),
            "outcalls": sorted(o["name"] for o in self.items("/outcalls")),
            "incalls": sorted(i["id"] for i in self.items("/incalls")),
            "extensions": sorted((e["exten"], e["context"]) for e in self.items("/extensions")),
            "contexts": sorted(c["name"] for c in self.items("/contexts")),
        }


def pairs(options: list[list[str]]) -> Counter[tuple[str, str]]:
    """SIP options compared as a multiset: confd does not keep their order."""
    return Counter((key, value) for key, value in options)


@pytest.fixture
def tenant(clean_sandbox: SandboxProcess) -> Tenant:
    return Tenant(clean_sandbox)


@pytest.fixture
def first_run(
    clean_sandbox: SandboxProcess, tenant: Tenant
) -> tuple[EngineDouble, RunResult, dict[str, Any]]:
    before = tenant.snapshot()
    engine = EngineDouble(acme_dev_config(clean_sandbox))
    result = engine.run(stack="acme-dev")
    return engine, result, before


def test_the_tenant_holds_exactly_what_the_seed_procedure_creates(first_run, tenant):
    _, result, before = first_run
    incall_ctx, outcall_ctx = tenant.context("incall"), tenant.context("outcall")

    # step 1: two trunks in the incall context, each with its SIP endpoint
    trunks = {t["endpoint_sip"]["name"]: t for t in tenant.items("/trunks")}
    assert set(trunks) == {"acme-voipco", "acme-backupco"}
    assert {t["context"] for t in trunks.values()} == {incall_ctx}
    assert {t["outgoing_caller_id_format"] for t in trunks.values()} == {"+E164"}
    voipco = tenant.one(f"/endpoints/sip/{trunks['acme-voipco']['endpoint_sip']['uuid']}")
    assert voipco["label"] == "VoIPCo (primary)"
    assert [t["uuid"] for t in voipco["templates"]] == [seed.template_uuid("acme", "registration_trunk")]
    assert voipco["transport"] == {"uuid": seed.TRANSPORT_UDP}
    credentials = pairs([["username", "acme-voipco-1234"], ["password", PASSWORDS["acme-voipco"]]])
    assert pairs(voipco["outbound_auth_section_options"]) == credentials
    assert pairs(voipco["registration_outbound_auth_section_options"]) == credentials
    assert pairs(voipco["auth_section_options"]) == Counter()
    assert pairs(voipco["registration_section_options"]) == pairs(
        [
            ["server_uri", "sip:sip.voipco.example"],
            ["client_uri", "sip:acme-voipco-1234@sip.voipco.example"],
            ["expiration", "120"],
            ["transport", "transport-udp"],
        ]
    )
    assert pairs(voipco["aor_section_options"]) == pairs(
        [["contact", "sip:sip.voipco.example:5060"], ["qualify_frequency", "60"]]
    )
    assert pairs(voipco["identify_section_options"]) == pairs([["match", "sip.voipco.example"]])
    assert pairs(voipco["endpoint_section_options"]) == pairs(
        [["dtmf_mode", "rfc4733"], ["allow", "!all,ulaw,alaw"]]
    )
    backup = tenant.one(f"/endpoints/sip/{trunks['acme-backupco']['endpoint_sip']['uuid']}")
    assert [t["uuid"] for t in backup["templates"]] == [seed.template_uuid("acme", "global")]
    assert backup["registration_section_options"] == []
    assert backup["registration_outbound_auth_section_options"] == []
    assert pairs(backup["aor_section_options"]) == pairs(
        [["contact", "sip:sip.backupco.example:5080"], ["qualify_frequency", "30"]]
    )

    # step 2: one outcall, VoIPCo then BackupCo, three dial patterns
    (outcall,) = tenant.items("/outcalls")
    assert outcall["name"] == "acme-out"
    assert [t["id"] for t in outcall["trunks"]] == [
        trunks["acme-voipco"]["id"],
        trunks["acme-backupco"]["id"],
    ]
    patterns = {e["exten"]: e for e in outcall["extensions"]}
    assert {
        k: (v["strip_digits"], v["prefix"], v["external_prefix"], v["caller_id"]) for k, v in patterns.items()
    } == {
        "_NXXNXXXXXX": (0, None, "+1", "+15551230000"),
        "_1NXXNXXXXXX": (1, None, "+1", "+15551230000"),
        "_011.": (3, None, "+", None),
    }
    assert {e["context"] for e in patterns.values()} == {outcall_ctx}

    # step 3: five DIDs, each an extension of the incall context attached to its own incall
    incalls = tenant.items("/incalls")
    routes = {i["extensions"][0]["exten"]: i for i in incalls}
    assert set(routes) == {"5551230000", "5551230001", "5551230002", "5551239000", "5551239001"}
    assert all(len(i["extensions"]) == 1 and i["extensions"][0]["context"] == incall_ctx for i in incalls)
    destinations = {exten: i["destination"] for exten, i in routes.items()}
    assert destinations["5551230000"]["user_id"] == 1
    assert (destinations["5551230001"]["user_id"], destinations["5551230001"]["ring_time"]) == (2, 25.0)
    assert destinations["5551230002"]["user_id"] == 3
    assert destinations["5551239000"] == {"type": "hangup", "cause": "busy", "timeout": None}
    assert destinations["5551239001"] == {"type": "custom", "command": "Playback(tt-monkeys)"}
    assert (routes["5551230000"]["caller_id_mode"], routes["5551230000"]["caller_id_name"]) == (
        "prepend",
        "VoIPCo: ",
    )
    assert routes["5551239001"]["description"] == "Fax line, not in service"

    # nothing more: exactly these objects were added to the tenant
    after = tenant.snapshot()
    assert len(after["trunks"]) - len(before["trunks"]) == 2
    assert sorted(set(after["endpoints"]) - set(before["endpoints"])) == ["acme-backupco", "acme-voipco"]
    assert after["outcalls"] == sorted([*before["outcalls"], "acme-out"])
    assert len(after["incalls"]) - len(before["incalls"]) == 5
    assert sorted(set(after["extensions"]) - set(before["extensions"])) == sorted(
        [(p, outcall_ctx) for p in patterns] + [(d, incall_ctx) for d in routes]
    )
    assert after["contexts"] == before["contexts"]

    # and the summary export says the same, in operators' words
    summary = result.stack_outputs["summary"]
    assert set(summary) == {"acme-voipco", "acme-backupco"}
    assert summary["acme-voipco"]["endpoint"] == "acme-voipco"
    assert summary["acme-voipco"]["contexts"] == {"incall": incall_ctx, "outcall": outcall_ctx}
    assert set(summary["acme-voipco"]["dids"]) == {"+15551230000", "+15551230001", "+15551230002"}
    assert summary["acme-voipco"]["outcall"] == {"name": "acme-out", "id": outcall["id"]}
    assert "outcall" not in summary["acme-backupco"]
    assert {op for op, _ in result.operations} == {"create"}
    assert len(result.operations) == 2 * 3 + 2 + 3 * 2 + 5 * 3  # trunks, outcall, patterns, DIDs


def test_a_second_unchanged_run_changes_nothing(first_run, clean_sandbox):
    engine, _, _ = first_run
    seq = clean_sandbox.last_seq()
    result = engine.run(stack="acme-dev")
    assert result.operations == []
    writes = [r for r in clean_sandbox.requests(since=seq) if r["method"] != "GET"]
    assert [(w["method"], w["path"]) for w in writes if "/api/auth/" not in w["path"]] == []


def test_adding_removing_and_repointing_dids_changes_exactly_those_objects(first_run, clean_sandbox, tenant):
    engine, _, _ = first_run
    config = copy.deepcopy(engine.config)
    voipco, backupco = config["wazo-voip:providers"]
    voipco["incoming"].append({"did": "+15551230003", "destination": {"type": "user", "user_id": 1}})
    voipco["incoming"][1]["destination"] = {"type": "user", "user_email": "carol@acme.example"}
    backupco["incoming"].pop()  # +15551239001
    removed = next(i for i in tenant.items("/incalls") if i["extensions"][0]["exten"] == "5551239001")
    engine.config = config
    seq = clean_sandbox.last_seq()

    result = engine.run(stack="acme-dev")

    prefix = "pulumi-python:dynamic/wazo-voip:"
    assert sorted(result.operations) == sorted(
        [
            ("create", f"{prefix}Extension::did-5551230003"),
            ("create", f"{prefix}Incall::did-5551230003-incall"),
            ("create", f"{prefix}IncallExtension::did-5551230003-link"),
            ("update", f"{prefix}Incall::did-5551230001-incall"),
            ("delete", f"{prefix}IncallExtension::did-5551239001-link"),
            ("delete", f"{prefix}Incall::did-5551239001-incall"),
            ("delete", f"{prefix}Extension::did-5551239001"),
        ]
    )
    # the sandbox saw exactly those writes, dependents removed first
    writes = [(r["method"], r["path"]) for r in clean_sandbox.requests(since=seq) if r["method"] != "GET"]
    writes = [w for w in writes if "/api/auth/" not in w[1]]
    confd = "/api/confd/1.1"
    removed_id, removed_ext = removed["id"], removed["extensions"][0]["id"]
    repointed = next(i for i in tenant.items("/incalls") if i["extensions"][0]["exten"] == "5551230001")
    added = next(i for i in tenant.items("/incalls") if i["extensions"][0]["exten"] == "5551230003")
    assert sorted(writes) == sorted(
        [
            ("POST", f"{confd}/extensions"),
            ("POST", f"{confd}/incalls"),
            ("PUT", f"{confd}/incalls/{added['id']}/extensions/{added['extensions'][0]['id']}"),
            ("PUT", f"{confd}/incalls/{repointed['id']}"),
            ("DELETE", f"{confd}/incalls/{removed_id}/extensions/{removed_ext}"),
            ("DELETE", f"{confd}/incalls/{removed_id}"),
            ("DELETE", f"{confd}/extensions/{removed_ext}"),
        ]
    )
    deletes = [w for w in writes if w[0] == "DELETE"]
    # the link goes first: confd refuses to delete an extension that is still attached
    assert deletes[0] == ("DELETE", f"{confd}/incalls/{removed_id}/extensions/{removed_ext}")
    assert repointed["destination"]["user_id"] == 3
    assert {i["extensions"][0]["exten"] for i in tenant.items("/incalls")} == {
        "5551230000",
        "5551230001",
        "5551230002",
        "5551230003",
        "5551239000",
    }


def _last_provider_broken(config: dict[str, Any], how: str) -> str:
    """Break the stack's last provider (acme-backupco) one way; the key the error must name."""
    backupco = config["wazo-voip:providers"][1]
    if how == "did-outside-ranges":
        backupco["incoming"].append({"did": "+15559990000", "destination": {"type": "none"}})
        return "wazo-voip:providers[1].incoming[2].did: DID +15559990000 is outside the incall ranges"
    if how == "same-exten-across-providers":
        # +15551230001 (VoIPCo) and 5551230001 both arrive as 5551230001 with did_length 10
        backupco["incoming"].append({"did": "5551230001", "destination": {"type": "none"}})
        return (
            "wazo-voip:providers[1].incoming[2].did: DID 5551230001 becomes exten '5551230001' in context "
            f"{seed.CONTEXTS[('acme', 'incall')].name!r}, as DID +15551230001 "
            "(wazo-voip:providers[0].incoming[1]) does"
        )
    if how == "unknown-user":
        backupco["incoming"][0]["destination"] = {"type": "user", "user_email": "nobody@acme.example"}
        return "wazo-voip:providers[1].incoming[0].destination: no single user of the tenant has the email"
    if how == "unknown-transport":
        backupco["transport"] = "transport-tcp"
        return "wazo-voip:providers[1].transport: the Wazo has no SIP transport named 'transport-tcp'"
    if how == "pattern-of-another-outcall":
        backupco["outgoing"] = {"outcall": "acme-backup-out", "patterns": [{"exten": "_011."}]}
        return (
            "wazo-voip:providers[1].outgoing.patterns[0].exten: pattern '_011.' is also a pattern of outcall"
        )
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "did-outside-ranges",
        "same-exten-across-providers",
        "unknown-user",
        "unknown-transport",
        "pattern-of-another-outcall",
    ],
)
def test_a_problem_in_the_last_provider_stops_the_stack_before_any_write(clean_sandbox, how):
    config = acme_dev_config(clean_sandbox)
    problem = _last_provider_broken(config, how)
    engine = EngineDouble(config)
    seq = clean_sandbox.last_seq()

    with pytest.raises(pulumi.RunError) as raised:
        engine.run(stack="acme-dev")

    assert str(raised.value).startswith("the stack cannot be deployed:\n")
    assert problem in str(raised.value)
    assert engine.result.operations == []
    assert engine.state == {}
    writes = [(r["method"], r["path"]) for r in clean_sandbox.requests(since=seq) if r["method"] != "GET"]
    assert [w for w in writes if w[1].startswith("/api/confd/")] == []


def test_every_problem_of_the_stack_is_listed_at_once(clean_sandbox):
    config = acme_dev_config(clean_sandbox)
    expected = [
        _last_provider_broken(config, how)
        for how in ("did-outside-ranges", "unknown-user", "unknown-transport", "pattern-of-another-outcall")
    ]
    config["wazo-voip:providers"][0]["incoming"][0]["did"] = "+15550000000"
    engine = EngineDouble(config)

    with pytest.raises(pulumi.RunError) as raised:
        engine.run(stack="acme-dev")

    lines = str(raised.value).splitlines()[1:]
    assert len(lines) == 5
    expected.append("wazo-voip:providers[0].incoming[0].did: DID +15550000000 is outside")
    for problem in expected:
        assert sum(problem in line for line in lines) == 1, problem
