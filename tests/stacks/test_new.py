"""`new`: a validated stack file from flags; secrets go to the Pulumi CLI, never into the file."""

from __future__ import annotations

import shlex
import stat
from pathlib import Path

import pytest
import yaml

from providers.model import load_stack_config
from stacks.stackfile import SECRET_PLACEHOLDER
from tests.stacks.conftest import Invoke, Project

WAZO_SECRET = "wazo-pass-never-printed"
PROVIDER_SECRET = "voipco-pass-never-printed"

FLAGS = [
    "new",
    "--tenant", "acme",
    "--env", "dev",
    "--url", "http://127.0.0.1:9486",
    "--tenant-uuid", "11111111-1111-4111-8111-111111111111",
    "--username", "acme-admin",
    "--provider-name", "acme-voipco",
    "--provider-label", "VoIPCo",
    "--provider-username", "acct123",
    "--provider-host", "sip.voipco.example",
    "--outcall", "acme-out",
    "--pattern", "_0XXXXXXXXX:1",
    "--pattern", "_00.",
    "--did", "+15551234567=user:alice@acme.example",
    "--did", "+15551234568=group:1",
    "--did", "+15551234569=hangup:cause=busy",
]  # fmt: skip


@pytest.fixture(autouse=True)
def secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets reach `new` as an operator gives them: in the environment, never as arguments."""
    monkeypatch.setenv("WAZO_PASSWORD", WAZO_SECRET)
    monkeypatch.setenv("WAZO_PROVIDER_PASSWORD", PROVIDER_SECRET)


def test_new_takes_no_secret_on_its_command_line(invoke: Invoke) -> None:
    for option in ("--password", "--provider-password"):
        result = invoke(*FLAGS, option, "some-secret")
        assert result.exit_code == 2
        assert f"No such option '{option}'" in result.output


def test_new_without_cli_writes_a_valid_file_and_prints_the_exact_commands(
    project: Project, invoke: Invoke
) -> None:
    result = invoke(*FLAGS)

    assert result.exit_code == 0, result.output
    path = project.stacks / "Pulumi.acme-dev.yaml"
    text = path.read_text()
    assert WAZO_SECRET not in text
    assert PROVIDER_SECRET not in text
    assert WAZO_SECRET not in result.output
    assert PROVIDER_SECRET not in result.output
    config = yaml.safe_load(text)["config"]
    assert config["wazo-voip:url"] == "http://127.0.0.1:9486"
    provider = config["wazo-voip:providers"][0]
    assert "password" not in provider
    assert "wazo-voip:password" not in config
    assert provider["outgoing"] == {
        "outcall": "acme-out",
        "patterns": [{"exten": "_0XXXXXXXXX", "strip_digits": 1}, {"exten": "_00."}],
    }
    assert provider["incoming"] == [
        {"did": "+15551234567", "destination": {"type": "user", "user_email": "alice@acme.example"}},
        {"did": "+15551234568", "destination": {"type": "group", "group_id": 1}},
        {"did": "+15551234569", "destination": {"type": "hangup", "cause": "busy"}},
    ]
    # The file is what the models accept once the CLI has added the secrets.
    values = {key.removeprefix("wazo-voip:"): value for key, value in config.items()}
    values["providers"][0]["password"] = SECRET_PLACEHOLDER
    assert load_stack_config(values).providers[0].name == "acme-voipco"
    commands = [line.strip() for line in result.stdout.splitlines() if line.startswith("  pulumi ")]
    assert commands == [
        "pulumi stack select --create acme-dev",
        "pulumi config set --secret --stack acme-dev password",
        "pulumi config set --secret --stack acme-dev --path 'providers[0].password'",
    ]
    assert "the Pulumi CLI is not on PATH" in result.stdout


def test_new_refuses_invalid_answers_and_writes_nothing(project: Project, invoke: Invoke) -> None:
    flags = [f if f != "_0XXXXXXXXX:1" else "0XXXXXXXXX" for f in FLAGS]
    flags = [
        f if f != "+15551234567=user:alice@acme.example" else "+1555=user:alice@acme.example" for f in flags
    ]

    result = invoke(*flags)

    assert result.exit_code == 1
    assert "nothing written" in result.output
    assert "wazo-voip:providers[0].outgoing.patterns[0].exten:" in result.output
    assert "wazo-voip:providers[0].incoming[0].did: is not an E.164 number" in result.output
    assert not list(project.stacks.iterdir())
    assert PROVIDER_SECRET not in result.output


def test_new_lets_the_models_check_destinations(project: Project, invoke: Invoke) -> None:
    flags = [f if f != "+15551234569=hangup:cause=busy" else "+15551234569=hangup" for f in FLAGS]

    result = invoke(*flags)

    assert result.exit_code == 1
    assert "wazo-voip:providers[0].incoming[2].destination:" in result.output
    assert not list(project.stacks.iterdir())


def test_new_names_the_missing_flags_when_not_interactive(project: Project, invoke: Invoke) -> None:
    result = invoke("new", "--tenant", "acme", "--env", "dev")

    assert result.exit_code == 2
    assert (
        "missing --url, --tenant-uuid, --provider-name, --provider-username, --provider-host" in result.output
    )


def test_new_does_not_overwrite_without_force(project: Project, invoke: Invoke) -> None:
    project.write("acme-dev", "config: {}\n")

    refused = invoke(*FLAGS)
    forced = invoke(*FLAGS, "--force")

    assert refused.exit_code == 1
    assert "already exists" in refused.output
    assert forced.exit_code == 0, forced.output


def _fake_pulumi(tmp_path: Path, fail_on: str | None = None) -> tuple[Path, Path]:
    """A `pulumi` that records its arguments and stdin, one line each."""
    log = tmp_path / "pulumi.log"
    script = tmp_path / "bin" / "pulumi"
    script.parent.mkdir()
    failure = f'case "$*" in *{fail_on}*) echo "error: boom" >&2; exit 1;; esac\n' if fail_on else ""
    script.write_text(f'#!/bin/sh\n{failure}echo "ARGS $*" >> {log}\necho "STDIN $(cat)" >> {log}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def test_new_with_cli_stores_secrets_through_stdin(project: Project, invoke: Invoke, tmp_path: Path) -> None:
    script, log = _fake_pulumi(tmp_path)

    result = invoke(*FLAGS, obj={"which": lambda name: str(script)})

    assert result.exit_code == 0, result.output
    assert log.read_text().splitlines() == [
        "ARGS stack select --create acme-dev",
        "STDIN ",
        "ARGS config set --secret --stack acme-dev password",
        f"STDIN {WAZO_SECRET}",
        "ARGS config set --secret --stack acme-dev --path providers[0].password",
        f"STDIN {PROVIDER_SECRET}",
    ]
    assert "ran: pulumi config set --secret --stack acme-dev --path 'providers[0].password'" in result.stdout
    assert WAZO_SECRET not in result.output
    assert PROVIDER_SECRET not in result.output
    assert WAZO_SECRET not in (project.stacks / "Pulumi.acme-dev.yaml").read_text()


def test_new_with_cli_asks_for_secrets_it_was_not_given(
    project: Project, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = _fake_pulumi(tmp_path)
    monkeypatch.delenv("WAZO_PROVIDER_PASSWORD")

    result = invoke(*FLAGS, obj={"which": lambda name: str(script)})

    assert result.exit_code == 0, result.output
    assert "--path providers[0].password" not in log.read_text()
    assert "  pulumi config set --secret --stack acme-dev --path 'providers[0].password'" in result.stdout


def test_new_reports_a_failing_cli_and_what_is_left_to_run(
    project: Project, invoke: Invoke, tmp_path: Path
) -> None:
    script, _ = _fake_pulumi(tmp_path, fail_on="--path")

    result = invoke(*FLAGS, obj={"which": lambda name: str(script)})

    assert result.exit_code == 1
    assert "failed: error: boom" in result.stderr
    left = [shlex.split(line) for line in result.stdout.splitlines() if line.startswith("  pulumi ")]
    assert left == [
        ["pulumi", "config", "set", "--secret", "--stack", "acme-dev", "--path", "providers[0].password"]
    ]
    assert PROVIDER_SECRET not in result.output


def test_new_prompts_when_interactive(
    project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WAZO_PASSWORD")
    monkeypatch.delenv("WAZO_PROVIDER_PASSWORD")
    answers = "\n".join(
        [
            "other",  # tenant
            "prod",  # env
            "https://wazo.other.example",
            "22222222-2222-4222-8222-222222222222",
            "other-deployer",
            WAZO_SECRET,
            "other-francotel",
            "0140000000",
            PROVIDER_SECRET,
            "sip.francotel.example",
            "other-out",
            "_0[1-9]XXXXXXXX,_00.:2",
            "+33140000000=user:oscar@other.example",
        ]
    )

    result = invoke("new", obj={"interactive": True}, input=answers + "\n")

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project.stacks / "Pulumi.other-prod.yaml").read_text())["config"]
    assert config["wazo-voip:providers"][0]["outgoing"]["patterns"][1] == {"exten": "_00.", "strip_digits": 2}
    assert config["wazo-voip:providers"][0]["incoming"][0]["did"] == "+33140000000"
    assert WAZO_SECRET not in result.output
    assert PROVIDER_SECRET not in result.output
