"""One way from a stack file to a connection: `show` and `status` honour every setting the program does.

The sandbox serves confd, wazo-auth and wazo-calld at their own paths (/1.1, /0.1, /1.0), as a Wazo
reached without nginx would: a tool that builds `<url>/api/auth/0.1` itself gets a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from providers.confd.auth import forget_tokens
from providers.confd.settings import KEYS, NAMESPACE, settings_from
from stacks import connection
from tests.component.test_program import acme_dev_config
from tests.stacks.conftest import Invoke, Project
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
DIRECT = {"confd": "/1.1", "auth": "/0.1", "calld": "/1.0"}


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A sandbox without nginx's paths, with acme-dev deployed by a program given confdUrl and authUrl."""
    sandbox = SandboxProcess(tmp_path_factory.mktemp("direct") / "sandbox.db", prefixes=DIRECT).start()
    try:
        config = acme_dev_config(sandbox)
        config["wazo-voip:confdUrl"] = sandbox.confd_url
        config["wazo-voip:authUrl"] = sandbox.auth_url
        EngineDouble(config).run(stack="acme-dev")
        sandbox.set_trunk_status("acme-voipco", registered=True, current_call_count=1)
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    for _config_key, env in KEYS.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    forget_tokens()


def write_stack(project: Project, sandbox: SandboxProcess, **keys: str) -> None:
    text = (
        (ROOT / "stacks" / "Pulumi.acme-dev.yaml").read_text().replace("http://127.0.0.1:9486", sandbox.url)
    )
    for key, value in keys.items():
        text = text.replace("config:\n", f"config:\n  wazo-voip:{key}: {value}\n", 1)
    (project.stacks / "Pulumi.acme-dev.yaml").write_text(text)


def urls(sandbox: SandboxProcess) -> dict[str, str]:
    return {"confdUrl": sandbox.confd_url, "authUrl": sandbox.auth_url, "calldUrl": sandbox.calld_url}


def test_show_without_the_service_urls_fails_where_the_program_would(
    direct: SandboxProcess, project: Project, invoke: Invoke
):
    write_stack(project, direct)

    result = invoke("show", "acme-dev")

    assert result.exit_code == 1
    assert "wazo-auth did not issue a token" in result.output
    assert "POST /api/auth/0.1/token -> HTTP 404" in result.output


def test_show_honours_confd_url_and_auth_url(direct: SandboxProcess, project: Project, invoke: Invoke):
    write_stack(project, direct, confdUrl=direct.confd_url, authUrl=direct.auth_url)

    text = invoke("show", "acme-dev")
    diagram = invoke("show", "acme-dev", "--format", "mermaid")

    assert text.exit_code == 0, text.output
    assert "Trunks (2)" in text.output
    assert "acme-out: through acme-voipco then acme-backupco" in text.output
    assert diagram.exit_code == 0, diagram.output
    assert diagram.output.startswith("flowchart LR\n")
    paths = {r["path"] for r in direct.requests()}
    assert "/0.1/token" in paths
    assert "/1.1/trunks" in paths


def test_status_honours_the_three_service_urls(direct: SandboxProcess, project: Project, invoke: Invoke):
    write_stack(project, direct, **urls(direct))

    result = invoke("status", "acme-dev")

    assert result.exit_code == 0, result.output
    assert "acme-dev: ok, every expected registration is up" in result.output
    assert direct.requests()[-1]["path"] == "/1.0/trunks"


def test_the_environment_fills_what_the_stack_leaves_out(
    direct: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    write_stack(project, direct)
    monkeypatch.setenv("WAZO_CONFD_URL", direct.confd_url)
    monkeypatch.setenv("WAZO_AUTH_URL", direct.auth_url)
    monkeypatch.setenv("WAZO_CALLD_URL", direct.calld_url)

    assert invoke("show", "acme-dev").exit_code == 0
    assert invoke("status", "acme-dev").exit_code == 0


def test_the_stacks_own_keys_win_over_the_environment(
    direct: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    write_stack(project, direct, **urls(direct))
    monkeypatch.setenv("WAZO_AUTH_URL", f"{direct.url}/api/auth/0.1")
    monkeypatch.setenv("WAZO_CALLD_URL", f"{direct.url}/api/calld/1.0")

    assert invoke("status", "acme-dev").exit_code == 0


def test_a_calld_url_that_serves_nothing_names_the_key_to_set(
    direct: SandboxProcess, project: Project, invoke: Invoke
):
    write_stack(project, direct, confdUrl=direct.confd_url, authUrl=direct.auth_url)

    result = invoke("status", "acme-dev")

    assert result.exit_code == 1
    assert (
        f"no wazo-calld trunk list at {direct.url}/api/calld/1.0 (404): set wazo-voip:calldUrl"
        in result.output
    )


def test_show_and_status_honour_ca_bundle(direct: SandboxProcess, project: Project, invoke: Invoke):
    """A CA bundle that cannot be loaded stops both, naming the key: they read it (show used not to)."""
    write_stack(project, direct, caBundle="/nonexistent/ca.pem", **urls(direct))

    show = invoke("show", "acme-dev")
    status = invoke("status", "acme-dev")

    for result in (show, status):
        assert result.exit_code == 1
        assert "cannot load the CA bundle '/nonexistent/ca.pem'" in result.output
        assert "check wazo-voip:caBundle (or WAZO_CA_BUNDLE)" in result.output


def test_plain_http_to_a_remote_host_needs_insecure(project: Project, invoke: Invoke):
    (project.stacks / "Pulumi.acme-dev.yaml").write_text(
        (ROOT / "stacks" / "Pulumi.acme-dev.yaml").read_text().replace("127.0.0.1:9486", "wazo.example.net")
    )

    result = invoke("status", "acme-dev")

    assert result.exit_code == 1
    assert "refusing to send credentials over plain http to wazo.example.net" in result.output
    assert "set wazo-voip:insecure (or WAZO_INSECURE) to true" in result.output


def test_settings_are_what_the_program_builds_from_the_same_config():
    """The program reads each key as the engine hands it (a string); the tools read the file's values."""
    values: dict[str, Any] = {
        "url": "https://wazo.example.com",
        "tenant": "11111111-1111-4111-8111-111111111111",
        "username": "deployer",
        "caBundle": "/etc/ssl/wazo.pem",
        "insecure": True,
        "confdUrl": "https://wazo.example.com:9486/1.1",
        "authUrl": "https://wazo.example.com:9497/0.1",
        "calldUrl": "https://wazo.example.com:9500/1.0",
        "providers": [{"name": "p"}],
    }
    engine = {
        f"{NAMESPACE}:{k}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()
    }
    environ = {"WAZO_PASSWORD": "from-env", "WAZO_URL": "https://ignored.example.com"}

    tools = connection.settings_for(values, environ)
    program = settings_from(engine.get, environ)

    assert tools == program
    assert (tools.calld_base, tools.password, tools.insecure) == (
        "https://wazo.example.com:9500/1.0",
        "from-env",
        True,
    )
