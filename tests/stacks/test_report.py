"""`diff-report` on recorded `pulumi preview --json` output: operations, properties, masked secrets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from stacks import report
from tests.stacks.conftest import FIXTURES, GOOD_STACK, Invoke, Project

PREVIEWS = FIXTURES / "previews"
# Values present in the recorded previews that must never reach a report.
SECRETS_IN_FIXTURES = ("old-voipco-pass-1", "new-voipco-pass-2", "1b47061264138c4ac30d75fd1eb44270")


def _section(text: str, stack: str) -> str:
    start = text.index(f"### {stack}:")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else None]


def test_report_summarizes_each_stack(invoke: Invoke) -> None:
    result = invoke("diff-report", str(PREVIEWS))

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(report.MARKER + "\n")
    assert "## Pulumi preview: 3 stacks, 1 with changes, 1 failed" in text
    assert "| acme-dev | 3 | 2 | 1 | 1 | 14 | 3 to create, 2 to update, 1 to replace, 1 to delete |" in text
    assert "| other-dev | 0 | 0 | 0 | 0 | 9 | no changes |" in text
    assert "| other-prod | | | | | | **failed** |" in text
    assert "error: no stack named 'other-prod' found" in _section(text, "other-prod")
    assert "### other-dev" not in text  # nothing to review there


def test_report_lists_creates_updates_replaces_and_deletes(invoke: Invoke) -> None:
    acme = _section(invoke("diff-report", str(PREVIEWS)).stdout, "acme-dev")
    rows = {line.split(" | ")[1]: line for line in acme.splitlines() if line.startswith("| ") and "`" in line}

    create = rows["`acme-voipco-incall-15551230003`"]
    assert create.startswith("| + create |")
    assert '`destination`: `{"type": "user", "user_id": 2}`' in create
    assert "__provider" not in create
    assert "`incall_id`: `(known after apply)`" in rows["`acme-voipco-incall-extension-15551230003`"]

    update = rows["`acme-out-outcall`"]
    assert update.startswith("| ~ update |")
    assert '`description`: `"Public network"` → `"Public network, VoIPCo first then BackupCo"`' in update
    assert "`ring_time`: added `30`" in update

    endpoint = rows["`acme-voipco-endpoint`"]
    assert '`label`: `"VoIPCo"` → `"VoIPCo (primary)"`' in endpoint
    assert (
        '`aor_section_options[1]`: `["qualify_frequency", "60"]` → `["qualify_frequency", "30"]`' in endpoint
    )

    replace = rows["`acme-out-extension-_NXXNXXXXXX`"]
    assert replace.startswith("| +- replace |")
    assert '`exten`: `"_NXXNXXXXX"` → `"_NXXNXXXXXX"` (forces replacement)' in replace

    assert rows["`acme-voipco-incall-15551230009`"].startswith("| - delete |")
    assert "- warning: provider acme-backupco: registration is disabled" in acme


def test_report_masks_secrets(invoke: Invoke) -> None:
    text = invoke("diff-report", str(PREVIEWS)).stdout

    for secret in SECRETS_IN_FIXTURES:
        assert secret not in text
    assert "`outbound_auth_section_options`: changed (secret, value hidden)" in text
    assert "`registration_outbound_auth_section_options`: changed (secret, value hidden)" in text


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
    step = next(s for s in digest["steps"] if s["urn"].endswith("::acme-out-outcall"))
    step["oldState"]["inputs"]["routingKey"] = "rk-old-value"
    step["newState"]["inputs"]["routingKey"] = "rk-new-value"
    step["diffReasons"].append("routingKey")
    step["detailedDiff"]["routingKey"] = {"kind": "update", "inputDiff": True}
    digest["config"].pop("wazo-voip:providers")
    path = tmp_path / "acme-dev.json"
    path.write_text(json.dumps(digest))

    masked = invoke("diff-report", str(path)).stdout
    unmasked = invoke("diff-report", "--no-stack-config", str(path)).stdout

    assert "rk-old-value" not in masked
    assert "rk-new-value" not in masked
    assert "`routingKey`: changed (secret, value hidden)" in masked
    assert "rk-new-value" in unmasked  # proves the stack file is what masked it


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
    assert "## Pulumi preview: 2 stacks, 1 with changes, 0 failed" in text
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
