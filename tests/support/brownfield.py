"""A tenant made by hand, as operators made theirs before this project: the README's own curl
walkthrough (one registering provider, its outcall and pattern, a DID to Alice), then a second
provider without registration, a second outcall through both trunks in order, more dial patterns
with every field, and DIDs to most kinds of destination. The export and adoption tests start here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.seed import ACME_TENANT, CONTEXTS, TRANSPORT_UDP, target_id, target_uuid, template_uuid
from tests.support.sandbox import SandboxProcess
from tests.test_readme import _script, seed_blocks

INCALL_CTX = CONTEXTS[("acme", "incall")].name
OUTCALL_CTX = CONTEXTS[("acme", "outcall")].name
INTERNAL_CTX = CONTEXTS[("acme", "internal")].name
# the SIP passwords the tenant's endpoints hold (the README's, and the second provider's)
PASSWORDS = {"acme_provider": "s3cret", "acme-backup": "backup-S3cret"}
# the DIDs beyond the README's, each to another kind of destination (exten in acme's incall context)
DESTINATIONS: dict[str, dict[str, Any]] = {
    "5551230001": {"type": "group", "group_id": target_id("group", "acme"), "ring_time": 30},
    "5551230002": {"type": "queue", "queue_id": target_id("queue", "acme"), "ring_time": 20},
    "5551230003": {
        "type": "voicemail",
        "voicemail_id": target_id("voicemail", "acme"),
        "greeting": "busy",
        "skip_instructions": True,
    },
    "5551230004": {"type": "hangup", "cause": "busy", "timeout": 5},
    "5551230005": {"type": "sound", "filename": "closed", "skip": True},
    "5551230006": {"type": "none"},
    "5551230007": {"type": "user", "user_id": 2, "ring_time": 25},
    "5551230008": {"type": "extension", "exten": "1000", "context": INTERNAL_CTX},
    "5551230009": {"type": "custom", "command": "Playback(hello-world)"},
    "5551230010": {"type": "ivr", "ivr_id": target_id("ivr", "acme")},
    "5551230011": {"type": "switchboard", "switchboard_uuid": target_uuid("switchboard", "acme")},
    "5551230012": {"type": "application", "application": "disa", "context": INTERNAL_CTX, "pin": "1234"},
}
# what build_tenant makes, by resource type: 2 trunks and endpoints with their links, 2 outcalls with their
# trunk lists, 4 dial patterns (extension and link each), 13 DIDs (extension, incall and link each)
ADOPTED = {
    "Trunk": 2,
    "EndpointSip": 2,
    "TrunkEndpointSip": 2,
    "Outcall": 2,
    "OutcallTrunks": 2,
    "Extension": 4 + 13,
    "OutcallExtension": 4,
    "Incall": 13,
    "IncallExtension": 13,
}
# like the CLI, curl and jq may be missing on a workstation, never in CI (where a skip would hide a test)
NEEDS = pytest.mark.skipif(
    (shutil.which("jq") is None or shutil.which("curl") is None)
    and os.environ.get("WAZO_VOIP_REQUIRE_PULUMI") != "1",
    reason="the README walkthrough needs curl and jq",
)


class Confd:
    """acme-admin's direct confd access, for building the tenant by hand (not the code under test)."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        token = sandbox.token("acme-admin", "acme-secret")
        self.http = httpx.Client(
            base_url=sandbox.confd_url,
            headers={"X-Auth-Token": token, "Wazo-Tenant": ACME_TENANT},
            timeout=30,
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def post(self, path: str, body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", path, body)
        return result

    def put(self, path: str, body: Any = None) -> None:
        self.call("PUT", path, body if body is not None else {})

    def items(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.call("GET", path)["items"]
        return items

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every collection an export or an adoption could touch, as confd lists it."""
        paths = ("/trunks", "/endpoints/sip", "/outcalls", "/incalls", "/extensions", "/contexts")
        return {path: self.items(path) for path in paths}

    def did(self, exten: str, destination: dict[str, Any], **fields: Any) -> int:
        extension = self.post("/extensions", {"exten": exten, "context": INCALL_CTX})
        incall = self.post("/incalls", {"destination": destination, **fields})
        self.put(f"/incalls/{incall['id']}/extensions/{extension['id']}")
        return int(incall["id"])

    def pattern(self, outcall_id: int, exten: str, **fields: Any) -> None:
        extension = self.post("/extensions", {"exten": exten, "context": OUTCALL_CTX})
        self.put(f"/outcalls/{outcall_id}/extensions/{extension['id']}", fields)


def run_readme_walkthrough(sandbox: SandboxProcess, workdir: Path) -> None:
    """The README's seed procedure, its `sh` blocks run in order by bash, as test_readme.py does."""
    script = workdir / "readme-seed.sh"
    script.write_text(_script(seed_blocks()))
    result = subprocess.run(
        ["bash", str(script)],
        cwd=workdir,
        env={**os.environ, "WAZO": sandbox.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def build_tenant(sandbox: SandboxProcess, workdir: Path) -> Confd:
    """The README's tenant, then the second provider, outcall, patterns and DIDs."""
    run_readme_walkthrough(sandbox, workdir)
    confd = Confd(sandbox)
    (first,) = confd.items("/trunks")
    (readme_out,) = confd.items("/outcalls")
    confd.pattern(readme_out["id"], "_1NXXNXXXXXX", strip_digits=1, prefix="9", external_prefix="+1")

    trunk = confd.post("/trunks", {"context": INCALL_CTX, "outgoing_caller_id_format": "national"})
    credentials = [["username", "backup-acct"], ["password", PASSWORDS["acme-backup"]]]
    endpoint = confd.post(
        "/endpoints/sip",
        {
            "name": "acme-backup",
            "label": "Backup provider",
            "templates": [{"uuid": template_uuid("acme", "global")}],
            "transport": {"uuid": TRANSPORT_UDP},
            "outbound_auth_section_options": credentials,
            "aor_section_options": [
                ["contact", "sip:backup.provider.example:5080"],
                ["qualify_frequency", "0"],
                ["max_contacts", "1"],
            ],
            "identify_section_options": [["match", "198.51.100.10"], ["match", "198.51.100.0/28"]],
            "endpoint_section_options": [["dtmf_mode", "rfc4733"], ["allow", "!all,alaw,ulaw"]],
        },
    )
    confd.put(f"/trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")

    intl = confd.post("/outcalls", {"name": "acme-intl", "description": "international, backup first"})
    confd.put(f"/outcalls/{intl['id']}/trunks", {"trunks": [{"id": trunk["id"]}, {"id": first["id"]}]})
    confd.pattern(intl["id"], "_00.", strip_digits=2, external_prefix="+")
    confd.pattern(intl["id"], "_011.", strip_digits=3, external_prefix="+", caller_id='"Acme" <+15551230000>')

    for exten, destination in DESTINATIONS.items():
        fields = {"caller_id_mode": "prepend", "caller_id_name": "Bob"} if exten == "5551230007" else {}
        confd.did(exten, destination, **fields)
    return confd
