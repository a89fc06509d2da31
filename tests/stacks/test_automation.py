"""The fleet commands through Pulumi's Automation API, against a throwaway project and a local backend.

The Automation API drives the real Pulumi CLI: the project's build (`make pulumi`) or a suitable one on
PATH, put first on PATH by tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stacks import fleet
from stacks.cli import cli
from stacks.stackfile import StackRef

pytestmark = pytest.mark.fleet

PROGRAM = """\
import pulumi

config = pulumi.Config()
pulumi.export("tenant", config.require("tenant"))
"""


@pytest.fixture
def local_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a trivial program, two stacks on a file backend, and a passphrase."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "__main__.py").write_text(PROGRAM)
    venv = Path(sys.prefix)
    (root / "Pulumi.yaml").write_text(
        "name: fleet-test\nruntime:\n  name: python\n  options:\n"
        f"    toolchain: pip\n    virtualenv: {venv}\nstackConfigDir: stacks\n"
    )
    backend = tmp_path / "state"
    backend.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{backend}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "fleet-test")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    from pulumi import automation as auto

    for name in ("acme-dev", "other-dev"):
        stack = auto.create_or_select_stack(stack_name=name, work_dir=str(root))
        stack.set_config("tenant", auto.ConfigValue(value=name.split("-")[0]))
    return root


def _ref(root: Path, name: str) -> StackRef:
    return StackRef.from_path(root / "stacks" / f"Pulumi.{name}.yaml")


def test_automation_preview_returns_the_json_digest(local_project: Path) -> None:
    operation = fleet.automation_operation("preview", local_project, dict(os.environ))

    outcome = operation(_ref(local_project, "acme-dev"))

    assert outcome.summary.get("create") == 1
    assert outcome.digest is not None
    assert any(step["op"] == "create" for step in outcome.digest["steps"])


def test_automation_fleet_isolates_a_missing_stack(local_project: Path) -> None:
    operation = fleet.automation_operation("preview", local_project, dict(os.environ))
    refs = [
        _ref(local_project, "acme-dev"),
        _ref(local_project, "ghost-dev"),
        _ref(local_project, "other-dev"),
    ]

    results = fleet.run_fleet(refs, operation, parallel=2)

    assert [r.ok for r in results] == [True, False, True]
    assert fleet.exit_code(results) == 1


def test_cli_preview_then_up_then_nothing_to_do(local_project: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "previews"

    preview = runner.invoke(cli, ["--root", str(local_project), "preview", "--json-dir", str(out)])
    up = runner.invoke(cli, ["--root", str(local_project), "up", "--env", "dev", "--yes"])
    again = runner.invoke(cli, ["--root", str(local_project), "preview", "acme-*", "--json-dir", str(out)])
    report = runner.invoke(cli, ["--root", str(local_project), "diff-report", str(out)])

    assert preview.exit_code == 0, preview.output
    assert up.exit_code == 0, up.output
    assert again.exit_code == 0, again.output
    assert json.loads((out / "acme-dev.json").read_text())["changeSummary"].get("create", 0) == 0
    assert "| acme-dev | 0 | 0 | 0 | 0 |" in report.stdout
