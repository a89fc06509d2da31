"""The routing diagram: its text for a known stack, the marks a real preview puts on it, the diff
report that carries it, `show --format mermaid`, and Mermaid's own parser (npm) over every diagram.

tests/stacks/fixtures/routing/ holds a change of acme-dev as a pull request would make it and the
`pulumi preview --json` the real CLI gave for it (tests/stacks/capture_routing_preview.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from providers.model import StackConfig, load_stack_config
from stacks import diagram, report
from stacks.stackfile import StackRef, read_stack_file
from tests.component.test_program import acme_dev_config
from tests.stacks.conftest import Invoke, Project
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
ROUTING = Path(__file__).parent / "fixtures" / "routing"
CHECKER = ROOT / "tests" / "mermaid" / "check.mjs"
INSTALLED = ROOT / "tests" / "mermaid" / "node_modules" / "mermaid"


def stack(path: Path) -> StackConfig:
    return load_stack_config(read_stack_file(StackRef.from_path(path)).values)


def preview_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads((ROUTING / "acme-dev.json").read_text())["steps"]
    return steps


def marked_acme() -> diagram.Routing:
    return diagram.mark_changes(diagram.from_stack(stack(ROUTING / "Pulumi.acme-dev.yaml")), preview_steps())


def classes(text: str) -> dict[str, set[str]]:
    """`class A,B mark` lines -> {mark: {A, B}}."""
    found: dict[str, set[str]] = {}
    for ids, mark in re.findall(r"^  class (\S+) (\w+)$", text, re.MULTILINE):
        found.setdefault(mark, set()).update(ids.split(","))
    return found


def nodes(text: str) -> dict[str, str]:
    """Node id -> its label's text, for every node the diagram defines."""
    return dict(re.findall(r'\b([A-Z][0-9_]*)[\[\(\{/]+"([^"]*)"', text))


ACME_DEV = """\
flowchart LR
  %% acme-dev
  subgraph V0["VoIPCo (primary) · sip.voipco.example:5060"]
    T0["trunk acme-voipco<br/>registers"]
  end
  subgraph V1["BackupCo (backup) · sip.backupco.example:5080"]
    T1["trunk acme-backupco<br/>no registration"]
  end
  O0{{"outcall acme-out"}}
  P0_0(["_NXXNXXXXXX<br/>add +1 · caller id +15551230000"]) --> O0
  P0_1(["_1NXXNXXXXXX<br/>strip 1 · add +1 · caller id +15551230000"]) --> O0
  P0_2(["_011.<br/>strip 3 · add +"]) --> O0
  O0 -->|"priority 1"| T0
  O0 -->|"priority 2"| T1
  C0[("incall context")]
  T0 --> C0
  T1 --> C0
  C0 --> D0[/"+15551230000"/] --> X0["user alice@acme.example"]
  C0 --> D1[/"+15551230001"/] --> X1["user bob@acme.example, ring 25 s"]
  C0 --> D2[/"+15551230002"/] --> X2["user #35;3"]
  C0 --> D3[/"+15551239000"/] --> X3["hangup: busy"]
  C0 --> D4[/"+15551239001"/] --> X4["custom: Playback(tt-monkeys)"]
"""


def test_the_diagram_of_acme_dev_as_declared():
    text = diagram.mermaid(diagram.from_stack(stack(ROOT / "stacks" / "Pulumi.acme-dev.yaml")), "acme-dev")

    assert text == ACME_DEV


def test_a_real_preview_marks_what_the_change_adds_removes_and_modifies():
    text = diagram.mermaid(marked_acme(), "acme-dev")
    labels = nodes(text)

    marks = {mark: {labels[i].split("<br/>")[0] for i in ids} for mark, ids in classes(text).items()}
    assert marks == {
        "added": {"+ 911", "+ +15551230003", "user carol@acme.example"},
        "removed": {"- _1NXXNXXXXXX", "- 5551239001", "custom: Playback(tt-monkeys)"},  # a DID by its exten
        "changed": {
            "~ trunk acme-backupco",  # its label
            "~ outcall acme-out",  # its trunk order
            "~ _011.",  # strip 3 -> 2
            "~ +15551230001",  # ring time 25 -> 30
            "user bob@acme.example, ring 30 s",
        },
    }
    # the removed items are drawn from the preview's old state: the pattern keeps its details
    assert labels["P0_3"] == "- _1NXXNXXXXXX<br/>strip 1 · add +1 · caller id +15551230000"
    # the new trunk order: BackupCo first
    assert '  O0 -->|"priority 1"| T1' in text
    assert "  classDef removed fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-dasharray:5 5" in text


def test_an_unchanged_preview_marks_nothing():
    routing = diagram.from_stack(stack(ROUTING / "Pulumi.acme-dev.yaml"))
    unchanged = [step for step in preview_steps() if step["op"] == "same"]

    text = diagram.mermaid(diagram.mark_changes(routing, unchanged))

    assert "classDef" not in text
    assert not diagram.marked(diagram.mark_changes(routing, unchanged))


def hostile() -> StackConfig:
    """Labels, patterns and destinations full of what Mermaid would parse."""
    return load_stack_config(
        {
            "url": "https://wazo.example.com",
            "tenant": "11111111-1111-4111-8111-111111111111",
            "providers": [
                {
                    "name": "p1",
                    "label": 'He said "hi" <b>#1</b> & co]) --> X',
                    "username": "u",
                    "host": "sip.example.com",
                    "outgoing": {
                        "outcall": "out",
                        "patterns": [{"exten": "_#*X.", "caller_id": '"CEO" <100>'}],
                    },
                    "incoming": [
                        {"did": "+15551230000", "destination": {"type": "custom", "command": 'Dial("x")'}}
                    ],
                }
            ],
        }
    )


def test_labels_cannot_break_out_of_their_quotes():
    text = diagram.mermaid(diagram.from_stack(hostile()))

    assert "He said #34;hi#34; #60;b#62;#35;1#60;/b#62; #38; co]) --#62; X · sip.example.com:5060" in text
    assert "#35;*X." in text
    assert "Dial(#34;x#34;)" in text


# -- the diff report ---------------------------------------------------------------------------------------


@pytest.fixture
def changed_acme(project: Project) -> Path:
    """The project's acme-dev stack file is the changed one; its preview JSON is in a directory."""
    shutil.copy(ROUTING / "Pulumi.acme-dev.yaml", project.stacks / "Pulumi.acme-dev.yaml")
    previews = project.root / "previews"
    previews.mkdir()
    shutil.copy(ROUTING / "acme-dev.json", previews / "acme-dev.json")
    return previews


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, re.DOTALL)


def test_the_report_draws_each_stack_as_declared_with_its_changes_marked(
    changed_acme: Path, project: Project, invoke: Invoke
):
    result = invoke("diff-report", str(changed_acme))

    assert result.exit_code == 0, result.output
    text = result.stdout
    section = text[text.index("### acme-dev:") :]
    assert (
        "<details open><summary>Routing of acme-dev as the stack declares it; marked: + added (green)"
        in section
    )
    (block,) = mermaid_blocks(text)
    assert block == diagram.mermaid(marked_acme(), "acme-dev")
    assert "e2e-VoIPCo-s3cret" not in text
    assert "secure: v1" not in text


def test_the_report_folds_the_diagrams_of_unchanged_stacks_and_leaves_out_invalid_ones(
    changed_acme: Path, project: Project, invoke: Invoke
):
    other = (ROOT / "stacks" / "Pulumi.other-dev.yaml").read_text()
    (project.stacks / "Pulumi.other-dev.yaml").write_text(other)
    (project.stacks / "Pulumi.bad-dev.yaml").write_text("config:\n  wazo-voip:url: nope\n")
    digest = json.loads((ROUTING / "acme-dev.json").read_text())
    for name in ("other-dev", "bad-dev"):
        step = {"op": "same", "urn": digest["steps"][0]["urn"].replace("acme-dev", name)}
        unchanged = {"config": {}, "steps": [step], "changeSummary": {"same": 9}}
        (changed_acme / f"{name}.json").write_text(json.dumps(unchanged))

    text = invoke("diff-report", str(changed_acme)).stdout

    assert "### Stacks without changes" in text
    assert "<details><summary>Routing of other-dev as the stack declares it</summary>" in text
    assert "Routing of bad-dev" not in text
    assert len(mermaid_blocks(text)) == 2
    assert "--no-diagrams" not in text
    assert mermaid_blocks(invoke("diff-report", "--no-diagrams", str(changed_acme)).stdout) == []


def test_diagrams_give_way_when_the_comment_would_be_too_long(monkeypatch: pytest.MonkeyPatch):
    acme = diagram.from_stack(stack(ROOT / "stacks" / "Pulumi.acme-dev.yaml"))
    previews = [
        report.StackPreview("acme-dev", changes=[report.ResourceChange("create", "urn:x::y::t::r", "t")]),
        report.StackPreview("acme-prod", same=3),
    ]
    full = report.render(previews, routings={"acme-dev": acme, "acme-prod": acme})
    monkeypatch.setattr(report, "MAX_REPORT", len(full) - 1)

    shorter = report.render(previews, routings={"acme-dev": acme, "acme-prod": acme})

    assert len(mermaid_blocks(full)) == 2
    assert len(mermaid_blocks(shorter)) == 1
    assert "Routing of acme-dev" in shorter  # the changed stack keeps its diagram
    assert "_1 routing diagram left out to keep this comment within GitHub's size" in shorter


# -- show --format mermaid ---------------------------------------------------------------------------------


def test_show_draws_the_tenant_as_confd_holds_it(
    clean_sandbox: SandboxProcess, project: Project, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
):
    EngineDouble(acme_dev_config(clean_sandbox)).run(stack="acme-dev")
    text = (
        (ROOT / "stacks" / "Pulumi.acme-dev.yaml")
        .read_text()
        .replace("http://127.0.0.1:9486", clean_sandbox.url)
    )
    (project.stacks / "Pulumi.acme-dev.yaml").write_text(text)
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")

    result = invoke("show", "acme-dev", "--format", "mermaid")

    assert result.exit_code == 0, result.output
    out = result.output
    labels = set(nodes(out).values())
    assert "trunk acme-voipco<br/>registers" in labels
    assert "trunk acme-backupco<br/>no registration" in labels
    assert "_1NXXNXXXXXX<br/>strip 1 · add +1 · caller id +15551230000" in labels
    assert {"5551230000", "user Alice Acme (#35;1)", "hangup: busy"} <= labels
    assert re.search(r'O0 -->\|"priority 1"\| T\d', out)
    assert "ctx-acme-incall-" in out  # the real context, by name
    assert "acme-secret" not in out


# -- Mermaid's own parser ----------------------------------------------------------------------------------


def parse_with_mermaid(texts: dict[str, str], tmp_path: Path) -> dict[str, dict[str, Any]]:
    if not INSTALLED.exists():
        if os.environ.get("CI"):
            pytest.fail("tests/mermaid/node_modules is missing: `make test` installs it with npm ci")
        pytest.skip(
            "Mermaid's parser is not installed: `make test` (or npm ci --prefix tests/mermaid) does it"
        )
    files = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.mmd"
        path.write_text(text)
        files.append(str(path))
    run = subprocess.run(
        ["node", str(CHECKER), *files], capture_output=True, text=True, timeout=120, check=False
    )
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert results, run.stderr
    return {Path(r["file"]).stem: r for r in results}


def test_every_diagram_parses_with_mermaids_own_parser(tmp_path: Path):
    texts = {
        "acme-dev": ACME_DEV,
        "acme-dev-marked": diagram.mermaid(marked_acme(), "acme-dev"),
        "other-dev": diagram.mermaid(diagram.from_stack(stack(ROOT / "stacks" / "Pulumi.other-dev.yaml"))),
        "acme-prod": diagram.mermaid(diagram.from_stack(stack(ROOT / "stacks" / "Pulumi.acme-prod.yaml"))),
        "hostile": diagram.mermaid(diagram.from_stack(hostile())),
        "readme": readme_diagram(),
        "broken": 'flowchart LR\n  A["unclosed --> B\n',  # proves the parser can say no
    }

    results = parse_with_mermaid(texts, tmp_path)

    assert results.pop("broken")["ok"] is False
    assert {name: (r["ok"], r.get("type"), r.get("error")) for name, r in results.items()} == {
        name: (True, "flowchart-v2", None) for name in results
    }


def test_the_diagram_show_draws_parses_too(
    clean_sandbox: SandboxProcess,
    project: Project,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    EngineDouble(acme_dev_config(clean_sandbox)).run(stack="acme-dev")
    text = (
        (ROOT / "stacks" / "Pulumi.acme-dev.yaml")
        .read_text()
        .replace("http://127.0.0.1:9486", clean_sandbox.url)
    )
    (project.stacks / "Pulumi.acme-dev.yaml").write_text(text)
    monkeypatch.setenv("WAZO_PASSWORD", "acme-secret")
    shown = invoke("show", "acme-dev", "--format", "mermaid").output

    assert parse_with_mermaid({"shown": shown}, tmp_path)["shown"]["ok"] is True


def readme_diagram() -> str:
    (block,) = mermaid_blocks((ROOT / "README.md").read_text())
    return block


def test_the_readme_shows_the_diagram_the_report_draws():
    assert readme_diagram() == diagram.mermaid(marked_acme(), "acme-dev")


def test_a_pattern_is_marked_on_the_outcall_that_declares_it():
    """B's outcall tries A first; A's own outcall is another: a change of A's pattern belongs to A's."""

    def provider(name: str, outcall: str, trunks: list[str], exten: str) -> dict[str, Any]:
        outgoing = {"outcall": outcall, "trunks": trunks, "patterns": [{"exten": exten}]}
        return {"name": name, "username": "u", "host": "sip.example.com", "outgoing": outgoing}

    config = load_stack_config(
        {
            "url": "https://wazo.example.com",
            "tenant": "11111111-1111-4111-8111-111111111111",
            "providers": [
                provider("b", "out-b", ["a", "b"], "_2X."),
                provider("a", "out-a", ["a"], "_1X."),
            ],
        }
    )
    # the tenant's objects are children of the stack, named after their identity in confd
    urn = "urn:pulumi:s::wazo-voip::pulumi-python:dynamic/wazo-voip:Extension::pattern-_1X."
    step = {"op": "create", "urn": urn, "newState": {"inputs": {"exten": "_1X."}}}

    routing = diagram.mark_changes(diagram.from_stack(config), [step])

    marks = {o.name: [(p.exten, p.mark) for p in o.patterns] for o in routing.outcalls}
    assert marks == {"out-b": [("_2X.", None)], "out-a": [("_1X.", "added")]}


def test_a_removed_pattern_is_drawn_on_the_outcall_it_was_attached_to():
    """The stack no longer declares it: the preview's old state names its outcall by id."""
    config = load_stack_config(
        {
            "url": "https://wazo.example.com",
            "tenant": "11111111-1111-4111-8111-111111111111",
            "providers": [
                {
                    "name": "a",
                    "username": "u",
                    "host": "sip.example.com",
                    "outgoing": {"outcall": "out-a", "patterns": [{"exten": "_1X."}]},
                }
            ],
        }
    )
    stack = "urn:pulumi:s::wazo-voip::pulumi-python:dynamic/wazo-voip:"
    outcall = {"inputs": {"name": "out-a"}, "outputs": {"name": "out-a", "outcall_id": 7}}
    steps = [
        {"op": "same", "urn": f"{stack}Outcall::outcall-out-a", "oldState": outcall, "newState": outcall},
        {"op": "delete", "urn": f"{stack}Extension::pattern-_9X.", "oldState": {"inputs": {"exten": "_9X."}}},
        {
            "op": "delete",
            "urn": f"{stack}OutcallExtension::pattern-_9X.-outcall",
            "oldState": {"inputs": {"outcall_id": 7, "extension_id": 3, "strip_digits": 1}},
        },
    ]

    routing = diagram.mark_changes(diagram.from_stack(config), steps)

    (out_a,) = routing.outcalls
    assert [(p.exten, p.details, p.mark) for p in out_a.patterns] == [
        ("_1X.", (), None),
        ("_9X.", ("strip 1",), "removed"),
    ]
