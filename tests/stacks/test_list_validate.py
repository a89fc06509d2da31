"""`list` and `validate`: offline, every problem named by file and key, secrets never printed."""

from __future__ import annotations

import json

import pytest

from tests.stacks.conftest import GOOD_STACK, Invoke, Project

CLEAR_SECRET = "hunter2-do-not-print"
ACME_UUID = "11111111-1111-4111-8111-111111111111"
OTHER_UUID = "22222222-2222-4222-8222-222222222222"


def test_validate_accepts_good_stacks_with_encrypted_secrets(project: Project, invoke: Invoke) -> None:
    project.write("acme-dev", GOOD_STACK)
    project.write("acme-prod", GOOD_STACK.replace("127.0.0.1:9486", "wazo.acme.example"))

    result = invoke("validate")

    assert result.exit_code == 0, result.output
    assert "2 stack files checked: 0 error(s), 0 warning(s)" in result.stdout
    assert "v1:" not in result.output


def test_validate_checks_the_repository_stacks() -> None:
    """The example stacks committed in stacks/ pass (missing provider passwords are warnings)."""
    from click.testing import CliRunner

    from stacks.cli import DEFAULT_ROOT, cli

    result = CliRunner().invoke(cli, ["--root", str(DEFAULT_ROOT), "validate"], obj={"interactive": False})

    assert result.exit_code == 0, result.output


BAD_FILES = {
    "model error on a nested key": (
        GOOD_STACK.replace('did: "+15551234567"', 'did: "+1555"'),
        "wazo-voip:providers[0].incoming[0].did: is not an E.164 number",
    ),
    "missing required key": (
        GOOD_STACK.replace("  wazo-voip:url: http://127.0.0.1:9486\n", ""),
        "wazo-voip:url: is missing",
    ),
    "unknown key": (
        GOOD_STACK.replace("      label: VoIPCo\n", "      lable: VoIPCo\n"),
        "wazo-voip:providers[0].lable: is not a known setting",
    ),
    "secret written in clear": (
        GOOD_STACK.replace(
            "      password:\n        secure: v1:c2FsdA==:BBBBbm90LWEtcmVhbC1jaXBoZXJ0ZXh0\n",
            f"      password: {CLEAR_SECRET}\n",
        ),
        "wazo-voip:providers[0].password: is a secret written in clear in the file",
    ),
    "top-level secret in clear": (
        GOOD_STACK.replace(
            "  wazo-voip:password:\n    secure: v1:c2FsdA==:AAAAbm90LWEtcmVhbC1jaXBoZXJ0ZXh0\n",
            f"  wazo-voip:password: {CLEAR_SECRET}\n",
        ),
        "wazo-voip:password: is a secret written in clear in the file",
    ),
    "malformed secure object": (
        GOOD_STACK.replace("secure: v1:c2FsdA==:BBBBbm90LWEtcmVhbC1jaXBoZXJ0ZXh0", "secure: ''"),
        "wazo-voip:providers[0].password: is a malformed secret",
    ),
    "invalid YAML": (
        GOOD_STACK.replace("    - name: acme-voipco", "    - name: [acme"),
        "is not valid YAML at line",
    ),
    "duplicate key": (
        GOOD_STACK + "  wazo-voip:url: http://other.example\n",
        "found the key 'wazo-voip:url' twice",
    ),
    "unknown top-level key": ("configs:\n  wazo-voip:url: x\n", "configs: is not a stack settings key"),
    "cross-field rule": (
        GOOD_STACK.replace("        patterns: [", "        trunks: [nobody]\n        patterns: ["),
        "outgoing.trunks names 'nobody'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_validate_names_file_and_key_of_each_error(project: Project, invoke: Invoke, case: str) -> None:
    text, expected = BAD_FILES[case]
    project.write("acme-dev", text)
    project.write("other-dev", GOOD_STACK.replace("acme", "other").replace(ACME_UUID, OTHER_UUID))

    result = invoke("validate")

    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("stacks/")]
    assert errors, result.output
    assert all(line.startswith("stacks/Pulumi.acme-dev.yaml") for line in errors), errors
    assert any(expected in line for line in errors), errors
    assert CLEAR_SECRET not in result.output
    assert "BBBB" not in result.output
    assert "AAAA" not in result.output


def test_validate_reports_every_error_not_only_the_first(project: Project, invoke: Invoke) -> None:
    text = GOOD_STACK.replace("http://127.0.0.1:9486", "ftp://nowhere").replace(
        'did: "+15551234567"', 'did: "12ab"'
    )
    project.write("acme-dev", text)

    result = invoke("validate")

    assert result.exit_code == 1
    assert "stacks/Pulumi.acme-dev.yaml: wazo-voip:url: must be an http(s) URL" in result.stderr
    assert "stacks/Pulumi.acme-dev.yaml: wazo-voip:providers[0].incoming[0].did:" in result.stderr


def test_validate_rejects_a_badly_named_file(project: Project, invoke: Invoke) -> None:
    project.write("Acme_Dev", GOOD_STACK)

    result = invoke("validate")

    assert result.exit_code == 1
    assert "stacks/Pulumi.Acme_Dev.yaml: is not named Pulumi.<tenant>-<env>.yaml" in result.stderr


def test_validate_finds_conflicts_between_stacks_of_one_wazo(project: Project, invoke: Invoke) -> None:
    project.write("acme-dev", GOOD_STACK)
    project.write("acme-test", GOOD_STACK)  # same Wazo, same tenant, same endpoint and outcall names

    result = invoke("validate")

    assert result.exit_code == 1
    assert "stacks/Pulumi.acme-test.yaml: wazo-voip:tenant: tenant 11111111" in result.stderr
    assert "already managed by the stack acme-dev" in result.stderr
    assert "stacks/Pulumi.acme-test.yaml: wazo-voip:providers[0].name: SIP endpoint name 'acme-voipco'" in (
        result.stderr
    )
    assert "wazo-voip:providers[0].outgoing.outcall: outcall name 'acme-out'" in result.stderr


def test_the_demos_copy_of_a_stack_is_no_stack_of_the_fleet(project: Project, invoke: Invoke) -> None:
    """`make demo` leaves Pulumi.acme-demo.yaml (git-ignored) beside acme-dev: same tenant, same names."""
    project.write("acme-dev", GOOD_STACK)
    project.write("acme-demo", GOOD_STACK)

    result = invoke("validate")

    assert result.exit_code == 0, result.output
    assert "acme-demo" not in invoke("list").output


def test_missing_provider_password_is_a_warning_unless_required(project: Project, invoke: Invoke) -> None:
    project.write(
        "acme-dev",
        GOOD_STACK.replace(
            "      password:\n        secure: v1:c2FsdA==:BBBBbm90LWEtcmVhbC1jaXBoZXJ0ZXh0\n", ""
        ),
    )

    relaxed = invoke("validate")
    strict = invoke("validate", "--require-secrets")

    assert relaxed.exit_code == 0
    assert "wazo-voip:providers[0].password: warning: is not set" in relaxed.output
    assert strict.exit_code == 1
    assert "pulumi config set --secret --stack acme-dev --path 'providers[0].password'" in strict.stderr


def test_validate_only_the_given_files(project: Project, invoke: Invoke) -> None:
    good = project.write("acme-dev", GOOD_STACK)
    project.write("other-dev", "config: [broken")

    result = invoke("validate", str(good))

    assert result.exit_code == 0, result.output


def test_list_shows_tenant_env_url_providers_and_dids(project: Project, invoke: Invoke) -> None:
    project.write("acme-dev", GOOD_STACK)
    project.write("acme-prod", GOOD_STACK.replace("http://127.0.0.1:9486", "https://wazo.acme.example"))
    project.write(
        "other-dev", GOOD_STACK.replace("acme-voipco", "other-francotel").replace(ACME_UUID, OTHER_UUID)
    )

    result = invoke("list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "acme-dev  tenant acme, env dev" in lines
    assert "acme-prod  tenant acme, env prod" in lines
    assert "  url:    https://wazo.acme.example" in lines
    assert "  tenant: 22222222-2222-4222-8222-222222222222" in lines
    assert "  provider other-francotel (VoIPCo) at sip.voipco.example" in lines
    assert "    DIDs:    +15551234567" in lines
    assert "v1:" not in result.output


def test_list_filters_by_env_and_glob_and_speaks_json(project: Project, invoke: Invoke) -> None:
    project.write("acme-dev", GOOD_STACK)
    project.write("acme-prod", GOOD_STACK)
    project.write("other-dev", GOOD_STACK)

    by_env = json.loads(invoke("list", "--env", "dev", "--json").stdout)
    by_glob = json.loads(invoke("list", "acme-*", "--json").stdout)

    assert [row["stack"] for row in by_env] == ["acme-dev", "other-dev"]
    assert [row["stack"] for row in by_glob] == ["acme-dev", "acme-prod"]
    assert invoke("list", "--names", "--env", "prod").stdout.split() == ["acme-prod"]
    assert by_env[0]["providers"][0] == {
        "name": "acme-voipco",
        "label": "VoIPCo",
        "host": "sip.voipco.example",
        "outcall": "acme-out",
        "dids": ["+15551234567"],
    }
    assert by_env[0]["url"] == "http://127.0.0.1:9486"


def test_list_marks_unreadable_files(project: Project, invoke: Invoke) -> None:
    project.write("acme-dev", "config: [broken")

    result = invoke("list")

    assert result.exit_code == 0
    assert "(unreadable: run `python -m stacks validate`)" in result.stdout
