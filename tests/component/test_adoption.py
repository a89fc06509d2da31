"""The round trip: a tenant made by hand, exported to a stack file, taken under management by `up`
with no write at all, then nothing to do, no drift, and `adopt` and the recorded ids removed with no
change. The program runs under the engine double against the sandbox; tests/e2e/test_export.py runs
the same trip with the real CLI.
"""

from __future__ import annotations

import copy
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from sandbox.seed import ACME_TENANT
from stacks.cli import cli
from tests.support.brownfield import ADOPTED, NEEDS, PASSWORDS, build_tenant
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

pytestmark = NEEDS

CONFD = "/api/confd/1.1"
WAZO_PASSWORD = "acme-secret"


def fake_pulumi(directory: Path) -> tuple[Path, Path]:
    """A `pulumi` that records each call's arguments and stdin, so that the stored secrets are known."""
    log = directory / "pulumi.log"
    script = directory / "bin" / "pulumi"
    script.parent.mkdir(parents=True)
    script.write_text(f'#!/bin/sh\necho "ARGS $*" >> {log}\necho "STDIN $(cat)" >> {log}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def stored_secrets(log: Path) -> dict[str, str]:
    """`pulumi config set --secret ... KEY` -> the value it read on stdin, per key."""
    lines = log.read_text().splitlines()
    secrets = {}
    for args, stdin in zip(lines[::2], lines[1::2], strict=True):
        if args.startswith("ARGS config set --secret"):
            secrets[args.split()[-1]] = stdin.removeprefix("STDIN ")
    return secrets


def export(sandbox: SandboxProcess, root: Path, *extra: str, which: str | None = None) -> Any:
    args = ["--root", str(root), "export", "--tenant", "acme", "--env", "dev", "--url", sandbox.url]
    args += ["--tenant-uuid", ACME_TENANT, "--username", "acme-admin", *extra]
    seams = {"interactive": False, "which": lambda name: which}
    return CliRunner().invoke(cli, args, obj=seams, env={"WAZO_PASSWORD": WAZO_PASSWORD})


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: wazo-voip\nruntime: python\nstackConfigDir: stacks\n")
    return root


def engine_config(path: Path, secrets: dict[str, str]) -> dict[str, Any]:
    """The stack file's config as the program sees it once the CLI holds the secrets."""
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    config["wazo-voip:password"] = secrets.pop("password")
    for key, value in secrets.items():
        index = int(key.removeprefix("providers[").split("]")[0])
        config["wazo-voip:providers"][index]["password"] = value
    return config


def methods(sandbox: SandboxProcess, since: int) -> Counter[str]:
    return Counter(r["method"] for r in sandbox.requests(since=since) if r["path"].startswith(CONFD))


@pytest.fixture(scope="module")
def trip(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Built, exported, then one `up`: what each step saw."""
    sandbox.clean()
    tmp = tmp_path_factory.mktemp("trip")
    confd = build_tenant(sandbox, tmp)
    before = confd.snapshot()
    root = project(tmp)
    script, log = fake_pulumi(tmp)
    seq = sandbox.last_seq()
    result = export(sandbox, root, which=str(script))
    export_requests = sandbox.requests(since=seq)
    path = root / "stacks" / "Pulumi.acme-dev.yaml"
    secrets = stored_secrets(log)
    engine = EngineDouble(engine_config(path, dict(secrets)))
    seq = sandbox.last_seq()
    first = engine.run(stack="acme-dev")
    return {
        "confd": confd,
        "before": before,
        "result": result,
        "export_requests": export_requests,
        "path": path,
        "secrets": secrets,
        "log": log,
        "engine": engine,
        "first": first,
        "up": methods(sandbox, seq),
    }


def test_the_export_reads_the_tenant_with_one_list_per_collection(trip):
    result = trip["result"]
    assert result.exit_code == 0, result.output
    requests = [f"{r['method']} {r['path'].removeprefix(CONFD)}" for r in trip["export_requests"]]
    assert requests == [
        "POST /api/auth/0.1/token",
        "GET /api/api.yml",  # which API the Wazo speaks
        "GET /trunks",
        "GET /endpoints/sip",
        "GET /outcalls",
        "GET /incalls",
        "GET /extensions",
        "GET /contexts",
        "GET /endpoints/sip/templates",
        "GET /sip/transports",
        "GET /users",
    ]
    assert "2 providers, 2 outcalls with 4 dial patterns, 13 DIDs; adopt: true" in result.stdout


def test_the_secrets_go_to_the_cli_on_stdin_and_never_into_the_file_or_the_output(trip):
    text = trip["path"].read_text()
    assert trip["secrets"] == {
        "password": WAZO_PASSWORD,
        "providers[0].password": PASSWORDS["acme_provider"],
        "providers[1].password": PASSWORDS["acme-backup"],
    }
    for secret in (WAZO_PASSWORD, *PASSWORDS.values()):
        assert secret not in text
        assert secret not in trip["result"].output
    assert trip["log"].read_text().splitlines()[0] == "ARGS stack select --create acme-dev"


def test_the_first_up_adopts_everything_with_no_write(trip):
    assert trip["up"]["POST"] == 0
    assert trip["up"]["DELETE"] == 0
    assert trip["up"]["PUT"] == 0
    # reads only: the program's 8 lookups (confd's API spec, 2 contexts, 2 templates, 1 transport, 2
    # users by email),
    # then each object found and each link observed: 3 per trunk, 2 per outcall and per pattern,
    # 3 per DID
    assert trip["up"] == {"GET": 8 + 3 * 2 + 2 * 2 + 2 * 4 + 3 * 13}
    assert trip["confd"].snapshot() == trip["before"]
    kinds = Counter(key.split("::")[0].rsplit(":", 1)[-1] for _, key in trip["first"].operations)
    assert kinds == ADOPTED


def test_then_up_has_nothing_to_do_and_refresh_finds_no_drift(trip, sandbox):
    engine: EngineDouble = trip["engine"]
    seq = sandbox.last_seq()
    again = engine.run(stack="acme-dev")
    assert again.operations == []
    assert methods(sandbox, seq).keys() <= {"GET"}
    for resource in engine.state.values():
        read = engine.provider(resource.provider).read(resource.id, resource.outputs)
        assert (read.id, read.outs) == (resource.id, resource.outputs), resource.key


def test_adopt_and_the_recorded_ids_can_then_be_removed_with_no_change(trip, sandbox):
    engine: EngineDouble = trip["engine"]
    config = copy.deepcopy(engine.config)
    del config["wazo-voip:adopt"]
    for provider in config["wazo-voip:providers"]:
        del provider["trunk_id"]
        for did in provider.get("incoming", []):
            del did["incall_id"]
    engine.config = config
    seq = sandbox.last_seq()

    result = engine.run(stack="acme-dev")

    assert result.operations == []
    assert methods(sandbox, seq).keys() <= {"GET"}
    assert trip["confd"].snapshot() == trip["before"]


def test_the_exported_file_reads_as_an_operator_would_write_it(trip):
    config = yaml.safe_load(trip["path"].read_text())["config"]
    assert "wazo-voip:contexts" not in config  # the tenant's only contexts: the lookup finds them
    readme, backup = config["wazo-voip:providers"]
    assert {k: v for k, v in readme.items() if k not in ("outgoing", "incoming")} == {
        "name": "acme_provider",
        "trunk_id": 1,
        "label": "ACME provider",
        "username": "acct123",
        "host": "sip.provider.example",
        "transport": None,
        "registration": {"contact_user": "acct123"},
    }
    assert readme["outgoing"] == {
        "outcall": "acme-provider-out",
        "patterns": [
            {"exten": "_1NXXNXXXXXX", "strip_digits": 1, "prefix": "9", "external_prefix": "+1"},
            {"exten": "_418.", "caller_id": "+15551234567"},
        ],
    }
    assert {k: v for k, v in backup.items() if k != "outgoing"} == {
        "name": "acme-backup",
        "trunk_id": 2,
        "label": "Backup provider",
        "username": "backup-acct",
        "host": "backup.provider.example",
        "port": 5080,
        "registration": {"enabled": False},
        "keepalive": {"enabled": False},
        "match": ["198.51.100.10", "198.51.100.0/28"],
        "outgoing_caller_id_format": "national",
        "options": {
            "aor": [["max_contacts", "1"]],
            "endpoint": [["dtmf_mode", "rfc4733"], ["allow", "!all,alaw,ulaw"]],
        },
    }
    assert backup["outgoing"]["trunks"] == ["acme-backup", "acme_provider"]
    dids = {d["did"]: d for d in readme["incoming"]}
    assert dids["15551234567"] == {
        "did": "15551234567",
        "incall_id": 1,
        "destination": {"type": "user", "user_email": "alice@acme.example"},
    }
    assert dids["15551230007"]["destination"] == {
        "type": "user",
        "user_email": "bob@acme.example",
        "ring_time": 25,
    }
    bob = dids["15551230007"]
    assert (bob["caller_id_mode"], bob["caller_id_name"]) == ("prepend", "Bob")
