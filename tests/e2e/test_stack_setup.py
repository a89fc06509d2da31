"""The parts of the end-to-end suite that need no CLI, checked here so that they are ready where
the CLI exists: the stack it creates, the project copy it runs in, and the tenant snapshot."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from pulumi.dynamic.dynamic import serialize_provider

from providers.outcall import OutcallProvider
from sandbox.seed import ACME_TENANT
from tests.e2e.stack import (
    EXPECTED_CREATES,
    STACK,
    copy_project,
    resolved_config,
    snapshot,
    stack_config,
    write_stack_file,
)
from tests.support.engine import EchoMocks, run_main_program, run_program
from tests.support.provider_server import PROJECT, Engine, ProviderServer
from tests.support.provider_server import stack_config as provider_config
from tests.support.sandbox import SandboxProcess

DYNAMIC = "pulumi-python:dynamic/wazo-voip:"


def test_the_e2e_stack_declares_what_the_cli_test_expects(sandbox: SandboxProcess) -> None:
    result = run_program(EchoMocks(), resolved_config(sandbox.url), run_main_program, stack=STACK)
    declared = Counter(
        r.type.removeprefix(DYNAMIC) for r in result.registrations.values() if r.type.startswith(DYNAMIC)
    )
    assert declared == EXPECTED_CREATES


def test_the_stack_file_keeps_pulumis_keys_and_no_secret(tmp_path: Path, sandbox: SandboxProcess) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "stacks" / f"Pulumi.{STACK}.yaml"
    path.write_text("encryptionsalt: v1:abc:def\n")  # what `pulumi stack init` writes first
    write_stack_file(project, stack_config(sandbox.url))
    data = yaml.safe_load(path.read_text())
    assert data["encryptionsalt"] == "v1:abc:def"
    assert data["config"]["wazo-voip:url"] == sandbox.url
    assert data["config"]["wazo-voip:tenant"] == ACME_TENANT
    assert "password" not in path.read_text()


def test_the_project_copy_serves_the_providers(tmp_path: Path, sandbox: SandboxProcess) -> None:
    # the CLI starts the provider server in the project copy: its `providers` must import there
    project = copy_project(tmp_path / "project")
    with ProviderServer(cwd=project) as server:
        engine = Engine(server)
        engine.configure(
            provider_config(sandbox.url, "acme-admin", "acme-secret", ACME_TENANT), [f"{PROJECT}:password"]
        )
        urn = f"urn:pulumi:{STACK}::{PROJECT}::{DYNAMIC}Outcall::probe"
        news = {"__provider": serialize_provider(OutcallProvider()), "tenant_uuid": ACME_TENANT, "name": "p"}
        assert engine.check(urn, {}, news).failures == {}


def test_the_tenant_snapshot_is_stable(sandbox: SandboxProcess) -> None:
    first = snapshot(sandbox)
    assert len(first["/contexts"]) == 3
    assert snapshot(sandbox) == first
