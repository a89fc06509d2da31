"""The newcomer's commands with the real CLI: `demo` deploys acme-dev and shows it, `new` stores secrets."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.stack import PASSPHRASE, copy_project

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WAZO_SECRET = "e2e-new-wazo-pass"
PROVIDER_SECRET = "e2e-new-voipco-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stacks_tool(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stacks", "--root", str(project), *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_demo_deploys_the_acme_dev_stack_with_the_real_cli_and_shows_the_tenant(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    for path in (ROOT / "stacks").glob("Pulumi.*-*.yaml"):
        if not path.name.endswith("-demo.yaml"):
            shutil.copy(path, project / "stacks" / path.name)
    port, state = free_port(), tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WAZO_"))}
    try:
        result = stacks_tool(project, "demo", "--port", str(port), "--state-dir", str(state), env=env)
    finally:
        stopped = stacks_tool(project, "demo", "--port", str(port), "--state-dir", str(state), "--stop")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "$ pulumi up --yes --stack acme-demo" in output
    assert "32 created" in output
    assert "What the acme tenant now holds" in output
    assert "Trunks (2)" in output
    assert "Incoming calls (5 DIDs)" in output
    for secret in ("demo-voipco-password", "demo-backupco-password", "acme-secret"):
        assert secret not in output
    assert "Stopped the sandbox." in stopped.stdout
    # the demo's stack file holds the secrets only encrypted
    demo_stack = (project / "stacks" / "Pulumi.acme-demo.yaml").read_text()
    assert "demo-voipco-password" not in demo_stack
    assert "secure:" in demo_stack


def test_new_stores_its_secrets_with_the_real_cli(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    backend = tmp_path / "backend"
    backend.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WAZO_"))}
    env.update(
        PULUMI_BACKEND_URL=f"file://{backend}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_HOME=str(tmp_path / "home"),
        PULUMI_SKIP_UPDATE_CHECK="true",
        # secrets reach `new` from the environment (or a prompt), never from its command line
        WAZO_PASSWORD=WAZO_SECRET,
        WAZO_PROVIDER_PASSWORD=PROVIDER_SECRET,
    )
    result = stacks_tool(
        project,
        "new",
        "--tenant", "acme",
        "--env", "qa",
        "--url", "https://wazo.acme.example",
        "--tenant-uuid", "11111111-1111-4111-8111-111111111111",
        "--username", "acme-deployer",
        "--provider-name", "acme-voipco",
        "--provider-username", "acct123",
        "--provider-host", "sip.voipco.example",
        "--did", "+15551234567=user:alice@acme.example",
        env=env,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert WAZO_SECRET not in output
    assert PROVIDER_SECRET not in output
    text = (project / "stacks" / "Pulumi.acme-qa.yaml").read_text()
    assert WAZO_SECRET not in text
    assert PROVIDER_SECRET not in text
    config = yaml.safe_load(text)["config"]
    assert set(config["wazo-voip:password"]) == {"secure"}
    assert set(config["wazo-voip:providers"][0]["password"]) == {"secure"}
    # the CLI decrypts what it stored
    got = subprocess.run(
        ["pulumi", "config", "get", "password", "--stack", "acme-qa"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert got.stdout.strip() == WAZO_SECRET
