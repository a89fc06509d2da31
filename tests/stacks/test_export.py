"""`export` as an operator runs it against the sandbox: bad input and failures get one line and write
nothing; what the stack cannot express is listed and stops the export unless --allow-partial; the
connection comes from flags, the environment, a prompt or another stack; secrets stay out of the file
and the output. The round trip itself (no write on `up`) is tests/component/test_adoption.py.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from sandbox.seed import ACME_TENANT, BARE_TENANT, OTHER_TENANT
from tests.stacks.conftest import Invoke, Project
from tests.support.brownfield import INCALL_CTX, NEEDS, PASSWORDS, Confd, build_tenant
from tests.support.sandbox import SandboxProcess

STACK_FILE = "Pulumi.acme-dev.yaml"


def flags(sandbox: SandboxProcess, tenant: str = ACME_TENANT, username: str = "acme-admin") -> list[str]:
    return [
        "export",
        "--tenant", "acme",
        "--env", "dev",
        "--url", sandbox.url,
        "--tenant-uuid", tenant,
        "--username", username,
    ]  # fmt: skip


@pytest.fixture
def wazo_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    monkeypatch.delenv("WAZO_TOKEN", raising=False)
    monkeypatch.delenv("WAZO_USERNAME", raising=False)


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error: ")]


def refusal(result: Result, project: Project) -> str:
    """The one error line of an export that failed with status 1 and wrote no file."""
    assert result.exit_code == 1
    (line,) = error_lines(result.output)
    assert not list(project.stacks.iterdir())
    return line


# -- bad input and failures: one line, nothing written -----------------------------------------


@pytest.mark.usefixtures("wazo_password")
def test_a_tenant_with_nothing_to_export_gets_one_line_and_no_file(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke
) -> None:
    result = invoke(*flags(clean_sandbox))

    assert refusal(result, project) == (
        f"Error: tenant {ACME_TENANT} has no SIP trunk to export as a provider (it has no trunk): nothing "
        f"written"
    )


def test_a_tenant_without_an_incall_context_gets_one_line(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAZO_PASSWORD", "bare-secret")

    result = invoke(*flags(clean_sandbox, BARE_TENANT, "bare-admin"))

    assert refusal(result, project) == (
        f"Error: tenant {BARE_TENANT} has no incall context, so no trunk of it can be exported: nothing "
        "written"
    )


@pytest.mark.usefixtures("wazo_password")
@pytest.mark.parametrize("tenant", [OTHER_TENANT, "99999999-9999-4999-8999-999999999999"])
def test_a_wrong_tenant_gets_one_line_and_no_file(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke, tenant: str
) -> None:
    result = invoke(*flags(clean_sandbox, tenant))

    assert refusal(result, project) == (
        f"Error: confd refused user 'acme-admin' for tenant {tenant}: the tenant does not exist, or user "
        f"'acme-admin' cannot see it or read its objects (confd.trunks.read, confd.incalls.read, ...)"
    )


@pytest.mark.usefixtures("wazo_password")
def test_a_chan_sip_wazo_is_refused_naming_its_generation(
    clean_legacy_sandbox: SandboxProcess, project: Project, invoke: Invoke
) -> None:
    result = invoke(*flags(clean_legacy_sandbox))

    line = refusal(result, project)
    assert line.startswith(
        "Error: the Wazo speaks Wazo 20.12, chan_sip API (/registers/sip): the export reads the PJSIP API "
        "of Wazo 20.13 and later"
    )
    assert line.endswith(": nothing written")
    # it asked the API spec and the release, and read nothing of the tenant
    paths = [r["path"] for r in clean_legacy_sandbox.requests()]
    assert paths == ["/api/auth/0.1/token", "/api/confd/1.1/api/api.yml", "/api/confd/1.1/infos"]


def test_a_tenant_that_is_not_a_uuid_is_a_usage_error(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke
) -> None:
    result = invoke(*flags(clean_sandbox, "acme"))

    assert result.exit_code == 2
    assert "--tenant-uuid must be the UUID of the tenant to export, got 'acme'" in result.output
    assert clean_sandbox.requests() == []


def test_bad_credentials_get_one_line_and_overwrite_nothing_even_with_force(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAZO_PASSWORD", "not-the-password")
    existing = project.write("acme-dev", "config:\n  wazo-voip:url: https://kept.example\n")
    before = existing.read_text()

    result = invoke(*flags(clean_sandbox), "--force")

    assert result.exit_code == 1
    assert error_lines(result.output) == [
        f"Error: wazo-auth refused the credentials of user 'acme-admin' ({clean_sandbox.url}/api/auth/0.1)"
    ]
    assert existing.read_text() == before
    assert "not-the-password" not in result.output


@pytest.mark.usefixtures("wazo_password")
def test_an_unreachable_wazo_gets_one_line_and_no_file(project: Project, invoke: Invoke) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    args = ["export", "--tenant", "acme", "--env", "dev", "--url", f"http://127.0.0.1:{port}"]

    result = invoke(*args, "--tenant-uuid", ACME_TENANT, "--username", "acme-admin")

    line = refusal(result, project)
    assert line.startswith(
        f"Error: cannot reach the Wazo at http://127.0.0.1:{port}: wazo-auth: cannot connect"
    )


@pytest.mark.usefixtures("wazo_password")
def test_an_existing_file_is_not_overwritten_and_nothing_is_read_without_force(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke
) -> None:
    existing = project.write("acme-dev", "config: {}\n")

    result = invoke(*flags(clean_sandbox))

    assert result.exit_code == 1
    assert error_lines(result.output) == [f"Error: {existing} already exists: pass --force to overwrite it"]
    assert existing.read_text() == "config: {}\n"
    assert clean_sandbox.requests() == []


def test_no_credentials_at_all_is_one_line_naming_the_settings(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WAZO_PASSWORD", "WAZO_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    result = invoke(*flags(clean_sandbox))

    line = refusal(result, project)
    assert "no credentials" in line
    assert "WAZO_PASSWORD" in line


# -- a tenant made by hand --------------------------------------------------------------------------


@pytest.fixture
def built(clean_sandbox: SandboxProcess, tmp_path: Path) -> Confd:
    return build_tenant(clean_sandbox, tmp_path)


@NEEDS
@pytest.mark.usefixtures("wazo_password")
def test_without_the_cli_no_password_is_written_and_the_exact_commands_are_printed(
    built: Confd, clean_sandbox: SandboxProcess, project: Project, invoke: Invoke
) -> None:
    result = invoke(*flags(clean_sandbox))

    assert result.exit_code == 0, result.output
    text = (project.stacks / STACK_FILE).read_text()
    for secret in ("acme-secret", *PASSWORDS.values()):
        assert secret not in text
        assert secret not in result.output
    commands = [line.strip() for line in result.stdout.splitlines() if line.startswith("  pulumi ")]
    assert commands == [
        "pulumi stack select --create acme-dev",
        "pulumi config set --secret --stack acme-dev password",
        "pulumi config set --secret --stack acme-dev --path 'providers[0].password'",
        "pulumi config set --secret --stack acme-dev --path 'providers[1].password'",
    ]
    assert "#   pulumi config set --secret --stack acme-dev --path 'providers[1].password'" in text
    validated = invoke("validate", str(project.stacks / STACK_FILE))
    assert validated.exit_code == 0, validated.output
    assert "0 error(s)" in validated.output


@NEEDS
@pytest.mark.usefixtures("wazo_password")
def test_what_the_stack_cannot_express_is_listed_and_nothing_written_unless_allow_partial(
    built: Confd, clean_sandbox: SandboxProcess, project: Project, invoke: Invoke
) -> None:
    bare = built.post("/trunks", {"context": None})
    outside = built.did("4441230000", {"type": "none"})  # outside acme's incall range
    (intl,) = [o for o in built.items("/outcalls") if o["name"] == "acme-intl"]
    built.put(f"/outcalls/{intl['id']}", {"internal_caller_id": True})
    extension = built.items("/extensions")
    (disabled,) = [e for e in extension if e["exten"] == "5551230006"]
    built.put(f"/extensions/{disabled['id']}", {"enabled": False})

    refused = invoke(*flags(clean_sandbox))
    written_by_refused = (project.stacks / STACK_FILE).exists()
    partial = invoke(*flags(clean_sandbox), "--allow-partial")

    assert refused.exit_code == 1
    assert not written_by_refused
    assert "nothing was written" in refused.output
    expected = [
        "Not exported (the stack model cannot express them; they are not in the file): 2",
        f"  - trunk {bare['id']}: it has no SIP endpoint",
        f"  - incall {outside} (DID 4441230000): its number is outside the incall ranges of context "
        f"{INCALL_CTX} (15551230000-15551239999 (did_length 10)): confd would refuse "
        f"every later update of it; add a range to the context, then export again",
        "The first up would change these (the stack file cannot hold what they have): 2",
        "  - outcall 'acme-intl': internal_caller_id True -> False: the stack file cannot hold it",
        "  - DID 15551230006 (incall 7): enabled False -> True: the stack file cannot hold it",
    ]
    for output in (refused.output, partial.output):
        lines = output.splitlines()
        start = lines.index(expected[0])
        assert lines[start : start + len(expected)] == expected
    assert partial.exit_code == 0, partial.output
    config = yaml.safe_load((project.stacks / STACK_FILE).read_text())["config"]
    dids = [d["did"] for p in config["wazo-voip:providers"] for d in p.get("incoming", [])]
    assert "4441230000" not in dids
    assert len(dids) == 13


@NEEDS
def test_the_connection_can_come_from_another_stack_and_is_written_as_it_was(
    built: Confd,
    clean_sandbox: SandboxProcess,
    project: Project,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    project.write(
        "acme-dev",
        f"""\
        config:
          wazo-voip:url: {clean_sandbox.url}
          wazo-voip:tenant: {ACME_TENANT}
          wazo-voip:username: acme-admin
          wazo-voip:calldUrl: {clean_sandbox.calld_url}
        """,
    )

    result = invoke("export", "--from-stack", "acme-dev", "--env", "prod")

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project.stacks / "Pulumi.acme-prod.yaml").read_text())["config"]
    assert {k: v for k, v in config.items() if k != "wazo-voip:providers"} == {
        "wazo-voip:url": clean_sandbox.url,
        "wazo-voip:tenant": ACME_TENANT,
        "wazo-voip:username": "acme-admin",
        "wazo-voip:calldUrl": clean_sandbox.calld_url,
        "wazo-voip:adopt": True,
    }


@NEEDS
def test_an_export_over_its_own_stack_keeps_the_encryption_settings_and_the_stack_password(
    built: Confd,
    clean_sandbox: SandboxProcess,
    project: Project,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    secure = {"secure": "v1:c2FsdA==:AAAAbm90LWEtcmVhbC1jaXBoZXJ0ZXh0"}
    original = {
        "encryptionsalt": "v1:c2FsdA==:v1:not-a-real-salt",
        "config": {
            "wazo-voip:url": clean_sandbox.url,
            "wazo-voip:tenant": ACME_TENANT,
            "wazo-voip:username": "acme-admin",
            "wazo-voip:password": secure,
            "pulumi:tags": {"team": "voice"},
        },
    }
    path = project.stacks / STACK_FILE
    path.write_text(yaml.safe_dump(original))

    refused = invoke("export", "--from-stack", "acme-dev")
    forced = invoke("export", "--from-stack", "acme-dev", "--force")

    assert refused.exit_code == 1
    assert forced.exit_code == 0, forced.output
    document = yaml.safe_load(path.read_text())
    assert document["encryptionsalt"] == original["encryptionsalt"]
    assert document["config"]["wazo-voip:password"] == secure
    assert document["config"]["pulumi:tags"] == {"team": "voice"}
    assert len(document["config"]["wazo-voip:providers"]) == 2
    # its own password is in the stack already: only the providers' are left to store
    commands = [line.strip() for line in forced.stdout.splitlines() if line.startswith("  pulumi config")]
    assert commands == [
        "pulumi config set --secret --stack acme-dev --path 'providers[0].password'",
        "pulumi config set --secret --stack acme-dev --path 'providers[1].password'",
    ]


@NEEDS
def test_the_password_can_be_typed_at_a_prompt_without_echo(
    built: Confd,
    clean_sandbox: SandboxProcess,
    project: Project,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WAZO_PASSWORD", "WAZO_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    result = invoke(*flags(clean_sandbox), obj={"interactive": True}, input="acme-secret\n")

    assert result.exit_code == 0, result.output
    assert f"wazo-auth password of acme-admin ({clean_sandbox.url}/api/auth/0.1): " in result.output
    assert "acme-secret" not in result.output
