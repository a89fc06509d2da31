"""The brownfield round trip with the real `pulumi` CLI: a tenant made by hand (the README's curl
walkthrough and more), `python -m stacks export` (which stores the SIP passwords with the CLI), then
`up` takes every object over with no write, `preview` expects no change, `refresh` finds no drift,
and the stack file without `adopt` and the recorded ids previews no change either.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.seed import ACME_TENANT
from tests.e2e.stack import ROOT, Cli, copy_project, reads, scrub, token_requests, writes
from tests.support.brownfield import ADOPTED, NEEDS, PASSWORDS, Confd, build_tenant
from tests.support.sandbox import SandboxProcess

pytestmark = [pytest.mark.e2e, NEEDS]

STACK = "acme-e2e"
WAZO_PASSWORD = "acme-secret"
# the program's lookups: confd's API spec, incall and outcall contexts, two templates, one transport,
# two users by email
LOOKUPS = 8


def kind_of(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1].rsplit(":", 1)[-1]


@dataclass
class Trip:
    cli: Cli
    sandbox: SandboxProcess
    confd: Confd
    before: dict[str, list[dict[str, Any]]]
    export: subprocess.CompletedProcess[str]

    @property
    def stack_file(self) -> Path:
        return self.cli.project / "stacks" / f"Pulumi.{STACK}.yaml"


@pytest.fixture(scope="module")
def trip(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trip]:
    sandbox.clean()
    root = tmp_path_factory.mktemp("export-e2e")
    confd = build_tenant(sandbox, root)
    cli = Cli(copy_project(root / "project"), root / "home", root / "backend")
    cli.login()
    before = confd.snapshot()
    sandbox.clear_requests()
    # as an operator runs it: the fleet tool from the repository, on the project, with the CLI on PATH
    command = [sys.executable, "-m", "stacks", "--root", str(cli.project), "export"]
    command += ["--tenant", "acme", "--env", "e2e", "--url", sandbox.url, "--tenant-uuid", ACME_TENANT]
    command += ["--username", "acme-admin"]
    export = subprocess.run(
        command,
        cwd=ROOT,
        env={**cli.env, "WAZO_PASSWORD": WAZO_PASSWORD},
        capture_output=True,
        text=True,
        timeout=cli.timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert export.returncode == 0, scrub(f"{export.stdout}\n{export.stderr}")
    yield Trip(cli, sandbox, confd, before, export)
    cli.run("stack", "rm", "--yes", "--force", STACK, check=False)


def test_the_export_stores_every_secret_with_the_cli_and_none_in_the_file(trip: Trip) -> None:
    text = trip.stack_file.read_text()
    for secret in (WAZO_PASSWORD, *PASSWORDS.values()):
        assert secret not in text
        assert secret not in trip.export.stdout + trip.export.stderr
    config = yaml.safe_load(text)["config"]
    assert "secure" in config["wazo-voip:password"]
    assert all("secure" in p["password"] for p in config["wazo-voip:providers"])
    decrypted = trip.cli.json("config", "--show-secrets")
    assert decrypted["wazo-voip:password"]["value"] == WAZO_PASSWORD
    providers = yaml.safe_load(decrypted["wazo-voip:providers"]["value"])
    assert [p["password"] for p in providers] == [PASSWORDS["acme_provider"], PASSWORDS["acme-backup"]]


def test_up_takes_the_tenant_over_with_no_write(trip: Trip) -> None:
    trip.sandbox.clear_requests()

    update = trip.cli.up()

    log = trip.sandbox.requests()
    assert writes(log) == []
    methods = Counter(r["method"] for r in log if r["path"].startswith("/api/confd/"))
    assert methods == {"GET": LOOKUPS + 3 * 2 + 2 * 2 + 2 * 4 + 3 * 13}
    # one token for the program and one for the provider server
    assert token_requests(log) == 2
    created = Counter(kind_of(urn) for op, urn in update.steps if op == "create" and "dynamic" in urn)
    assert created == ADOPTED
    assert trip.confd.snapshot() == trip.before


def test_then_preview_expects_no_change_and_refresh_finds_no_drift(trip: Trip) -> None:
    trip.sandbox.clear_requests()
    trip.cli.run("preview", "--expect-no-changes")
    trip.cli.run("refresh", "--expect-no-changes", "--yes", "--skip-preview")
    assert writes(trip.sandbox.requests()) == []
    assert len(reads(trip.sandbox.requests())) > 0


def test_adopt_and_the_recorded_ids_removed_preview_no_change(trip: Trip) -> None:
    document = yaml.safe_load(trip.stack_file.read_text())
    config = document["config"]
    del config["wazo-voip:adopt"]
    for provider in config["wazo-voip:providers"]:
        del provider["trunk_id"]
        for did in provider.get("incoming", []):
            del did["incall_id"]
    trip.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    trip.sandbox.clear_requests()

    trip.cli.run("preview", "--expect-no-changes")
    update = trip.cli.up()

    assert update.summary == {"same": sum(ADOPTED.values()) + 2 + 1}  # + the components and the stack
    assert writes(trip.sandbox.requests()) == []
    assert trip.confd.snapshot() == trip.before
