"""The real CLI over a stack deployed by the first layout: the upgrade, then everyday moves.

The first layout (tests/support/first_layout.py) named every resource after its provider. The stack
is deployed with it, then the current program runs over that state: the engine must match each
resource to its former name through the aliases (with their parent), so that the preview shows no
change and the `up` no write. Then a DID moves from one provider to another in the stack file: the
preview shows no create and no delete for it, and the `up` makes no write. The steps share one
stack and run in file order.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.stack import STACK, Cli, copy_project, secret_settings, stack_config, write_stack_file, writes
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIRST_LAYOUT_MAIN = "from first_layout import main\n\nmain()\n"
MOVED = "+15551239000"  # a DID of acme-backupco in the template stack


def non_same(steps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(s["op"], s["urn"]) for s in steps if s.get("op") != "same"]


class Run:
    def __init__(self, cli: Cli, sandbox: SandboxProcess) -> None:
        self.cli = cli
        self.sandbox = sandbox

    def use_program(self, main: str) -> None:
        (self.cli.project / "__main__.py").write_text(main)

    def stack_file(self) -> Path:
        return self.cli.project / "stacks" / f"Pulumi.{STACK}.yaml"


@pytest.fixture(scope="module")
def run(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("upgrade")
    cli = Cli(copy_project(root / "project"), root / "home", root / "backend")
    shutil.copy2(ROOT / "tests" / "support" / "first_layout.py", cli.project / "first_layout.py")
    cli.login()
    cli.run("stack", "init", STACK)
    write_stack_file(cli.project, stack_config(sandbox.url))
    for key, value in secret_settings():
        cli.run("config", "set", "--secret", "--path", key, value)
    state = Run(cli, sandbox)
    yield state
    state.use_program((ROOT / "__main__.py").read_text())
    cli.run("destroy", "--yes", "--skip-preview", check=False)
    cli.run("stack", "rm", "--yes", "--force", STACK, check=False)


def test_the_first_layout_deploys_the_stack(run: Run) -> None:
    run.use_program(FIRST_LAYOUT_MAIN)
    run.cli.run("up", "--yes", "--skip-preview")
    urns = [r["urn"] for r in run.cli.export()["deployment"]["resources"]]
    assert any(urn.endswith("::acme-backupco-did-15551239000") for urn in urns)


def test_the_current_program_previews_no_change_over_it(run: Run) -> None:
    run.use_program((ROOT / "__main__.py").read_text())
    run.sandbox.clear_requests()
    result = run.cli.json("preview")
    assert non_same(result["steps"]) == []
    run.cli.run("preview", "--expect-no-changes")
    assert writes(run.sandbox.requests()) == []


def test_the_upgrade_writes_nothing_and_keeps_the_new_names(run: Run) -> None:
    run.sandbox.clear_requests()
    run.cli.run("up", "--yes", "--skip-preview")
    assert writes(run.sandbox.requests()) == []
    urns = [r["urn"] for r in run.cli.export()["deployment"]["resources"]]
    assert any(urn.endswith("::did-5551239000") for urn in urns)
    assert not any("-did-" in urn for urn in urns)
    run.cli.run("preview", "--expect-no-changes")


def test_moving_a_did_to_another_provider_previews_no_create_and_no_delete(run: Run) -> None:
    data = yaml.safe_load(run.stack_file().read_text())
    voipco, backupco = data["config"]["wazo-voip:providers"]
    moved = next(d for d in backupco["incoming"] if d["did"] == MOVED)
    backupco["incoming"].remove(moved)
    voipco["incoming"].append(moved)
    write_stack_file(run.cli.project, data["config"])

    run.sandbox.clear_requests()
    steps = run.cli.json("preview")["steps"]
    # the JSON preview lists changes only: nothing at all for the DID, nor for anything else
    assert [s["op"] for s in steps if "did-5551239000" in s["urn"]] in ([], ["same"] * 3)
    assert non_same(steps) == []
    assert writes(run.sandbox.requests()) == []

    ids = {
        r["urn"]: r["id"] for r in run.cli.export()["deployment"]["resources"] if "did-5551239000" in r["urn"]
    }
    run.cli.run("up", "--yes", "--skip-preview")
    assert writes(run.sandbox.requests()) == []
    after = {
        r["urn"]: r["id"] for r in run.cli.export()["deployment"]["resources"] if "did-5551239000" in r["urn"]
    }
    assert len(ids) == 3
    assert after == ids


def test_a_did_set_as_the_cli_parses_it_is_taken_as_its_digits(run: Run) -> None:
    # voipco now lists 4 DIDs (one moved in above): this is the fifth
    run.cli.run("config", "set", "--path", "providers[0].incoming[4].did", "+15551230003")
    run.cli.run("config", "set", "--path", "providers[0].incoming[4].destination.type", "none")
    assert "did: 15551230003\n" in run.stack_file().read_text()  # a number: the '+' is gone

    steps = run.cli.json("preview")["steps"]
    assert sorted((op, urn.rsplit("::", 1)[-1]) for op, urn in non_same(steps)) == [
        ("create", "did-5551230003"),
        ("create", "did-5551230003-incall"),
        ("create", "did-5551230003-link"),
    ]
    run.sandbox.clear_requests()
    run.cli.run("up", "--yes", "--skip-preview")
    assert [method for method, _ in writes(run.sandbox.requests())] == ["POST", "POST", "PUT"]


def test_a_new_caller_id_set_as_a_number_is_refused_naming_type_string(run: Run) -> None:
    # the third pattern has no caller_id yet: the CLI stores a new key that looks like a number as one
    key = "providers[0].outgoing.patterns[2].caller_id"
    run.cli.run("config", "set", "--path", key, "+15551230000")
    result = run.cli.run("preview", check=False)
    assert result.returncode != 0
    assert f"pulumi config set --type string --path '{key}' <value>" in result.stdout + result.stderr
    run.cli.run("config", "rm", "--path", key)
    run.cli.run("preview", "--expect-no-changes")


def test_an_existing_string_key_set_without_type_string_loses_its_plus(run: Run) -> None:
    # what the README warns of: the CLI keeps the key a string, but writes the number it parsed
    key = "providers[0].outgoing.patterns[1].caller_id"
    run.cli.run("config", "set", "--path", key, "+15551230000")
    assert "caller_id: '15551230000'" in run.stack_file().read_text()
    run.cli.run("config", "set", "--type", "string", "--path", key, "+15551230000")
    assert "caller_id: '+15551230000'" in run.stack_file().read_text()
    run.cli.run("preview", "--expect-no-changes")


def _providers(run: Run) -> list[dict[str, Any]]:
    data = yaml.safe_load(run.stack_file().read_text())
    providers: list[dict[str, Any]] = data["config"]["wazo-voip:providers"]
    return providers


def _write(run: Run, providers: list[dict[str, Any]]) -> None:
    write_stack_file(run.cli.project, {"wazo-voip:providers": providers})


def test_a_provider_renamed_with_renamed_from_previews_one_update_in_place(run: Run) -> None:
    providers = _providers(run)
    providers[1]["name"] = "acme-backupnet"
    providers[1]["renamed_from"] = ["acme-backupco"]
    providers[0]["outgoing"]["trunks"] = ["acme-voipco", "acme-backupnet"]
    _write(run, providers)

    steps = run.cli.json("preview")["steps"]
    # the engine gives the component's children its former names too (`acme-backupco-trunk`...)
    assert [(op, urn.rsplit("::", 1)[-1]) for op, urn in non_same(steps)] == [
        ("update", "acme-backupnet-endpoint")
    ]
    run.sandbox.clear_requests()
    run.cli.run("up", "--yes", "--skip-preview")
    ((method, path),) = writes(run.sandbox.requests())
    assert (method, path.rsplit("/", 1)[0]) == ("PUT", "/api/confd/1.1/endpoints/sip")
    run.cli.run("preview", "--expect-no-changes")


def test_moving_a_pattern_to_another_outcall_previews_a_replacement_that_deletes_first(run: Run) -> None:
    providers = _providers(run)
    providers[1]["outgoing"] = {"outcall": "acme-intl", "patterns": [{"exten": "_00."}]}
    _write(run, providers)
    run.cli.run("up", "--yes", "--skip-preview")

    providers = _providers(run)
    pattern = next(p for p in providers[0]["outgoing"]["patterns"] if p["exten"] == "_011.")
    providers[0]["outgoing"]["patterns"].remove(pattern)
    providers[1]["outgoing"]["patterns"].append(pattern)
    _write(run, providers)

    steps = non_same(run.cli.json("preview", "--show-replacement-steps")["steps"])
    assert {urn.rsplit("::", 1)[-1] for _, urn in steps} == {"pattern-_011.-outcall"}
    # delete-before-replace: the preview lists the old link's deletion before the new link
    assert [op for op, _ in steps] == ["delete-replaced", "replace", "create-replacement"]
    lines = [
        line
        for line in run.cli.run("preview", "--show-replacement-steps").stdout.splitlines()
        if "pattern-_011.-outcall" in line
    ]
    assert [line.split("pattern-_011.-outcall")[1].split("[")[0].strip() for line in lines] == [
        "delete original",
        "replace",
        "create replacement",
    ]
    run.sandbox.clear_requests()
    run.cli.run("up", "--yes", "--skip-preview")
    assert [method for method, _ in writes(run.sandbox.requests())] == ["DELETE", "PUT"]
    run.cli.run("preview", "--expect-no-changes")
