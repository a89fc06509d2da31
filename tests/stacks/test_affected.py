"""`affected`: the stacks a pull request touches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks import affected as affected_module
from stacks import report
from tests.stacks.conftest import FIXTURES, GOOD_STACK, Invoke, Project


@pytest.fixture
def four(project: Project) -> Project:
    for name in ("acme-dev", "acme-prod", "other-dev", "other-prod"):
        project.write(name, GOOD_STACK)
    return project


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["stacks/Pulumi.acme-dev.yaml"], ["acme-dev"]),
        (
            ["stacks/Pulumi.acme-dev.yaml", "stacks/Pulumi.other-prod.yaml", "docs/x.md"],
            ["acme-dev", "other-prod"],
        ),
        (["providers/trunk.py"], ["acme-dev", "acme-prod", "other-dev", "other-prod"]),
        (["__main__.py"], ["acme-dev", "acme-prod", "other-dev", "other-prod"]),
        (["Pulumi.yaml"], ["acme-dev", "acme-prod", "other-dev", "other-prod"]),
        (["requirements.txt"], ["acme-dev", "acme-prod", "other-dev", "other-prod"]),
        (["README.md", "tests/stacks/test_x.py", "sandbox/server.py", ".github/workflows/pr.yml"], []),
        (["stacks/Pulumi.gone-dev.yaml"], []),  # deleted in the change: nothing left to preview
    ],
)
def test_affected(four: Project, invoke: Invoke, changed: list[str], expected: list[str]) -> None:
    result = invoke("affected", *changed)

    assert result.exit_code == 0, result.output
    assert result.stdout.split() == expected


def test_affected_filters_by_env(four: Project, invoke: Invoke) -> None:
    shared = invoke("affected", "--env", "prod", "Pulumi.yaml")
    own = invoke("affected", "--env", "dev", "stacks/Pulumi.acme-prod.yaml")

    assert shared.stdout.split() == ["acme-prod", "other-prod"]
    assert own.stdout.split() == []


def test_affected_reads_git_diff_output_on_stdin(four: Project, invoke: Invoke) -> None:
    result = invoke("affected", "--from-file", "-", input="stacks/Pulumi.other-dev.yaml\n\nREADME.md\n")

    assert result.stdout.split() == ["other-dev"]


# -- a fleet across runners ----------------------------------------------------------------------------


@pytest.mark.parametrize("stacks", [0, 1, 2, 3, 7, 10, 64])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 8])
def test_shards_cover_each_stack_exactly_once(stacks: int, count: int) -> None:
    names = [f"tenant{i:03d}-dev" for i in range(stacks)]

    groups = affected_module.shards(names, count)

    dealt = [name for group in groups for name in group]
    assert sorted(dealt) == names  # every stack, none twice
    assert len(dealt) == len(set(dealt))
    assert len(groups) == min(count, stacks)
    assert all(groups)  # no empty shard: GitHub would start a runner for nothing
    assert max(map(len, groups), default=0) - min(map(len, groups), default=0) <= 1


def test_affected_prints_a_github_matrix_of_shards(four: Project, invoke: Invoke) -> None:
    result = invoke("affected", "--shards", "3", "providers/trunk.py")

    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    matrix = json.loads(result.stdout)
    assert matrix == {
        "include": [
            {"shard": 1, "shards": 3, "stacks": "acme-dev other-prod"},
            {"shard": 2, "shards": 3, "stacks": "acme-prod"},
            {"shard": 3, "shards": 3, "stacks": "other-dev"},
        ]
    }
    dealt = [name for entry in matrix["include"] for name in entry["stacks"].split()]
    assert sorted(dealt) == invoke("affected", "providers/trunk.py").stdout.split()


def test_a_change_that_touches_no_stack_gives_an_empty_matrix(four: Project, invoke: Invoke) -> None:
    result = invoke("affected", "--shards", "4", "README.md")

    assert json.loads(result.stdout) == {"include": []}


def test_the_report_merges_every_shards_previews(project: Project, invoke: Invoke, tmp_path: Path) -> None:
    """Each runner uploads its own directory (previews and fleet-results.json); one report reads all."""
    previews = FIXTURES / "previews"
    shard_1, shard_2 = tmp_path / "previews" / "previews-1", tmp_path / "previews" / "previews-2"
    shard_1.mkdir(parents=True)
    shard_2.mkdir(parents=True)
    shutil.copy(previews / "acme-dev.json", shard_1)
    (shard_1 / "fleet-results.json").write_text(
        json.dumps({"operation": "preview", "stacks": [{"stack": "acme-dev", "ok": True}]})
    )
    shutil.copy(previews / "other-dev.json", shard_2)
    (shard_2 / "fleet-results.json").write_text(
        json.dumps(
            {"operation": "preview", "stacks": [{"stack": "other-prod", "ok": False, "error": "boom"}]}
        )
    )

    result = invoke("diff-report", str(tmp_path / "previews"))

    assert result.exit_code == 0, result.output
    assert result.stdout.count(report.MARKER) == 1
    assert "## Pulumi preview: 3 stacks, 2 with changes, 1 failed" in result.stdout
    assert [line.split(" | ")[0] for line in result.stdout.splitlines() if line.startswith("| acme")] == [
        "| acme-dev"
    ]


# -- the workflows that fan out ------------------------------------------------------------------------

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def run_lines(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy-dev.yml", "deploy-prod.yml"])
def test_each_workflow_plans_shards_and_fans_out(name: str) -> None:
    jobs = workflow(name)["jobs"]
    plan = jobs["plan"]
    sharded = [job for job in jobs.values() if "matrix" in job.get("strategy", {})]

    assert "--shards" in run_lines(plan)
    assert set(plan["outputs"]) >= {"matrix", "count"}
    assert len(sharded) == 1
    (job,) = sharded
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert job["strategy"]["fail-fast"] is False
    assert "needs.plan.outputs.count != '0'" in job["if"]
    assert "matrix.stacks" in str(job)


def test_the_pull_request_merges_every_shards_previews_into_one_comment() -> None:
    jobs = workflow("pull-request.yml")["jobs"]
    preview = next(job for job in jobs.values() if "matrix" in job.get("strategy", {}))
    upload = next(
        step for step in preview["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact")
    )
    comment = jobs["report"]
    download = next(
        step for step in comment["steps"] if str(step.get("uses", "")).startswith("actions/download-artifact")
    )

    assert upload["with"]["name"] == "previews-${{ matrix.shard }}"
    assert upload["if"] == "always()"
    assert download["with"]["pattern"] == "previews-*"
    assert "merge-multiple" not in download["with"]  # one directory per shard: no file overwrites another
    assert "diff-report" in run_lines(comment)
    assert "always()" in comment["if"]
    assert sum("createComment" in str(step) for step in comment["steps"]) == 1


@pytest.mark.parametrize("name", ["deploy-dev.yml", "deploy-prod.yml"])
def test_the_deploy_fails_when_a_registration_does_not_come_up(name: str) -> None:
    jobs = workflow(name)["jobs"]
    deploy = next(job for job in jobs.values() if "matrix" in job.get("strategy", {}))
    runs = [str(step.get("run", "")) for step in deploy["steps"]]
    up = next(i for i, run in enumerate(runs) if " stacks up " in run)
    status = next(i for i, run in enumerate(runs) if " stacks status " in run)

    assert up < status
    assert "--wait" in runs[status]
    assert "continue-on-error" not in deploy["steps"][status]
