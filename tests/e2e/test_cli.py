"""The real `pulumi` CLI end to end: a file:// backend, a passphrase, one stack aimed at the sandbox.

preview shows the creates -> up -> preview --expect-no-changes -> a one-key config change shows
exactly that property -> up -> an out-of-band change is found by refresh -> destroy leaves the
tenant as it was. The steps share one stack and run in file order.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.seed import ACME_TENANT
from tests.e2e.stack import (
    EXPECTED_CREATES,
    STACK,
    STACK_PASSWORD,
    Cli,
    copy_project,
    secret_settings,
    snapshot,
    stack_config,
    write_stack_file,
    writes,
)
from tests.support.sandbox import SandboxProcess

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("pulumi") is None,
        reason="the Pulumi CLI is not on PATH (no registry reachable here ships it); "
        "this suite drives the real `pulumi` binary",
    ),
]

TYPES = (
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
CHANGED_LABEL = "VoIPCo (main)"
# a property line of `pulumi preview --diff`: "      ~ label: "old" => "new""
PROPERTY_LINE = re.compile(r"^\s*[-+~]\s+([A-Za-z_]\w*)\s*:")


def kind_of(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1].rsplit(":", 1)[-1]


def changed_properties(text: str) -> set[str]:
    return {m.group(1) for line in text.splitlines() if (m := PROPERTY_LINE.match(line))}


def changes(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if s.get("op") != "same" and kind_of(s["urn"]) in TYPES]


class Run:
    """What the steps share: the CLI, the sandbox and the tenant before anything ran."""

    def __init__(self, cli: Cli, sandbox: SandboxProcess, before: dict[str, list[dict[str, Any]]]) -> None:
        self.cli = cli
        self.sandbox = sandbox
        self.before = before


@pytest.fixture(scope="module")
def run(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("e2e")
    cli = Cli(copy_project(root / "project"), root / "home", root / "backend")
    cli.login()
    cli.run("stack", "init", STACK)
    write_stack_file(cli.project, stack_config(sandbox.url))
    for key, value in secret_settings():
        cli.run("config", "set", "--secret", "--path", key, value)
    assert STACK_PASSWORD not in (cli.project / "stacks" / f"Pulumi.{STACK}.yaml").read_text()
    before = snapshot(sandbox)
    yield Run(cli, sandbox, before)
    cli.run("destroy", "--yes", "--skip-preview", check=False)
    cli.run("stack", "rm", "--yes", "--force", STACK, check=False)


def test_preview_shows_the_creates_and_writes_nothing(run: Run) -> None:
    run.sandbox.clear_requests()
    result = run.cli.json("preview")
    steps = changes(result["steps"])
    assert steps
    assert {s["op"] for s in steps} == {"create"}
    assert Counter(kind_of(s["urn"]) for s in steps) == EXPECTED_CREATES
    assert writes(run.sandbox.requests()) == []


def test_up_creates_them(run: Run) -> None:
    run.cli.run("up", "--yes", "--skip-preview")
    after = snapshot(run.sandbox)
    assert len(after["/trunks"]) == len(run.before["/trunks"]) + EXPECTED_CREATES["Trunk"]
    assert len(after["/incalls"]) == len(run.before["/incalls"]) + EXPECTED_CREATES["Incall"]
    assert len(after["/extensions"]) == len(run.before["/extensions"]) + EXPECTED_CREATES["Extension"]
    names = {e["name"] for e in after["/endpoints/sip"]}
    assert {"acme-voipco", "acme-backupco"} <= names


def test_a_second_preview_expects_no_changes(run: Run) -> None:
    run.sandbox.clear_requests()
    run.cli.run("preview", "--expect-no-changes")
    assert writes(run.sandbox.requests()) == []


def test_a_one_key_config_change_shows_exactly_that_property(run: Run) -> None:
    run.cli.run("config", "set", "--path", "providers[0].label", CHANGED_LABEL)
    result = run.cli.json("preview", "--diff")
    steps = changes(result["steps"])
    assert [(s["op"], kind_of(s["urn"])) for s in steps] == [("update", "EndpointSip")]
    # the server forwards no detailed diff: when the engine names reasons, it is that one
    assert set(steps[0].get("diffReasons") or ["label"]) == {"label"}

    text = run.cli.run("preview", "--diff").stdout
    assert changed_properties(text) == {"label"}
    assert CHANGED_LABEL in text

    run.sandbox.clear_requests()
    run.cli.run("up", "--yes", "--skip-preview")
    assert [method for method, _ in writes(run.sandbox.requests())] == ["PUT"]
    labels = {e["name"]: e["label"] for e in snapshot(run.sandbox)["/endpoints/sip"]}
    assert labels["acme-voipco"] == CHANGED_LABEL
    run.cli.run("preview", "--expect-no-changes")


def test_refresh_finds_an_out_of_band_change(run: Run) -> None:
    trunks = run.cli.resources(":Trunk")
    trunk = next(t for t in trunks if t["outputs"].get("outgoing_caller_id_format") == "+E164")
    trunk_id = int(trunk["outputs"]["trunk_id"])
    token = run.sandbox.token("acme-admin", STACK_PASSWORD)
    httpx.put(
        f"{run.sandbox.confd_url}/trunks/{trunk_id}",
        json={"outgoing_caller_id_format": "national"},
        headers={"X-Auth-Token": token, "Wazo-Tenant": ACME_TENANT},
        timeout=10,
    ).raise_for_status()

    run.cli.run("refresh", "--yes", "--skip-preview")
    refreshed = next(t for t in run.cli.resources(":Trunk") if t["id"] == trunk["id"])
    assert refreshed["outputs"]["outgoing_caller_id_format"] == "national"

    # the next preview wants to put it back, and only that
    steps = changes(run.cli.json("preview", "--diff")["steps"])
    assert [(s["op"], kind_of(s["urn"])) for s in steps] == [("update", "Trunk")]
    assert set(steps[0].get("diffReasons") or []) <= {"outgoing_caller_id_format"}


def test_destroy_leaves_the_tenant_as_it_was(run: Run) -> None:
    run.cli.run("destroy", "--yes", "--skip-preview")
    assert snapshot(run.sandbox) == run.before
    left = run.cli.export()["deployment"].get("resources") or []
    assert [r["urn"] for r in left if kind_of(r["urn"]) in TYPES] == []
