"""Fixtures of the fleet tool's tests: a throwaway Pulumi project with stack files, and the CLI runner."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from stacks.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"

GOOD_STACK = """\
config:
  wazo-voip:url: http://127.0.0.1:9486
  wazo-voip:tenant: 11111111-1111-4111-8111-111111111111
  wazo-voip:username: acme-admin
  wazo-voip:password:
    secure: v1:c2FsdA==:AAAAbm90LWEtcmVhbC1jaXBoZXJ0ZXh0
  wazo-voip:providers:
    - name: acme-voipco
      label: VoIPCo
      username: acct123
      password:
        secure: v1:c2FsdA==:BBBBbm90LWEtcmVhbC1jaXBoZXJ0ZXh0
      host: sip.voipco.example
      outgoing:
        outcall: acme-out
        patterns: [{exten: "_0XXXXXXXXX", strip_digits: 1}]
      incoming:
        - did: "+15551234567"
          destination: {type: user, user_email: alice@acme.example}
"""


class Project:
    """A Pulumi project directory (Pulumi.yaml with stackConfigDir: stacks) for the CLI to work in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stacks = root / "stacks"
        self.stacks.mkdir(parents=True)
        (root / "Pulumi.yaml").write_text(
            "name: wazo-voip\nruntime:\n  name: python\nstackConfigDir: stacks\n", encoding="utf-8"
        )

    def write(self, name: str, text: str) -> Path:
        path = self.stacks / f"Pulumi.{name}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(project: Project, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `python -m stacks --root <project> ARGS` in-process; `obj` replaces the CLI's seams."""
    monkeypatch.chdir(project.root)

    def run(*args: str, obj: dict[str, Any] | None = None, input: str | None = None) -> Result:
        seams: dict[str, Any] = {"interactive": False, "which": lambda name: None}
        seams.update(obj or {})
        return CliRunner().invoke(cli, ["--root", str(project.root), *args], obj=seams, input=input)

    return run
