"""Everyday changes of a deployed stack, each one `up` with the fewest writes, then nothing to do.

Each test deploys acme-dev through the program (engine double, real providers, the sandbox),
changes its stack file as an operator would, runs `up` again and compares the sandbox's confd
writes with exactly what the change needs; a third run must do nothing. Paths show `{id}` for
confd's ids. Where confd refuses two objects with one key at once, the replacement deletes first:
the engine double records which replacements do (`RunResult.delete_first`), as the preview shows.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox import seed
from tests.component.test_program import acme_dev_config
from tests.support.engine import EngineDouble, RunResult
from tests.support.sandbox import SandboxProcess

CONFD = "/api/confd/1.1"
ID = re.compile(r"/([0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=/|$)")
DYNAMIC = "pulumi-python:dynamic/wazo-voip:"
Config = dict[str, Any]


def confd_writes(sandbox: SandboxProcess, since: int) -> list[str]:
    """The confd writes since `since`, as "METHOD /path" with ids shown as {id}, in order."""
    return [
        f"{r['method']} {ID.sub('/{id}', r['path'].removeprefix(CONFD))}"
        for r in sandbox.requests(since=since)
        if r["method"] != "GET" and r["path"].startswith(CONFD)
    ]


class Stack:
    """acme-dev deployed through the program; `change` applies one edit of its stack file."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        self.engine = EngineDouble(acme_dev_config(sandbox))
        self.engine.run(stack="acme-dev")

    def change(self, edit: Callable[[Config], None]) -> tuple[RunResult, list[str]]:
        config = copy.deepcopy(self.engine.config)
        edit(config)
        self.engine.config = config
        seq = self.sandbox.last_seq()
        result = self.engine.run(stack="acme-dev")
        writes = confd_writes(self.sandbox, seq)
        self.raw = [
            (r["method"], r["path"].removeprefix(CONFD))
            for r in self.sandbox.requests(since=seq)
            if r["method"] != "GET" and r["path"].startswith(CONFD)
        ]
        seq = self.sandbox.last_seq()
        again = self.engine.run(stack="acme-dev")
        assert again.operations == [], "a second up of the changed stack must do nothing"
        assert confd_writes(self.sandbox, seq) == []
        return result, writes

    def confd(self) -> httpx.Client:
        token = self.sandbox.token("acme-admin", "acme-secret")
        headers = {"X-Auth-Token": token, "Wazo-Tenant": seed.ACME_TENANT}
        return httpx.Client(base_url=self.sandbox.confd_url, headers=headers, timeout=10)

    def routes(self) -> dict[str, dict[str, Any]]:
        """Each DID's incall, by exten."""
        with self.confd() as confd:
            incalls = confd.get("/incalls").json()["items"]
        return {i["extensions"][0]["exten"]: i for i in incalls}


def in_two_phases(writes: list[str], during: list[str], then: list[str]) -> bool:
    """`during`, in any order (the program registers independent resources concurrently), then
    `then` in this order (the engine deletes what is no longer declared last, dependents first)."""
    cut = len(writes) - len(then)
    return sorted(writes[:cut]) == sorted(during) and writes[cut:] == then


def providers(config: Config) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = config["wazo-voip:providers"]
    return items


def ops(result: RunResult) -> list[tuple[str, str]]:
    return sorted((op, key.removeprefix(DYNAMIC)) for op, key in result.operations)


@pytest.fixture
def stack(clean_sandbox: SandboxProcess) -> Stack:
    return Stack(clean_sandbox)


# -- porting numbers ----------------------------------------------------------------------------


def test_moving_one_did_to_another_provider_writes_nothing(stack: Stack):
    before = stack.routes()

    def move(config: Config) -> None:
        voipco, backupco = providers(config)
        voipco["incoming"].append(backupco["incoming"].pop(0))  # +15551239000

    result, writes = stack.change(move)
    assert (result.operations, writes) == ([], [])
    assert stack.routes() == before


def test_porting_every_did_of_a_provider_writes_nothing(stack: Stack):
    before = stack.routes()

    def port(config: Config) -> None:
        voipco, backupco = providers(config)
        voipco["incoming"].extend(backupco["incoming"])
        backupco["incoming"] = []

    result, writes = stack.change(port)
    assert (result.operations, writes) == ([], [])
    assert stack.routes() == before


# -- renaming -----------------------------------------------------------------------------------


def _rename_backupco(config: Config, *, declared: bool) -> None:
    voipco, backupco = providers(config)
    backupco["name"] = "acme-backupnet"
    if declared:
        backupco["renamed_from"] = ["acme-backupco"]
    voipco["outgoing"]["trunks"] = ["acme-voipco", "acme-backupnet"]


def test_renaming_a_provider_replaces_its_trunk_with_no_gap(stack: Stack):
    result, writes = stack.change(lambda config: _rename_backupco(config, declared=False))
    assert ops(result) == [
        ("create", "EndpointSip::acme-backupnet-endpoint"),
        ("create", "Trunk::acme-backupnet-trunk"),
        ("create", "TrunkEndpointSip::acme-backupnet-trunk-endpoint"),
        ("delete", "EndpointSip::acme-backupco-endpoint"),
        ("delete", "Trunk::acme-backupco-trunk"),
        ("delete", "TrunkEndpointSip::acme-backupco-trunk-endpoint"),
        ("update", "OutcallTrunks::outcall-acme-out-trunks"),
    ]
    # the new trunk exists and the outcall uses it before the old one goes: no moment without it
    assert in_two_phases(
        writes,
        during=[
            "POST /trunks",
            "POST /endpoints/sip",
            "PUT /trunks/{id}/endpoints/sip/{id}",
            "PUT /outcalls/{id}/trunks",
        ],
        then=["DELETE /trunks/{id}/endpoints/sip/{id}", "DELETE /endpoints/sip/{id}", "DELETE /trunks/{id}"],
    )


def test_renaming_a_provider_with_renamed_from_renames_its_endpoint_in_place(stack: Stack):
    result, writes = stack.change(lambda config: _rename_backupco(config, declared=True))
    assert ops(result) == [("update", "EndpointSip::acme-backupnet-endpoint")]
    assert writes == ["PUT /endpoints/sip/{id}"]
    assert len(result.renamed) == 3  # the component's trunk, endpoint and link


def _rename_outcall(config: Config, *, declared: bool) -> None:
    outgoing = providers(config)[0]["outgoing"]
    outgoing["outcall"] = "acme-public"
    if declared:
        outgoing["renamed_from"] = ["acme-out"]


def test_renaming_an_outcall_replaces_it_and_moves_its_patterns_delete_first(stack: Stack):
    result, writes = stack.change(lambda config: _rename_outcall(config, declared=False))
    patterns = ["_011.", "_1NXXNXXXXXX", "_NXXNXXXXXX"]
    assert ops(result) == sorted(
        [
            ("create", "Outcall::outcall-acme-public"),
            ("create", "OutcallTrunks::outcall-acme-public-trunks"),
            ("delete", "OutcallTrunks::outcall-acme-out-trunks"),
            ("delete", "Outcall::outcall-acme-out"),
            *(("replace", f"OutcallExtension::pattern-{p}-outcall") for p in patterns),
        ]
    )
    # an extension belongs to one outcall at most: each pattern leaves the old one first
    assert sorted(result.delete_first) == [
        f"{DYNAMIC}OutcallExtension::pattern-{p}-outcall" for p in patterns
    ]
    assert in_two_phases(
        writes,
        during=[
            "POST /outcalls",
            "PUT /outcalls/{id}/trunks",
            *["DELETE /outcalls/{id}/extensions/{id}", "PUT /outcalls/{id}/extensions/{id}"] * 3,
        ],
        then=["PUT /outcalls/{id}/trunks", "DELETE /outcalls/{id}"],  # the old outcall emptied, deleted
    )
    # each pattern leaves the old outcall before it joins the new one
    links = [(method, path.rsplit("/", 1)[-1]) for method, path in stack.raw if "/extensions/" in path]
    for extension in {e for _, e in links}:
        assert [m for m, e in links if e == extension] == ["DELETE", "PUT"]


def test_renaming_an_outcall_with_renamed_from_renames_it_in_place(stack: Stack):
    result, writes = stack.change(lambda config: _rename_outcall(config, declared=True))
    assert ops(result) == [("update", "Outcall::outcall-acme-public")]
    assert writes == ["PUT /outcalls/{id}"]


def test_moving_a_pattern_to_another_outcall_reattaches_it_delete_first(stack: Stack):
    def second_outcall(config: Config) -> None:
        providers(config)[1]["outgoing"] = {"outcall": "acme-intl", "patterns": [{"exten": "_00."}]}

    stack.change(second_outcall)

    def move(config: Config) -> None:
        voipco, backupco = providers(config)
        pattern = next(p for p in voipco["outgoing"]["patterns"] if p["exten"] == "_011.")
        voipco["outgoing"]["patterns"].remove(pattern)
        backupco["outgoing"]["patterns"].append(pattern)

    result, writes = stack.change(move)
    assert ops(result) == [("replace", "OutcallExtension::pattern-_011.-outcall")]
    assert result.delete_first == [f"{DYNAMIC}OutcallExtension::pattern-_011.-outcall"]
    assert writes == ["DELETE /outcalls/{id}/extensions/{id}", "PUT /outcalls/{id}/extensions/{id}"]
    with stack.confd() as confd:
        outcalls = {o["name"]: o for o in confd.get("/outcalls").json()["items"]}
    assert {e["exten"] for e in outcalls["acme-intl"]["extensions"]} == {"_00.", "_011."}
    assert "_011." not in {e["exten"] for e in outcalls["acme-out"]["extensions"]}


# -- carriers -----------------------------------------------------------------------------------


NEWCO: Config = {
    "name": "acme-newco",
    "label": "NewCo",
    "username": "acme-newco-1",
    "password": "newco-Pa55word",
    "host": "sip.newco.example",
}


def test_a_new_primary_carrier_then_the_old_one_removed(stack: Stack):
    def add_primary(config: Config) -> None:
        providers(config).append(dict(NEWCO))
        providers(config)[0]["outgoing"]["trunks"] = ["acme-newco", "acme-voipco", "acme-backupco"]

    result, writes = stack.change(add_primary)
    assert ops(result) == [
        ("create", "EndpointSip::acme-newco-endpoint"),
        ("create", "Trunk::acme-newco-trunk"),
        ("create", "TrunkEndpointSip::acme-newco-trunk-endpoint"),
        ("update", "OutcallTrunks::outcall-acme-out-trunks"),
    ]
    assert sorted(writes) == sorted(
        [
            "POST /trunks",
            "POST /endpoints/sip",
            "PUT /trunks/{id}/endpoints/sip/{id}",
            "PUT /outcalls/{id}/trunks",
        ]
    )
    before = stack.routes()

    def remove_old(config: Config) -> None:
        voipco, backupco, newco = providers(config)
        # the outcall and the numbers move to the new carrier's entry, the old entry goes
        newco["outgoing"] = {**voipco["outgoing"], "trunks": ["acme-newco", "acme-backupco"]}
        newco["incoming"] = voipco["incoming"]
        config["wazo-voip:providers"] = [newco, backupco]

    result, writes = stack.change(remove_old)
    assert ops(result) == [
        ("delete", "EndpointSip::acme-voipco-endpoint"),
        ("delete", "Trunk::acme-voipco-trunk"),
        ("delete", "TrunkEndpointSip::acme-voipco-trunk-endpoint"),
        ("update", "OutcallTrunks::outcall-acme-out-trunks"),
    ]
    assert writes == [
        "PUT /outcalls/{id}/trunks",  # the old trunk leaves the outcall before it is deleted
        "DELETE /trunks/{id}/endpoints/sip/{id}",
        "DELETE /endpoints/sip/{id}",
        "DELETE /trunks/{id}",
    ]
    assert stack.routes() == before


# -- a DID's settings ---------------------------------------------------------------------------


def test_changing_a_dids_number_replaces_that_did_only(stack: Stack):
    def renumber(config: Config) -> None:
        providers(config)[0]["incoming"][2]["did"] = "+15551230005"  # was +15551230002

    result, writes = stack.change(renumber)
    assert ops(result) == [
        ("create", "Extension::did-5551230005"),
        ("create", "Incall::did-5551230005-incall"),
        ("create", "IncallExtension::did-5551230005-link"),
        ("delete", "Extension::did-5551230002"),
        ("delete", "Incall::did-5551230002-incall"),
        ("delete", "IncallExtension::did-5551230002-link"),
    ]
    # the new number works before the old one stops: they are different extensions
    assert in_two_phases(
        writes,
        during=["POST /extensions", "POST /incalls", "PUT /incalls/{id}/extensions/{id}"],
        then=["DELETE /incalls/{id}/extensions/{id}", "DELETE /incalls/{id}", "DELETE /extensions/{id}"],
    )
    assert set(stack.routes()) == {"5551230000", "5551230001", "5551230005", "5551239000", "5551239001"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"destination": {"type": "user", "user_email": "carol@acme.example"}}, {"destination": 3}),
        ({"caller_id_mode": "overwrite", "caller_id_name": "Acme"}, {"caller_id": ("overwrite", "Acme")}),
    ],
    ids=["destination", "caller-id"],
)
def test_changing_a_dids_destination_or_caller_id_is_one_put(stack: Stack, edit, expected):
    def change(config: Config) -> None:
        providers(config)[0]["incoming"][0].update(edit)

    result, writes = stack.change(change)
    assert ops(result) == [("update", "Incall::did-5551230000-incall")]
    assert writes == ["PUT /incalls/{id}"]
    route = stack.routes()["5551230000"]
    if "destination" in expected:
        assert route["destination"]["user_id"] == expected["destination"]
    else:
        assert (route["caller_id_mode"], route["caller_id_name"]) == expected["caller_id"]


# -- contexts -----------------------------------------------------------------------------------


def test_naming_the_incall_context_that_was_found_writes_nothing(stack: Stack):
    def name_it(config: Config) -> None:
        config["wazo-voip:contexts"] = {"incall": seed.CONTEXTS[("acme", "incall")].name}

    result, writes = stack.change(name_it)
    assert (result.operations, writes) == ([], [])


def test_switching_to_another_named_incall_context_moves_trunks_and_dids_in_place(stack: Stack):
    with stack.confd() as confd:
        created = confd.post(
            "/contexts",
            json={"label": "Acme incall 2", "type": "incall", "incall_ranges": [seed.INCALL_RANGES["acme"]]},
        )
        created.raise_for_status()
    name = created.json()["name"]

    def switch(config: Config) -> None:
        config["wazo-voip:contexts"] = {"incall": name}

    result, writes = stack.change(switch)
    dids = ["5551230000", "5551230001", "5551230002", "5551239000", "5551239001"]
    assert ops(result) == sorted(
        [
            ("update", "Trunk::acme-voipco-trunk"),
            ("update", "Trunk::acme-backupco-trunk"),
            *(("update", f"Extension::did-{d}") for d in dids),
        ]
    )
    assert sorted(writes) == sorted(["PUT /trunks/{id}"] * 2 + ["PUT /extensions/{id}"] * 5)
    assert {r["extensions"][0]["context"] for r in stack.routes().values()} == {name}
