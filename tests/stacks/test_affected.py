"""`affected`: the stacks a pull request touches."""

from __future__ import annotations

import pytest

from tests.stacks.conftest import GOOD_STACK, Invoke, Project


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
