"""README's seed walkthrough: every `sh` block between the seed-curl markers runs against a sandbox.

The blocks are read from README.md at test time, so an edited request is the request that runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sandbox._helpers import ACME, ALICE, CREDENTIALS, Api, context, template
from tests.support.sandbox import SandboxProcess

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- seed-curl:begin -->"
END = "<!-- seed-curl:end -->"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
CURL_CALL = re.compile(r"(?<![\w-])curl\s")


def seed_section() -> str:
    text = README.read_text()
    assert text.count(BEGIN) == 1, "README.md must hold exactly one seed-curl:begin marker"
    assert text.count(END) == 1, "README.md must hold exactly one seed-curl:end marker"
    start, end = text.index(BEGIN), text.index(END)
    assert start < end
    return text[start + len(BEGIN) : end]


def seed_blocks() -> list[str]:
    """The fenced ```sh blocks of the section, in order."""
    return SH_BLOCK.findall(seed_section())


def _code_lines(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_section_shape() -> None:
    """The section exists once, holds several sh blocks, and every curl call fails on HTTP errors."""
    section = seed_section()
    assert "## The seed procedure in today's API (curl against the sandbox)" in section
    blocks = seed_blocks()
    assert len(blocks) >= 8, blocks
    for block in blocks:
        calls = [line for line in _code_lines(block) if CURL_CALL.search(line)]
        for line in calls:
            assert "--fail-with-body" in line, line


def _script(blocks: list[str]) -> str:
    parts = ["set -euo pipefail"]
    for number, block in enumerate(blocks, 1):
        parts.append(block)
        parts.append(f'echo "::readme-step {number} ok"')
    return "\n".join(parts) + "\n"


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("curl") is None, reason="needs curl and jq")
def test_seed_walkthrough_runs(clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    """Run the README's blocks in order with bash; each step succeeds; the tenant holds exactly
    the objects of the procedure (docs/confd-contract.md 9.4, 7 safe creation order)."""
    blocks = seed_blocks()
    script = _script(blocks)
    (tmp_path / "seed.sh").write_text(script)
    env = {**os.environ, "WAZO": clean_sandbox.url}
    result = subprocess.run(
        ["bash", str(tmp_path / "seed.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    for number in range(1, len(blocks) + 1):
        assert f"::readme-step {number} ok" in result.stdout, result.stdout

    # every curl call of the section reached the sandbox, and none failed
    calls = sum(1 for block in blocks for line in _code_lines(block) if CURL_CALL.search(line))
    log = clean_sandbox.requests()
    assert len(log) == calls, log
    assert all(entry["status"] is not None and entry["status"] < 400 for entry in log), log

    api = Api(clean_sandbox.confd_url, clean_sandbox.token(*CREDENTIALS["acme-admin"]), ACME)
    incall_ctx = context(api, "incall")["name"]
    outcall_ctx = context(api, "outcall")["name"]

    (trunk,) = api.items("trunks")
    (endpoint,) = api.items("endpoints/sip")
    (outcall,) = api.items("outcalls")
    (incall,) = api.items("incalls")
    extensions = {e["exten"]: e for e in api.items("extensions")}
    assert set(extensions) == {"_418.", "5551234567"}
    assert len(api.items("contexts")) == 3

    assert trunk["context"] == incall_ctx
    assert trunk["endpoint_sip"]["uuid"] == endpoint["uuid"]
    assert [o["id"] for o in trunk["outcalls"]] == [outcall["id"]]

    assert endpoint["templates"] == [
        {"uuid": template(api, "registration_trunk")["uuid"], "label": "registration_trunk"}
    ]
    assert endpoint["outbound_auth_section_options"] == [["username", "acct123"], ["password", "s3cret"]]
    assert endpoint["registration_outbound_auth_section_options"] == [
        ["username", "acct123"],
        ["password", "s3cret"],
    ]
    registration = dict(map(tuple, endpoint["registration_section_options"]))
    assert registration == {
        "server_uri": "sip:sip.provider.example",
        "client_uri": "sip:acct123@sip.provider.example",
        "contact_user": "acct123",
        "expiration": "120",
    }
    aor = dict(map(tuple, endpoint["aor_section_options"]))
    assert aor == {"contact": "sip:sip.provider.example:5060", "qualify_frequency": "60"}
    assert endpoint["identify_section_options"] == [["match", "sip.provider.example"]]
    assert endpoint["auth_section_options"] == []

    assert [t["id"] for t in outcall["trunks"]] == [trunk["id"]]
    (pattern,) = outcall["extensions"]
    assert pattern["exten"] == "_418."
    assert pattern["context"] == outcall_ctx
    assert pattern["strip_digits"] == 0
    assert pattern["caller_id"] == "+15551234567"
    assert extensions["_418."]["outcall"]["id"] == outcall["id"]

    assert incall["destination"]["type"] == "user"
    assert incall["destination"]["user_id"] == ALICE
    assert [(e["exten"], e["context"]) for e in incall["extensions"]] == [("5551234567", incall_ctx)]
    assert extensions["5551234567"]["incall"]["id"] == incall["id"]
