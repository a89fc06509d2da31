"""The real `pulumi` CLI end to end: a file:// backend, a passphrase, one stack aimed at the sandbox.

preview shows the creates -> up makes exactly the minimal writes -> the state holds no secret in clear
-> preview --expect-no-changes -> three everyday changes, each previewed, diff-reported and applied as
exactly what it is (a label, a new DID, a DID's destination) -> an out-of-band change is found by
refresh -> destroy leaves the tenant as it was. The steps share one stack and run in file order.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.seed import ACME_TENANT
from stacks import report
from tests.e2e.stack import (
    EXPECTED_CREATES,
    SECRETS,
    STACK,
    STACK_PASSWORD,
    Cli,
    copy_project,
    reads,
    secret_settings,
    snapshot,
    stack_config,
    token_requests,
    write_stack_file,
    writes,
)
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.e2e

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
NEW_DID = "+15551239002"  # in acme's incall range, on the second provider
# a property line of `pulumi preview --diff`: "      ~ label: "old" => "new""
PROPERTY_LINE = re.compile(r"^\s*[-+~]\s+([A-Za-z_]\w*)\s*:")
# what the program reads before declaring anything: confd's API spec (which API the Wazo speaks,
# issue 14), contexts by type (2), the two SIP templates, the transports, and the users chosen by
# email (2)
PROGRAM_LOOKUPS = 8
# the writes of the fixed part of acme-dev: per provider a trunk, an endpoint and their link; one
# outcall with its trunk list, and per pattern an extension and its link
FIXED_WRITES = 2 * 3 + 2 + 3 * 2
OBJECT_KINDS = ("Context", "Trunk", "EndpointSip", "Outcall", "Extension", "Incall")


def kind_of(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1].rsplit(":", 1)[-1]


def name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def changed_properties(text: str) -> set[str]:
    return {m.group(1) for line in text.splitlines() if (m := PROPERTY_LINE.match(line))}


def changes(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if s.get("op") != "same" and kind_of(s["urn"]) in TYPES]


def operations(steps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((s["op"], kind_of(s["urn"])) for s in changes(steps))


def applied(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((op, kind_of(urn)) for op, urn in steps if op != "same" and kind_of(urn) in TYPES)


class Run:
    """What the steps share: the CLI, the sandbox and the tenant before anything ran."""

    def __init__(self, cli: Cli, sandbox: SandboxProcess, before: dict[str, list[dict[str, Any]]]) -> None:
        self.cli = cli
        self.sandbox = sandbox
        self.before = before

    def preview(self, tmp: Path) -> tuple[dict[str, Any], str]:
        """`pulumi preview --json` as the diff report reads it, and that report."""
        digest = self.cli.json("preview")
        path = tmp / f"{STACK}.json"
        path.write_text(json.dumps(digest))
        return digest, report.report([path])


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
    log = run.sandbox.requests()
    assert writes(log) == []
    # the program's own lookups, one token; the provider server is never asked for anything
    assert len(reads(log)) == PROGRAM_LOOKUPS
    assert token_requests(log) == 1


def test_up_creates_them_with_exactly_the_minimal_writes(run: Run) -> None:
    run.sandbox.clear_requests()
    update = run.cli.up()
    assert Counter(kind for op, kind in applied(update.steps) if op == "create") == EXPECTED_CREATES
    log = run.sandbox.requests()
    dids = EXPECTED_CREATES["Incall"]
    assert len(writes(log)) == FIXED_WRITES + 3 * dids
    # the program's lookups, and one look before each object's POST (none before a link's PUT)
    objects = sum(EXPECTED_CREATES.get(kind, 0) for kind in OBJECT_KINDS)
    assert len(reads(log)) == PROGRAM_LOOKUPS + objects
    # one token for the program and one for the provider server: two processes, one login each
    assert token_requests(log) == 2
    after = snapshot(run.sandbox)
    assert len(after["/trunks"]) == len(run.before["/trunks"]) + EXPECTED_CREATES["Trunk"]
    assert len(after["/incalls"]) == len(run.before["/incalls"]) + EXPECTED_CREATES["Incall"]
    assert len(after["/extensions"]) == len(run.before["/extensions"]) + EXPECTED_CREATES["Extension"]
    names = {e["name"] for e in after["/endpoints/sip"]}
    assert {"acme-voipco", "acme-backupco"} <= names


def test_the_state_holds_no_secret_in_clear_and_small_providers(run: Run) -> None:
    exported = run.cli.run("stack", "export").stdout
    for secret in SECRETS:
        assert secret not in exported
    deployment = json.loads(exported)["deployment"]
    resources = [r for r in deployment["resources"] if kind_of(r["urn"]) in TYPES]
    assert len(resources) == sum(EXPECTED_CREATES.values())
    # the engine keeps each pickled provider encrypted (the SDK marks it secret): read it decrypted,
    # where a secret reads {"<secret signature>": ..., "plaintext": "<JSON of the value>"}
    shown = json.loads(run.cli.run("stack", "export", "--show-secrets").stdout)["deployment"]
    providers = {
        json.loads(r["inputs"]["__provider"]["plaintext"])
        for r in shown["resources"]
        if kind_of(r["urn"]) in TYPES
    }
    assert all(isinstance(p, str) for p in providers)
    assert max(len(p) for p in providers) < 200
    for provider in providers:
        pickled = base64.b64decode(provider)
        assert not any(secret.encode() in pickled for secret in SECRETS)
    # the endpoint's credentials are stored encrypted, as inputs and as outputs
    endpoint = next(r for r in resources if kind_of(r["urn"]) == "EndpointSip")
    for part in ("inputs", "outputs"):
        secret = endpoint[part]["outbound_auth_section_options"]
        assert isinstance(secret, dict)
        assert "ciphertext" in secret


def test_a_second_preview_expects_no_changes(run: Run) -> None:
    run.sandbox.clear_requests()
    run.cli.run("preview", "--expect-no-changes")
    log = run.sandbox.requests()
    assert writes(log) == []
    assert len(reads(log)) == PROGRAM_LOOKUPS


def test_a_label_change_is_one_update_of_the_endpoint_and_nothing_else(run: Run, tmp_path: Path) -> None:
    run.cli.run("config", "set", "--path", "providers[0].label", CHANGED_LABEL)
    digest, text = run.preview(tmp_path)
    assert operations(digest["steps"]) == [("update", "EndpointSip")]
    assert "| 0 | 1 | 0 | 0 |" in text  # create, update, replace, delete
    rows = [line for line in text.splitlines() if line.startswith("| ~ update |")]
    assert len(rows) == 1
    assert "`acme-voipco-endpoint`" in rows[0]
    assert f'`label`: `"VoIPCo (primary)"` → `"{CHANGED_LABEL}"`' in rows[0]
    assert rows[0].count("→") == 1  # that one property

    diff = run.cli.run("preview", "--diff").stdout
    assert changed_properties(diff) == {"label"}
    assert CHANGED_LABEL in diff

    run.sandbox.clear_requests()
    update = run.cli.up()
    assert applied(update.steps) == [("update", "EndpointSip")]
    assert [method for method, _ in writes(run.sandbox.requests())] == ["PUT"]
    labels = {e["name"]: e["label"] for e in snapshot(run.sandbox)["/endpoints/sip"]}
    assert labels["acme-voipco"] == CHANGED_LABEL
    run.cli.run("preview", "--expect-no-changes")


def test_a_new_did_is_three_creates(run: Run, tmp_path: Path) -> None:
    run.cli.run("config", "set", "--type", "string", "--path", "providers[1].incoming[2].did", NEW_DID)
    run.cli.run("config", "set", "--path", "providers[1].incoming[2].destination.type", "none")
    digest, text = run.preview(tmp_path)
    assert operations(digest["steps"]) == [
        ("create", "Extension"),
        ("create", "Incall"),
        ("create", "IncallExtension"),
    ]
    assert "| 3 | 0 | 0 | 0 |" in text

    run.sandbox.clear_requests()
    update = run.cli.up()
    assert applied(update.steps) == [
        ("create", "Extension"),
        ("create", "Incall"),
        ("create", "IncallExtension"),
    ]
    done = [(method, re.sub(r"/\d+(?=/|$)", "/N", path)) for method, path in writes(run.sandbox.requests())]
    # the extension and the incall in either order (they do not depend on each other), then their link
    assert sorted(done[:2]) == [("POST", "/api/confd/1.1/extensions"), ("POST", "/api/confd/1.1/incalls")]
    assert done[2:] == [("PUT", "/api/confd/1.1/incalls/N/extensions/N")]
    run.cli.run("preview", "--expect-no-changes")


def test_a_new_destination_is_one_update_of_the_incall(run: Run, tmp_path: Path) -> None:
    run.cli.run("config", "set", "--path", "providers[0].incoming[1].destination.ring_time", "30")
    digest, text = run.preview(tmp_path)
    steps = changes(digest["steps"])
    assert operations(digest["steps"]) == [("update", "Incall")]
    assert name_of(steps[0]["urn"]) == "did-5551230001-incall"
    rows = [line for line in text.splitlines() if line.startswith("| ~ update |")]
    assert len(rows) == 1
    assert "`destination.ring_time`: `25` → `30`" in rows[0]

    run.sandbox.clear_requests()
    update = run.cli.up()
    assert applied(update.steps) == [("update", "Incall")]
    assert [method for method, _ in writes(run.sandbox.requests())] == ["PUT"]
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


def test_destroy_leaves_the_tenant_as_it_was(run: Run) -> None:
    run.cli.run("destroy", "--yes", "--skip-preview")
    assert snapshot(run.sandbox) == run.before
    left = run.cli.export()["deployment"].get("resources") or []
    assert [r["urn"] for r in left if kind_of(r["urn"]) in TYPES] == []
