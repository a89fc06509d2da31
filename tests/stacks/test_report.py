"""`diff-report` on `pulumi preview --json` output recorded from the real CLI (capture_previews.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from stacks import report
from tests.stacks import capture_previews
from tests.stacks.conftest import FIXTURES, GOOD_STACK, Invoke, Project

PREVIEWS = FIXTURES / "previews"
# Every secret the capture (tests/stacks/capture_previews.py) set, and the engine's secret signature.
SECRETS_IN_CAPTURE = (
    *(value for stack in capture_previews.SECRETS.values() for value in stack.values()),
    capture_previews.NEW_PASSWORD,
    "1b47061264138c4ac30d75fd1eb44270",
)


def _section(text: str, stack: str) -> str:
    start = text.index(f"### {stack}:")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(text: str) -> dict[str, str]:
    return {line.split(" | ")[1]: line for line in text.splitlines() if line.startswith("| ") and "`" in line}


def test_the_fixtures_are_real_previews_without_a_secret() -> None:
    for path in PREVIEWS.glob("*.json"):
        text = path.read_text()
        for secret in SECRETS_IN_CAPTURE[:-1]:
            assert secret not in text, path.name
    digest = json.loads((PREVIEWS / "acme-dev.json").read_text())
    assert set(digest) == {"config", "steps", "duration", "changeSummary"}
    # what the real CLI sends for a dynamic resource's update: no diffReasons, no detailed diff
    update = next(step for step in digest["steps"] if step["op"] == "update")
    assert "diffReasons" not in update
    assert update["detailedDiff"] is None


def test_report_summarizes_each_stack(invoke: Invoke) -> None:
    result = invoke("diff-report", str(PREVIEWS))

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(report.MARKER + "\n")
    assert "## Pulumi preview: 3 stacks, 2 with changes, 1 failed" in text
    assert "| acme-dev | 5 | 2 | 0 | 5 | 25 | 5 to create, 2 to update, 5 to delete |" in text
    assert "| other-dev | 0 | 1 | 0 | 0 | 16 | 1 to update |" in text
    assert "| other-prod | | | | | | **failed** |" in text
    assert "error: no stack named 'other-prod' found" in _section(text, "other-prod")


def test_a_label_change_lists_that_one_property(invoke: Invoke) -> None:
    rows = _rows(_section(invoke("diff-report", str(PREVIEWS)).stdout, "acme-dev"))

    endpoint = rows["`acme-voipco-endpoint`"]
    assert endpoint.startswith("| ~ update |")
    properties = endpoint.split(" | ")[3].split("<br>")
    assert properties == ['`label`: `"VoIPCo (primary)"` → `"VoIPCo (main)"` |']


def test_report_lists_creates_updates_and_deletes(invoke: Invoke) -> None:
    rows = _rows(_section(invoke("diff-report", str(PREVIEWS)).stdout, "acme-dev"))

    keepalive = rows["`acme-backupco-endpoint`"]
    assert (
        '`aor_section_options[1]`: `["qualify_frequency", "30"]` → `["qualify_frequency", "45"]`' in keepalive
    )
    assert keepalive.count("→") == 1

    created = [name for name, row in rows.items() if row.startswith("| + create |")]
    assert len(created) == 5
    did = rows["`did-5551239002`"]
    assert '`exten`: `"5551239002"`' in did
    assert "__provider" not in did
    incall = rows["`did-5551239002-incall`"]
    assert '`destination`: `{"type": "none"}`' in incall
    link = rows["`did-5551239002-link`"]
    assert "`incall_id`: `(known after apply)`" in link

    deleted = sorted(name for name, row in rows.items() if row.startswith("| - delete |"))
    assert len(deleted) == 5
    assert sum("did-5551230002" in name for name in deleted) == 3


def test_report_masks_secrets(invoke: Invoke) -> None:
    text = invoke("diff-report", str(PREVIEWS)).stdout

    for secret in SECRETS_IN_CAPTURE:
        assert secret not in text
    # other-dev changed only its provider's password: the report says that a secret changed
    other = _rows(_section(text, "other-dev"))["`other-francotel-endpoint`"]
    assert "`secret inputs`: changed (secret, value hidden)" in other


def test_mask_handles_both_secret_markers_and_secret_pairs() -> None:
    names = report.secret_names_of(
        {"config": {"wazo-voip:apiKey": "[secret]"}}, ["providers[0].sharedSecret"]
    )
    value = {
        "plain": "ok",
        "signed": {report.SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": '"s3cret"'},
        "blinded": "[secret]",
        "apiKey": "k-123",
        "nested": {"sharedSecret": "x-456"},
        "options": [["password", "p-789"], ["dtmf_mode", "rfc4733"]],
    }

    masked = report.mask(value, names)

    assert masked == {
        "plain": "ok",
        "signed": "[secret]",
        "blinded": "[secret]",
        "apiKey": "[secret]",
        "nested": {"sharedSecret": "[secret]"},
        "options": [["password", "[secret]"], ["dtmf_mode", "rfc4733"]],
    }


def test_report_masks_properties_named_after_the_stacks_secret_keys(
    project: Project, invoke: Invoke, tmp_path: Path
) -> None:
    """A key the stack file stores encrypted (`wazo-voip:routingKey`) is masked wherever it shows."""
    project.write("acme-dev", GOOD_STACK + "  wazo-voip:routingKey:\n    secure: v1:AAAA\n")
    digest = json.loads((PREVIEWS / "acme-dev.json").read_text())
    step = next(s for s in digest["steps"] if s["urn"].endswith("::acme-voipco-endpoint"))
    step["oldState"]["inputs"]["routingKey"] = "rk-old-value"
    step["newState"]["inputs"]["routingKey"] = "rk-new-value"
    digest["config"].pop("wazo-voip:providers")
    path = tmp_path / "acme-dev.json"
    path.write_text(json.dumps(digest))

    masked = invoke("diff-report", str(path)).stdout
    unmasked = invoke("diff-report", "--no-stack-config", str(path)).stdout

    assert "rk-old-value" not in masked
    assert "rk-new-value" not in masked
    assert '`routingKey`: `"rk-old-value"` → `"rk-new-value"`' in unmasked  # the stack file masked it


def test_report_reads_single_files_and_writes_to_a_file(invoke: Invoke, tmp_path: Path) -> None:
    copy = tmp_path / "previews"
    shutil.copytree(PREVIEWS, copy)
    (copy / "fleet-results.json").unlink()
    output = tmp_path / "report.md"

    result = invoke(
        "diff-report", str(copy / "other-dev.json"), str(copy / "acme-dev.json"), "-o", str(output)
    )

    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert "## Pulumi preview: 2 stacks, 2 with changes, 0 failed" in text
    assert text.index("| acme-dev |") < text.index("| other-dev |")


def test_report_detailed_diff_kinds_and_paths() -> None:
    step = {
        "op": "update",
        "urn": "urn:pulumi:s::p::t::r",
        "oldState": {"inputs": {"tags": {"a.b": "1", "gone": "x"}, "list": [1, 2]}},
        "newState": {"inputs": {"tags": {"a.b": "2", "new": "y"}, "list": [1, 3]}},
        "detailedDiff": {
            'tags["a.b"]': {"kind": "update", "inputDiff": True},
            "tags.gone": {"kind": "delete", "inputDiff": True},
            "tags.new": {"kind": "add", "inputDiff": True},
            "list[1]": {"kind": "update-replace", "inputDiff": True},
        },
    }

    changes = {c.path: c for c in report.property_changes(step, report.ALWAYS_SECRET)}

    assert (changes['tags["a.b"]'].old, changes['tags["a.b"]'].new) == ('"1"', '"2"')
    assert (changes["tags.gone"].old, changes["tags.gone"].new) == ('"x"', None)
    assert (changes["tags.new"].old, changes["tags.new"].new) == (None, '"y"')
    assert changes["list[1]"].replaces
    assert (changes["list[1]"].old, changes["list[1]"].new) == ("2", "3")


def test_report_refuses_what_is_not_a_preview(invoke: Invoke, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}')

    result = invoke("diff-report", str(bogus))

    assert result.exit_code == 1
    assert "bogus.json: not the output of `pulumi preview --json`" in result.output


def test_report_with_no_stack(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    assert "this change touches none" in report.report([empty])
