"""The fault campaign on a Wazo 20.12 (chan_sip API): every chan_sip write of acme-dev, every fault.

The campaign of test_convergence.py, run by the same `Campaign` against `python -m sandbox --api
20.12`, on the writes only that API has: the chan_sip peers (POST /endpoints/sip), the register
line (POST /registers/sip) and their links to the trunks. The other writes are the same requests on
both APIs, and test_convergence.py covers them. After each case the tenant holds exactly what a
clean run made (peers, registers and their links included), and a further run has nothing to do.

The campaign's figures are printed (run pytest with -s to see them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.component.test_convergence import KINDS, LASTING, RETRIES, STACK, Campaign
from tests.component.test_program import Tenant
from tests.support.sandbox import SandboxProcess

CHAN_SIP_WRITES = r"/(endpoints|registers)/sip"


def fingerprint(tenant: Tenant) -> dict[str, Any]:
    """The tenant's objects by content as 20.12 shows them, ids replaced by what they point to."""
    trunks = tenant.items("/trunks")
    trunk_name = {t["id"]: (t["endpoint_sip"] or {}).get("name") for t in trunks}
    on_trunk = {(t["register_sip"] or {}).get("id"): trunk_name[t["id"]] for t in trunks}

    def canon(value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    def peer(endpoint_id: int) -> str:
        full = tenant.one(f"/endpoints/sip/{endpoint_id}")
        fields = [full[key] for key in ("name", "username", "secret", "type", "host")]
        return canon([*fields, sorted(map(tuple, full["options"]))])

    def register(item: dict[str, Any]) -> str:
        shown = {k: v for k, v in item.items() if k not in ("id", "links", "trunk")}
        return canon([on_trunk.get(item["id"]), shown])

    outcalls = [tenant.one(f"/outcalls/{o['id']}") for o in tenant.items("/outcalls")]
    return {
        "trunks": sorted(canon([trunk_name[t["id"]], t["context"], t["twilio_incoming"]]) for t in trunks),
        "peers": sorted(peer(e["id"]) for e in tenant.items("/endpoints/sip")),
        "registers": sorted(register(r) for r in tenant.items("/registers/sip")),
        "outcalls": sorted(
            canon([o["name"], [trunk_name[t["id"]] for t in o["trunks"]], len(o["extensions"])])
            for o in outcalls
        ),
        "extensions": sorted(canon([e["exten"], e["context"]]) for e in tenant.items("/extensions")),
        "incalls": sorted(
            canon([sorted(x["exten"] for x in i["extensions"]), i["destination"]])
            for i in tenant.items("/incalls")
        ),
    }


@pytest.fixture(scope="module")
def campaign(legacy_sandbox: SandboxProcess) -> Any:
    campaign = Campaign(legacy_sandbox, fingerprint, only=CHAN_SIP_WRITES)
    yield campaign
    figures = dict(campaign.figures)
    figures["orphans, duplicates or missing objects left"] = 0  # every case asserted it
    print(f"\nfault campaign over the chan_sip writes of {STACK} on Wazo 20.12: {figures}")


def test_the_chan_sip_writes_of_acme_dev(campaign):
    assert sorted((w.method, w.pattern, w.count) for w in campaign.writes) == [
        ("POST", r"/api/confd/1\.1/endpoints/sip", 2),
        ("POST", r"/api/confd/1\.1/registers/sip", 1),
        ("PUT", r"/api/confd/1\.1/trunks/\d+/endpoints/sip/\d+", 2),
        ("PUT", r"/api/confd/1\.1/trunks/\d+/registers/sip/\d+", 1),
    ]
    assert campaign.resources == 31
    assert len(campaign.reference["peers"]) == 2
    assert len(campaign.reference["registers"]) == 1


@pytest.mark.parametrize("kind", list(KINDS))
def test_any_transient_fault_on_a_chan_sip_write_converges_without_orphans(campaign, kind):
    assert campaign.each_write_once(KINDS[kind]) == 6  # every chan_sip write of the stack was faulted once


def test_a_lasting_fault_on_a_chan_sip_write_stops_the_run_and_the_rerun_converges(campaign):
    for write in campaign.writes:
        fault = {"method": write.method, "path": write.pattern, "times": RETRIES + 1, "same": True}
        fired, stopped = campaign.case([{**fault, **KINDS[LASTING]}])
        assert (fired, stopped) == (RETRIES + 1, True)
