"""A 20.12 state restarted as 26.08: the sandbox migrates it as Wazo 20.13 migrated a database.

Sources: wazo-platform/xivo-manage-db alembic revisions ea74eca400ce (sip_to_pjsip_endpoint:
templates per tenant; each chan_sip endpoint becomes a PJSIP endpoint named and labelled after it,
credentials in auth and, for trunks, outbound_auth; qualifyfreq -> qualify_frequency; dtmfmode
rfc2833 -> dtmf_mode rfc4733; nat force_rport -> force_rport + rewrite_contact; a trunk's register
line -> registration + registration_outbound_auth), 73166af50deb (a trunk's fixed host ->
aor contact sip:user@host:port) and 69c55f395eb7 (registration_trunk only for trunks that
register), read at the parent of commit 62ef07b; wazo-confd CHANGELOG 20.13 (`/registers/sip`
removed).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import seed
from tests.sandbox._helpers import ACME, CREDENTIALS, Api
from tests.support.sandbox import ROOT, SandboxProcess

PASSWORD = "pr0v-Secret"


def api(sandbox: SandboxProcess) -> Api:
    user, password = CREDENTIALS["acme-admin"]
    return Api(sandbox.confd_url, sandbox.token(user, password), ACME)


@pytest.fixture
def upgraded(tmp_path: Path) -> Iterator[tuple[SandboxProcess, dict[str, Any]]]:
    """A 20.12 tenant with a registering trunk and a plain one, then the same state as 26.08."""
    sandbox = SandboxProcess(tmp_path / "state.db").start("--api", "20.12")
    try:
        legacy = api(sandbox)
        context = seed.CONTEXTS[("acme", "incall")].legacy_name
        registering = legacy.create("trunks", {"context": context})
        endpoint = legacy.create(
            "endpoints/sip",
            {
                "name": "voipco",
                "username": "acct123",
                "secret": PASSWORD,
                "type": "peer",
                "host": "sip.voipco.example",
                "options": [
                    ["qualify", "yes"],
                    ["qualifyfreq", "30"],
                    ["insecure", "port,invite"],
                    ["dtmfmode", "rfc2833"],
                    ["nat", "force_rport"],
                    ["allow", "!all,ulaw,alaw"],
                    ["port", "5080"],
                ],
            },
        )
        legacy.ok_put(f"trunks/{registering['id']}/endpoints/sip/{endpoint['id']}")
        register = legacy.create(
            "registers/sip",
            {
                "transport": "transport-udp",
                "sip_username": "acct123",
                "auth_username": "acct123",
                "auth_password": PASSWORD,
                "remote_host": "sip.voipco.example",
                "remote_port": 5080,
                "expiration": 300,
            },
        )
        legacy.ok_put(f"trunks/{registering['id']}/registers/sip/{register['id']}")
        plain = legacy.create("trunks", {"context": context})
        backup = legacy.create("endpoints/sip", {"name": "backup", "username": "b1", "host": "10.0.0.9"})
        legacy.ok_put(f"trunks/{plain['id']}/endpoints/sip/{backup['id']}")
        sandbox.restart("--api", "26.08")
        yield sandbox, {"registering": registering["id"], "plain": plain["id"], "register": register["id"]}
    finally:
        sandbox.stop()


def pairs(options: list[list[str]]) -> Counter[tuple[str, str]]:
    return Counter((key, value) for key, value in options)


def test_the_server_now_speaks_pjsip(upgraded):
    sandbox, ids = upgraded
    current = api(sandbox)
    assert current.ok_get("infos")["wazo_version"] == "26.08"
    assert current.get(f"registers/sip/{ids['register']}").status_code == 404
    assert current.ok_get(f"tenants/{ACME}")["sip_templates_generated"] is True
    assert "registration_trunk" in {t["label"] for t in current.items("endpoints/sip/templates")}


def test_a_registering_trunk_keeps_its_id_and_gets_a_pjsip_endpoint(upgraded):
    sandbox, ids = upgraded
    current = api(sandbox)
    trunk = current.ok_get(f"trunks/{ids['registering']}")
    assert "register_sip" not in trunk
    endpoint = current.ok_get(f"endpoints/sip/{trunk['endpoint_sip']['uuid']}")
    assert (endpoint["name"], endpoint["label"]) == ("voipco", "voipco")
    assert [t["label"] for t in endpoint["templates"]] == ["registration_trunk"]
    credentials = pairs([["username", "acct123"], ["password", PASSWORD]])
    assert pairs(endpoint["auth_section_options"]) == credentials
    assert pairs(endpoint["outbound_auth_section_options"]) == credentials
    assert pairs(endpoint["registration_outbound_auth_section_options"]) == credentials
    assert pairs(endpoint["aor_section_options"]) == pairs(
        [["qualify_frequency", "30"], ["contact", "sip:acct123@sip.voipco.example:5080"]]
    )
    assert pairs(endpoint["endpoint_section_options"]) == pairs(
        [
            ["dtmf_mode", "rfc4733"],
            ["force_rport", "yes"],
            ["rewrite_contact", "yes"],
            ["allow", "!all,ulaw,alaw"],
        ]
    )
    assert pairs(endpoint["registration_section_options"]) == pairs(
        [
            ["expiration", "300"],
            ["transport", "transport-udp"],
            ["client_uri", "sip:acct123@sip.voipco.example:5080"],
            ["server_uri", "sip:sip.voipco.example:5080"],
        ]
    )
    assert pairs(endpoint["identify_section_options"]) == Counter()


def test_a_trunk_without_register_gets_the_global_template(upgraded):
    sandbox, ids = upgraded
    current = api(sandbox)
    trunk = current.ok_get(f"trunks/{ids['plain']}")
    endpoint = current.ok_get(f"endpoints/sip/{trunk['endpoint_sip']['uuid']}")
    assert endpoint["name"] == "backup"
    assert [t["label"] for t in endpoint["templates"]] == ["global"]
    assert pairs(endpoint["registration_section_options"]) == Counter()
    assert ["contact", "sip:b1@10.0.0.9:5060"] in endpoint["aor_section_options"]


def test_the_state_stays_upgraded_and_cannot_go_back(upgraded):
    sandbox, _ = upgraded
    sandbox.stop()
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--state",
        str(sandbox.state_path),
        "--api",
        "20.12",
    ]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert refused.returncode == 2
    assert "holds a Wazo 26.08 (pjsip API) and cannot be served as 20.12" in refused.stderr
    sandbox.start()
    assert api(sandbox).ok_get("infos")["wazo_version"] == "26.08"
