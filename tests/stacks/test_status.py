"""`status`: each provider trunk's registration as wazo-calld reports it, against the sandbox.

The acme-dev stack is deployed into the sandbox through the real providers (the engine double of
tests/component); the sandbox's calld hooks then play Asterisk's part.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from providers.confd.auth import forget_tokens
from stacks.cli import cli
from tests.component.test_program import PASSWORDS, acme_dev_config
from tests.stacks.conftest import Invoke, Project
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
CALLD_TRUNKS = "/api/calld/1.0/trunks"


def use_sandbox(project: Project, sandbox: SandboxProcess, *names: str, **extra: str) -> None:
    """The repository's stack files, pointed at this sandbox, with extra `wazo-voip:` keys."""
    for name in names:
        text = (
            (ROOT / "stacks" / f"Pulumi.{name}.yaml")
            .read_text()
            .replace("http://127.0.0.1:9486", sandbox.url)
        )
        for key, value in extra.items():
            text = text.replace("config:\n", f"config:\n  wazo-voip:{key}: {value}\n", 1)
        (project.stacks / f"Pulumi.{name}.yaml").write_text(text)


@pytest.fixture
def deployed(
    clean_sandbox: SandboxProcess, project: Project, monkeypatch: pytest.MonkeyPatch
) -> SandboxProcess:
    """acme-dev deployed; its stack file in the project; the password in the environment only."""
    EngineDouble(acme_dev_config(clean_sandbox)).run(stack="acme-dev")
    use_sandbox(project, clean_sandbox, "acme-dev")
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    forget_tokens()  # the deployment's token stays cached in this process: count status's own login
    clean_sandbox.clear_requests()
    return clean_sandbox


def calld_requests(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"] == CALLD_TRUNKS]


def rows(output: str) -> dict[str, str]:
    """The trunk lines of the report, by trunk name."""
    return {line.split()[0]: line for line in output.splitlines() if line.startswith("  acme-")}


def test_right_after_up_the_registering_trunk_is_not_registered(deployed: SandboxProcess, invoke: Invoke):
    result = invoke("status", "acme-dev")

    assert result.exit_code == 1, result.output
    assert "acme-dev: NOT READY: acme-voipco (not registered)" in result.output
    trunks = rows(result.output)
    assert trunks["acme-voipco"].split() == ["acme-voipco", "not", "registered", "0", "yes"]
    assert "not registered" in trunks["acme-backupco"]
    assert trunks["acme-backupco"].endswith("no (registration disabled: not a failure)")
    assert "1 stack: 0 ready, 1 not ready, 0 failed" in result.output


def test_registered_with_calls_in_progress_is_ready(deployed: SandboxProcess, invoke: Invoke):
    deployed.set_trunk_status("acme-voipco", registered=True, current_call_count=3)

    result = invoke("status", "acme-dev")

    assert result.exit_code == 0, result.output
    assert "acme-dev: ok, every expected registration is up" in result.output
    assert rows(result.output)["acme-voipco"].split() == ["acme-voipco", "registered", "3", "yes"]
    # the backup's registration is disabled: calld's false is no failure
    assert "not registered" in rows(result.output)["acme-backupco"]
    assert [(r["method"], r["tenant"]) for r in calld_requests(deployed)] == [
        ("GET", "11111111-1111-4111-8111-111111111111")
    ]


def test_wait_polls_until_the_registration_comes_up(deployed: SandboxProcess, invoke: Invoke):
    """Asterisk registers after calld has answered twice: the third round sees it, and it stops there."""
    deployed.set_trunk_status("acme-voipco", after=2, registered=True)

    result = invoke("status", "acme-dev", "--wait", "60", "--interval", "0.05")

    assert result.exit_code == 0, result.output
    assert "acme-dev: ok, every expected registration is up" in result.output
    assert len(calld_requests(deployed)) == 3
    logins = [r for r in deployed.requests() if r["path"] == "/api/auth/0.1/token"]
    assert len(logins) == 1  # one token for every round
    assert result.stderr.count("waiting for acme-dev: acme-voipco not registered") == 2


def test_wait_gives_up_when_the_registration_does_not_come(deployed: SandboxProcess, invoke: Invoke):
    result = invoke("status", "acme-dev", "--wait", "0.3", "--interval", "0.05")

    assert result.exit_code == 1, result.output
    assert "acme-dev: NOT READY after" in result.output
    assert "acme-voipco (not registered)" in result.output
    assert len(calld_requests(deployed)) >= 2


def test_a_trunk_calld_does_not_list_is_not_loaded_yet(deployed: SandboxProcess, invoke: Invoke):
    deployed.set_trunk_status("acme-voipco", listed=False)
    deployed.forget_trunk_status("acme-backupco")

    result = invoke("status", "acme-dev")

    assert result.exit_code == 1, result.output
    assert "acme-dev: NOT READY: acme-voipco (not loaded yet)" in result.output
    assert rows(result.output)["acme-voipco"].split()[:5] == ["acme-voipco", "not", "loaded", "yet", "-"]
    assert rows(result.output)["acme-backupco"].split()[:3] == ["acme-backupco", "unknown", "-"]


def test_a_stack_never_deployed_is_not_loaded_yet_not_a_crash(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    use_sandbox(project, clean_sandbox, "other-dev")
    monkeypatch.setenv("WAZO_PASSWORD", "other-secret")

    result = invoke("status", "other-dev")

    assert result.exit_code == 1, result.output
    assert "other-dev: NOT READY: other-francotel (not loaded yet)" in result.output
    assert "Traceback" not in result.output


def test_unreachable_or_refusing_calld_is_reported_and_the_other_stacks_go_on(
    deployed: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    """other-dev's calld is unreachable, acme-prod's refuses its user; acme-dev is still checked."""
    deployed.set_trunk_status("acme-voipco", registered=True)
    use_sandbox(project, deployed, "other-dev", calldUrl="http://127.0.0.1:9/api/calld/1.0")
    prod = (project.stacks / "Pulumi.acme-dev.yaml").read_text()
    prod = prod.replace("wazo-voip:username: acme-admin", "wazo-voip:username: acme-readonly")
    prod = prod.replace("acme-voipco", "acme-voipco-p").replace("acme-backupco", "acme-backupco-p")
    (project.stacks / "Pulumi.acme-prod.yaml").write_text(prod.replace("acme-out", "acme-out-p"))
    monkeypatch.delenv("WAZO_PASSWORD")
    passwords = "acme-secret\nreadonly-secret\nother-secret\n"  # asked once per user, stacks in name order

    result = invoke("status", obj={"interactive": True}, input=passwords)

    assert result.exit_code == 1, result.output
    out = result.output
    assert "acme-dev: ok, every expected registration is up" in out
    assert "acme-prod: FAILED, wazo-calld refused user 'acme-readonly' (401): the token lacks the ACL" in out
    assert "calld.trunks.read" in out
    assert (
        "other-dev: FAILED, unreachable: no answer from wazo-calld at http://127.0.0.1:9/api/calld/1.0" in out
    )
    assert "check wazo-voip:calldUrl (or WAZO_CALLD_URL)" in out
    assert "3 stacks: 1 ready, 0 not ready, 2 failed" in out


def test_a_calld_answering_5xx_is_reported_after_retries(deployed: SandboxProcess, invoke: Invoke):
    deployed.fault(path=CALLD_TRUNKS, status=503, times=10)

    result = invoke("status", "acme-dev")

    assert result.exit_code == 1, result.output
    assert "acme-dev: FAILED, wazo-calld failed [GET /api/calld/1.0/trunks -> HTTP 503]" in result.output
    assert len(calld_requests(deployed)) == 4  # the first try and three retries


def test_a_proxy_answering_403_is_a_refusal_not_retried(deployed: SandboxProcess, invoke: Invoke):
    deployed.fault(path=CALLD_TRUNKS, status=403, times=5)

    result = invoke("status", "acme-dev", "--wait", "5", "--interval", "0.05")

    assert result.exit_code == 1, result.output
    assert "acme-dev: FAILED, wazo-calld refused user 'acme-admin' (403)" in result.output
    assert len(calld_requests(deployed)) == 1


def test_no_password_is_ever_taken_from_the_command_line(deployed: SandboxProcess, invoke: Invoke):
    options = [name for param in cli.commands["status"].params for name in param.opts]
    refused = invoke("status", "acme-dev", "--password", "acme-secret")

    assert [name for name in options if "password" in name or "token" in name] == []
    assert refused.exit_code == 2
    assert "No such option '--password'" in refused.output


def test_without_credentials_it_says_which_keys_to_set(
    deployed: SandboxProcess, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("WAZO_PASSWORD")

    result = invoke("status", "acme-dev")

    assert result.exit_code == 1
    assert "acme-dev: FAILED, no credentials: set wazo-voip:token (or WAZO_TOKEN)" in result.output
    assert calld_requests(deployed) == []


def test_in_a_terminal_it_prompts_for_the_password_once_and_never_echoes_it(
    deployed: SandboxProcess, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("WAZO_PASSWORD")
    deployed.set_trunk_status("acme-voipco", registered=True)

    result = invoke("status", "acme-dev", obj={"interactive": True}, input="acme-secret\n")

    assert result.exit_code == 0, result.output
    assert "wazo-auth password of acme-admin" in result.output
    assert "acme-secret" not in result.output


def test_secrets_never_reach_the_output(deployed: SandboxProcess, invoke: Invoke):
    result = invoke("status", "acme-dev", "--wait", "0.1", "--interval", "0.05")

    for secret in ["acme-secret", *PASSWORDS.values()]:
        assert secret not in result.output


# -- the stack's own secrets, through the Pulumi CLI ------------------------------------------------------

# the real CLI decrypts the stack's secrets: skipped without one, like the other CLI suites, except in CI
needs_cli = pytest.mark.e2e


@pytest.fixture
def pulumi_stack(
    deployed: SandboxProcess, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """acme-dev created on a file backend; the wazo-auth password stored encrypted by the CLI only."""
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "status-test")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    (tmp_path / "state").mkdir()
    path = project.stacks / "Pulumi.acme-dev.yaml"
    config = path.read_text()
    path.unlink()

    def pulumi(*args: str, stdin: str | None = None) -> None:
        subprocess.run(
            ["pulumi", *args], cwd=project.root, input=stdin, text=True, check=True, capture_output=True
        )

    pulumi("stack", "init", "acme-dev")
    salt = path.read_text()  # what `stack init` wrote: the encryption salt
    path.write_text(salt + config)
    pulumi("config", "set", "--secret", "password", "--stack", "acme-dev", stdin="acme-secret")
    monkeypatch.delenv("WAZO_PASSWORD")
    return path


@needs_cli
def test_the_password_comes_from_the_stack_through_the_pulumi_cli(
    deployed: SandboxProcess, pulumi_stack: Path, invoke: Invoke
):
    deployed.set_trunk_status("acme-voipco", registered=True)

    result = invoke("status", "acme-dev", obj={"which": shutil.which})

    assert result.exit_code == 0, result.output
    assert "acme-dev: ok, every expected registration is up" in result.output
    assert "secure: v1:" in pulumi_stack.read_text()
    assert "acme-secret" not in result.output


@needs_cli
def test_when_the_cli_cannot_decrypt_the_stack_the_file_and_environment_are_used(
    deployed: SandboxProcess, pulumi_stack: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not-the-passphrase")
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")

    result = invoke("status", "acme-dev", obj={"which": shutil.which})

    assert "acme-dev: the Pulumi CLI could not read the config of stack acme-dev" in result.stderr
    assert "reading Pulumi.acme-dev.yaml instead (secrets from the environment)" in result.stderr
    assert "acme-dev: NOT READY: acme-voipco (not registered)" in result.stdout
