"""`demo` and `show`: the newcomer's first run, with and without the Pulumi CLI."""

from __future__ import annotations

import shutil
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from stacks import toolchain
from tests.component.test_program import PASSWORDS, acme_dev_config
from tests.stacks.conftest import Invoke, Project
from tests.stacks.test_toolchain import copy_tools
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def repo_stacks(project: Project) -> Project:
    for path in (ROOT / "stacks").glob("Pulumi.*-*.yaml"):
        if not path.name.endswith("-demo.yaml"):
            shutil.copy(path, project.stacks / path.name)
    return project


def test_without_a_cli_or_go_the_demo_starts_the_sandbox_and_says_how_to_get_pulumi(
    repo_stacks: Project, invoke: Invoke, tmp_path: Path
):
    # no build of the CLI here, and no Go on PATH: the real toolchain's answer
    tools = copy_tools(tmp_path / "clone")

    def offline(echo: Callable[[str], None]) -> Path:
        return toolchain.build(tools, echo, env={"PATH": str(tmp_path / "no-go-here")})

    port, state = free_port(), tmp_path / "state"
    result = invoke("demo", "--port", str(port), "--state-dir", str(state), obj={"ensure_cli": offline})
    try:
        assert result.exit_code == 3, result.output
        checked = len(list(repo_stacks.stacks.glob("Pulumi.*.yaml")))
        assert checked == 5  # acme and other, dev and prod; bare-dev
        assert f"Checked {checked} stack files offline: no error." in result.output
        assert f"Started the sandbox on http://127.0.0.1:{port}" in result.output
        assert "Go is not installed" in result.output
        assert "curl -fsSL https://get.pulumi.com | sh" in result.output
        assert 'export PATH="$HOME/.pulumi/bin:$PATH"' in result.output
        assert "https://go.dev/doc/install" in result.output
        assert httpx.get(f"http://127.0.0.1:{port}/api/confd/1.1/infos").status_code == 401
    finally:
        stopped = invoke("demo", "--port", str(port), "--state-dir", str(state), "--stop")
    assert "Stopped the sandbox." in stopped.output


def test_with_the_cli_the_demo_deploys_with_secrets_on_stdin_only(
    repo_stacks: Project, invoke: Invoke, tmp_path: Path
):
    calls = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "pulumi"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\necho "ARGS $*" >> {calls}\n'
        f'if [ "$2" = set ]; then read v; echo "STDIN $v" >> {calls}; fi\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    port, state = free_port(), tmp_path / "state"
    result = invoke(
        "demo", "--port", str(port), "--state-dir", str(state), obj={"ensure_cli": lambda _echo: fake}
    )
    invoke("demo", "--port", str(port), "--state-dir", str(state), "--stop")
    assert result.exit_code == 0, result.output
    lines = calls.read_text().splitlines()
    args = [line for line in lines if line.startswith("ARGS")]
    assert args == [
        "ARGS stack select --create --stack acme-demo",
        "ARGS config set --secret password --stack acme-demo",
        "ARGS config set --secret --path providers[0].password --stack acme-demo",
        "ARGS config set --secret --path providers[1].password --stack acme-demo",
        "ARGS up --yes --stack acme-demo",
    ]
    assert [line for line in lines if line.startswith("STDIN")] == [
        "STDIN acme-secret",
        "STDIN demo-voipco-password",
        "STDIN demo-backupco-password",
    ]
    assert "secret" not in " ".join(args).replace("--secret", "")
    demo_stack = (repo_stacks.stacks / "Pulumi.acme-demo.yaml").read_text()
    assert f"wazo-voip:url: http://127.0.0.1:{port}" in demo_stack
    assert "What the acme tenant now holds" in result.output
    assert "Trunks (0)" in result.output  # the fake CLI deployed nothing


def test_show_describes_the_tenant_in_the_procedures_words_without_a_password(
    clean_sandbox: SandboxProcess, repo_stacks: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    EngineDouble(acme_dev_config(clean_sandbox)).run(stack="acme-dev")
    stack = repo_stacks.stacks / "Pulumi.acme-dev.yaml"
    stack.write_text(stack.read_text().replace("http://127.0.0.1:9486", clean_sandbox.url))
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    result = invoke("show", "acme-dev")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Server: Wazo 26.08, PJSIP API (/endpoints/sip/templates)" in out
    assert "Trunks (2)" in out
    assert (
        "registers as sip:acme-voipco-1234@sip.voipco.example to sip:sip.voipco.example, every 120 s" in out
    )
    assert "calls go to sip:sip.backupco.example:5080; keepalive every 30 s" in out
    assert "acme-out: through acme-voipco then acme-backupco" in out
    assert "_1NXXNXXXXXX     strip 1, add +1, caller id +15551230000" in out
    assert "5551230000     -> user Alice Acme (#1); caller id prepend 'VoIPCo: '" in out
    assert "5551230001     -> user Bob Acme (#2), ring 25s" in out
    assert "Incoming calls (5 DIDs)" in out
    for password in [*PASSWORDS.values(), "acme-secret"]:
        assert password not in out


def test_show_on_a_20_12_wazo_names_it_and_reads_its_chan_sip_trunks(
    clean_legacy_sandbox: SandboxProcess,
    repo_stacks: Project,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
):
    EngineDouble(acme_dev_config(clean_legacy_sandbox)).run(stack="acme-dev")
    stack = repo_stacks.stacks / "Pulumi.acme-dev.yaml"
    stack.write_text(stack.read_text().replace("http://127.0.0.1:9486", clean_legacy_sandbox.url))
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    result = invoke("show", "acme-dev")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Server: Wazo 20.12, chan_sip API (/registers/sip)" in out
    assert "acme-voipco (chan_sip peer acme-voipco-1234)" in out
    assert (
        "registers as sip:acme-voipco-1234@sip.voipco.example to sip:sip.voipco.example over transport-udp,"
        " every 120 s" in out
    )
    assert "calls go to sip:sip.backupco.example:5080; keepalive every 30 s" in out
    assert "acme-out: through acme-voipco then acme-backupco" in out
    assert "Incoming calls (5 DIDs)" in out
    for password in [*PASSWORDS.values(), "acme-secret"]:
        assert password not in out
    # the routing diagram reads the chan_sip peers' hosts and register lines too
    diagram = invoke("show", "acme-dev", "--format", "mermaid")
    assert diagram.exit_code == 0, diagram.output
    assert "sip.voipco.example:5060" in diagram.output
    assert "sip.backupco.example:5080" in diagram.output


def test_show_names_a_wrong_password_clearly(
    clean_sandbox: SandboxProcess, repo_stacks: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    stack = repo_stacks.stacks / "Pulumi.acme-dev.yaml"
    stack.write_text(stack.read_text().replace("http://127.0.0.1:9486", clean_sandbox.url))
    monkeypatch.delenv("WAZO_PASSWORD", raising=False)
    monkeypatch.delenv("WAZO_TOKEN", raising=False)
    # asked without echo when there is a terminal, as it never comes from the command line
    result = invoke("show", "acme-dev", obj={"interactive": True}, input="wrong-password\n")
    assert result.exit_code == 1
    assert "wrong-password" not in result.output
    assert "Error:" in result.output


def test_show_takes_no_password_on_the_command_line(repo_stacks: Project, invoke: Invoke):
    for option in ("--password", "--token"):
        result = invoke("show", "acme-dev", option, "acme-secret")
        assert result.exit_code == 2  # click: no such option
        assert f"No such option '{option}'" in result.output
        assert "acme-secret" not in result.output
