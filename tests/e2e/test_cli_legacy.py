"""The real `pulumi` CLI against a Wazo 20.12 (chan_sip API), then across its upgrade to PJSIP.

The same stack file as test_cli.py (acme-dev, secrets set with `config set --secret`). On 20.12:
up declares the chan_sip objects, a second preview shows no change, destroy leaves the tenant as
it was. Then up again, the sandbox restarted as 26.08 over the same state (migrated as Wazo 20.13
migrated a database): refresh drops the chan_sip objects from the state, up declares their PJSIP
form (taking over the endpoints the migration made), a preview shows no change, and destroy
leaves the tenant with nothing of the stack. The steps share one stack and run in file order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import (
    EXPECTED_CREATES,
    PROVIDER_PASSWORDS,
    STACK,
    STACK_PASSWORD,
    Cli,
    copy_project,
    reads,
    secret_settings,
    snapshot,
    stack_config,
    write_stack_file,
    writes,
)
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.e2e

CHAN_SIP = {"EndpointSipLegacy": 2, "TrunkEndpointSipLegacy": 2, "RegisterSip": 1, "TrunkRegisterSip": 1}
# what the template stack declares on a PJSIP Wazo: its endpoints and their links, and the rest
PJSIP = {kind: EXPECTED_CREATES[kind] for kind in ("EndpointSip", "TrunkEndpointSip")}
COMMON = {kind: n for kind, n in EXPECTED_CREATES.items() if kind not in PJSIP}


# what the program reads on a chan_sip Wazo before declaring anything: confd's API spec and /infos
# (which API, which release), contexts by type (2), the transport the one register line names, and
# the users chosen by email (2); no SIP template (20.12 has none)
PROGRAM_LOOKUPS = [
    "/api/confd/1.1/api/api.yml",
    "/api/confd/1.1/infos",
    "/api/confd/1.1/contexts",
    "/api/confd/1.1/contexts",
    "/api/confd/1.1/sip/transports",
    "/api/confd/1.1/users",
    "/api/confd/1.1/users",
]


def kind_of(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1].rsplit(":", 1)[-1]


def kinds(cli: Cli) -> Counter[str]:
    resources = cli.export()["deployment"].get("resources") or []
    return Counter(kind_of(r["urn"]) for r in resources if r.get("custom") and "dynamic" in r.get("type", ""))


class Run:
    def __init__(self, cli: Cli, sandbox: SandboxProcess, before: dict[str, list[dict[str, Any]]]) -> None:
        self.cli = cli
        self.sandbox = sandbox
        self.before = before


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("e2e-legacy")
    sandbox = SandboxProcess(Path(root) / "state.db").start("--api", "20.12")
    cli = Cli(copy_project(root / "project"), root / "home", root / "backend")
    try:
        cli.login()
        cli.run("stack", "init", STACK)
        write_stack_file(cli.project, stack_config(sandbox.url))
        for key, value in secret_settings():
            cli.run("config", "set", "--secret", "--path", key, value)
        yield Run(cli, sandbox, snapshot(sandbox))
    finally:
        cli.run("destroy", "--yes", "--skip-preview", check=False)
        cli.run("stack", "rm", "--yes", "--force", STACK, check=False)
        sandbox.stop()


def test_up_on_20_12_declares_the_chan_sip_objects(run: Run) -> None:
    result = run.cli.run("up", "--yes", "--skip-preview")
    assert "Wazo 20.12" in result.stdout  # the label notes name the version
    assert kinds(run.cli) == {**COMMON, **CHAN_SIP}
    state = run.cli.export()
    text = str(state)
    for secret in (*PROVIDER_PASSWORDS, STACK_PASSWORD):
        assert secret not in text
    (register,) = [r for r in state["deployment"]["resources"] if kind_of(r["urn"]) == "RegisterSip"]
    assert register["outputs"]["auth_password"].get("ciphertext")
    endpoints = [r for r in state["deployment"]["resources"] if kind_of(r["urn"]) == "EndpointSipLegacy"]
    assert all(r["outputs"]["secret"].get("ciphertext") for r in endpoints)


def test_a_second_preview_shows_no_change(run: Run) -> None:
    run.sandbox.clear_requests()
    run.cli.run("preview", "--expect-no-changes")
    log = run.sandbox.requests()
    assert writes(log) == []
    # the program's own lookups and nothing else: the provider server reads nothing in a preview
    assert sorted(reads(log)) == sorted(PROGRAM_LOOKUPS)


def test_destroy_on_20_12_leaves_the_tenant_as_it_was(run: Run) -> None:
    run.cli.run("destroy", "--yes", "--skip-preview")
    assert snapshot(run.sandbox) == run.before
    assert kinds(run.cli) == {}


def test_after_the_upgrade_refresh_finds_the_chan_sip_objects_gone(run: Run) -> None:
    run.cli.run("up", "--yes", "--skip-preview")
    run.sandbox.restart("--api", "26.08")
    result = run.cli.run("refresh", "--yes", "--skip-preview")
    gone = {kind for kind in CHAN_SIP if f"wazo-voip:{kind}" in result.stdout}
    assert gone == set(CHAN_SIP), result.stdout[-3000:]
    assert "deleted" in result.stdout
    assert kinds(run.cli) == COMMON


def test_up_recreates_them_in_pjsip_form(run: Run) -> None:
    run.sandbox.clear_requests()
    run.cli.run("up", "--yes", "--skip-preview")
    assert kinds(run.cli) == {**COMMON, **PJSIP}
    sent = Counter((method, path.split("/")[4]) for method, path in writes(run.sandbox.requests()))
    # nothing posted: the look before each POST found the endpoint the migration made on the
    # resource's own trunk, which was taken over (one PUT each); the links were already there
    assert sent == {("PUT", "endpoints"): 2, ("PUT", "trunks"): 2}
    run.sandbox.clear_requests()
    run.cli.run("preview", "--expect-no-changes")
    assert writes(run.sandbox.requests()) == []


def test_destroy_after_the_upgrade_removes_everything_the_stack_made(run: Run) -> None:
    run.cli.run("destroy", "--yes", "--skip-preview")
    after = snapshot(run.sandbox)
    for collection in ("/trunks", "/endpoints/sip", "/outcalls", "/incalls", "/extensions"):
        assert after[collection] == [], collection
    assert [c["name"] for c in after["/contexts"]] == [c["name"] for c in run.before["/contexts"]]
