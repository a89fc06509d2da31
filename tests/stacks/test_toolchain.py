"""The pinned Pulumi CLI: its pin, when a build is reused, and how a build or a missing Go fails."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from stacks import toolchain
from stacks.toolchain import EXECUTABLES, STAMP, ToolchainError, Tools, version_key

ROOT = Path(__file__).resolve().parents[2]


def copy_tools(root: Path) -> Tools:
    """A project root holding only what a build reads: the tools module and requirements.txt."""
    shutil.copytree(ROOT / ".tools", root / ".tools", ignore=shutil.ignore_patterns("bin", ".build-*"))
    shutil.copy2(ROOT / "requirements.txt", root / "requirements.txt")
    return Tools(root)


def fake_cli(folder: Path, version: str, name: str = "pulumi") -> Path:
    """An executable that answers `pulumi version` like the CLI does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho v{version}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_pinned_cli_is_at_least_the_python_sdk_it_runs():
    tools = Tools()
    assert version_key(tools.pinned_version()) >= version_key(tools.sdk_version())
    # the tools module requires exactly that CLI, and builds it as a tool of its own
    go_mod = (ROOT / ".tools" / "go.mod").read_text()
    assert f"tool {toolchain.CLI_PACKAGE}" in go_mod


def test_a_stamp_from_other_inputs_is_not_a_usable_build(tmp_path: Path):
    tools = copy_tools(tmp_path)
    tools.bin.mkdir()
    for name in EXECUTABLES:
        fake_cli(tools.bin, tools.pinned_version(), name)
    (tools.bin / STAMP).write_text(tools.inputs_digest())
    assert tools.built() == tools.cli

    # a changed pin or host source makes the build stale
    runner = tools.module / "langhost" / "runner.py"
    runner.write_text(runner.read_text() + "\n# changed\n")
    assert tools.built() is None


def test_a_missing_plugin_makes_the_build_unusable(tmp_path: Path):
    tools = copy_tools(tmp_path)
    tools.bin.mkdir()
    for name in EXECUTABLES[:2]:
        fake_cli(tools.bin, tools.pinned_version(), name)
    (tools.bin / STAMP).write_text(tools.inputs_digest())
    assert tools.built() is None


def test_a_cli_on_path_is_used_only_when_it_is_new_enough(tmp_path: Path):
    old = fake_cli(tmp_path / "old", "3.100.0")
    new = fake_cli(tmp_path / "new", "3.300.2")
    assert toolchain.on_path("3.272.0", which=lambda _name: str(old)) is None
    assert toolchain.on_path("3.272.0", which=lambda _name: str(new)) == new
    assert toolchain.on_path("3.272.0", which=lambda _name: None) is None


def test_without_go_the_build_says_how_to_get_a_cli(tmp_path: Path):
    tools = copy_tools(tmp_path)
    with pytest.raises(ToolchainError) as caught:
        toolchain.build(tools, echo=lambda _line: None, env={"PATH": str(tmp_path / "nothing")})
    message = str(caught.value)
    assert "Go is not installed" in message
    assert "curl -fsSL https://get.pulumi.com | sh" in message
    assert tools.pinned_version() in message
    assert not tools.bin.exists()


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the go command")
def test_a_failed_go_build_names_the_module_and_leaves_no_binary(tmp_path: Path):
    tools = copy_tools(tmp_path)
    tools.bin.mkdir()
    # a previous build's executables without a current stamp must stay unusable
    fake_cli(tools.bin, "3.0.0")
    env = {
        **os.environ,
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOMODCACHE": str(tmp_path / "empty-module-cache"),
        "GOCACHE": str(tmp_path / "go-build-cache"),
    }
    lines: list[str] = []
    with pytest.raises(ToolchainError) as caught:
        toolchain.build(tools, echo=lines.append, env=env)
    message = str(caught.value)
    assert f"{toolchain.CLI_MODULE}@v{tools.pinned_version()}" in message
    assert "curl -fsSL https://get.pulumi.com | sh" in message
    assert "several minutes" in lines[0]
    assert tools.built() is None
    assert not (tools.bin / STAMP).exists()
    assert sorted(p.name for p in tools.bin.iterdir()) == ["pulumi"]  # only the old, unstamped one
    assert not list(tools.module.glob(".build-*"))


def test_the_dynamic_provider_plugin_names_a_missing_virtualenv(tmp_path: Path):
    plugin = ROOT / ".tools" / "pulumi-resource-pulumi-python"
    result = subprocess.run(
        [str(plugin), "127.0.0.1:1"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PULUMI_RUNTIME_VIRTUALENV": "venv"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert f"{tmp_path}/venv" in result.stderr
    assert "make venv" in result.stderr


def test_every_workflow_installs_the_pinned_cli():
    pinned = Tools().pinned_version()
    found = 0
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("pulumi/actions@"):
                    found += 1
                    assert str(step["with"]["pulumi-version"]) == pinned, workflow.name
    assert found >= 4  # tests, pull-request, deploy-dev, deploy-prod


def test_the_test_workflow_runs_make_test_and_requires_the_cli():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    job = workflow["jobs"]["test"]
    assert job["env"]["WAZO_VOIP_REQUIRE_PULUMI"] == "1"
    assert [step.get("run") for step in job["steps"]][-1] == "make test"
    assert set(workflow[True]) == {"pull_request", "push"}  # YAML reads the `on:` key as True
