"""The fault campaign: every write of the acme-dev stack, every kind of fault, then a rerun from state.

The whole program runs through the engine double (tests/support/engine.py) against one sandbox,
reset between cases. A clean run gives the reference: the tenant's objects by content (ids left
out) and the list of writes `up` sends. Then, for each kind of fault, the sandbox faults writes of
a run, and the same engine (the same state) runs again without faults, as an operator would rerun
`pulumi up`. After the rerun the tenant must hold exactly the reference objects (no orphan, no
duplicate, nothing missing) and a third run must have nothing to do.

- transient faults: one request fails, as a proxy or a network hiccup does. Each run faults the
  n-th occurrence of every kind of write at once (POST /trunks, PUT /incalls/{id}/extensions/{id},
  ...), so that 8 runs per fault kind cover all 29 writes (POST /extensions occurs 8 times);
- lasting faults: one write fails before its commit on every retry, so the run stops; one run per
  kind of write. The rerun then starts from what the double's state kept, as the real engine's does:
  the steps that completed (those still running when the failure came included), never the failed
  create.

The campaign's figures are printed (run pytest with -s to see them).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from providers.confd.settings import Settings
from tests.component.test_program import Tenant, acme_dev_config
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

STACK = "acme-dev"
CONFD = "/api/confd/1.1"
TIMEOUT = 0.4  # the providers' timeout during the campaign; a "timeout" holds a request longer
SLOW = TIMEOUT * 1.5
RETRIES = Settings(url="").retries  # a lasting fault outlives every retry of the provider

KINDS: dict[str, dict[str, Any]] = {
    "5xx before commit": {"action": "status", "status": 503, "phase": "before"},
    "5xx after commit": {"action": "status", "status": 502, "phase": "after"},
    "dropped before commit": {"action": "drop", "phase": "before"},
    "dropped after commit": {"action": "drop", "phase": "after"},
    "timeout, late commit": {"action": "delay", "delay": SLOW, "phase": "before"},
    "timeout after commit": {"action": "delay", "delay": SLOW, "phase": "after"},
}
# a lasting fault that stops the run: a write that fails before its commit on every retry (after
# the commit, a lost POST is found again and does not stop the run, and a PUT is retried alike)
LASTING = "5xx before commit"


@dataclass(frozen=True)
class Write:
    """One kind of write of the stack (method and path pattern) and how often `up` sends it."""

    method: str
    pattern: str
    count: int


def pattern_of(path: str) -> str:
    """The path as a regex with its ids left open: /incalls/7/extensions/12 -> /incalls/\\d+/..."""
    uuid = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    marked = re.sub(r"/\d+(?=/|$)", "/ID", re.sub(uuid, "UUID", path))
    return re.escape(marked).replace("UUID", "[-0-9a-fA-F]+").replace("/ID", r"/\d+")


def confd_writes(log: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (item["method"], item["path"])
        for item in log
        if item["method"] != "GET" and item["path"].startswith(CONFD)
    ]


def fingerprint(tenant: Tenant) -> dict[str, Any]:
    """The tenant's objects by content, ids replaced by what they point to: a multiset per kind."""
    endpoints = {e["uuid"]: e for e in tenant.items("/endpoints/sip")}
    trunks = tenant.items("/trunks")
    trunk_name = {t["id"]: (t["endpoint_sip"] or {}).get("name") for t in trunks}

    def canon(value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    def sections(endpoint: dict[str, Any]) -> str:
        return canon(
            {k: sorted(map(tuple, v)) for k, v in endpoint.items() if k.endswith("_section_options")}
        )

    outcalls = [tenant.one(f"/outcalls/{o['id']}") for o in tenant.items("/outcalls")]
    incalls = tenant.items("/incalls")
    return {
        "trunks": sorted(
            canon([trunk_name[t["id"]], t["context"], t["outgoing_caller_id_format"], t["twilio_incoming"]])
            for t in trunks
        ),
        "endpoints": sorted(
            canon([e["name"], e["label"], sections(tenant.one(f"/endpoints/sip/{e['uuid']}"))])
            for e in endpoints.values()
        ),
        "outcalls": sorted(
            canon(
                [
                    o["name"],
                    o["description"],
                    [trunk_name[t["id"]] for t in o["trunks"]],
                    sorted(
                        canon(
                            [p["exten"], p["strip_digits"], p["prefix"], p["external_prefix"], p["caller_id"]]
                        )
                        for p in o["extensions"]
                    ),
                ]
            )
            for o in outcalls
        ),
        "extensions": sorted(
            canon(
                [e["exten"], e["context"], e["enabled"], bool(e["incall"]), (e["outcall"] or {}).get("name")]
            )
            for e in tenant.items("/extensions")
        ),
        "incalls": sorted(
            canon(
                [
                    sorted(x["exten"] for x in i["extensions"]),
                    i["destination"],
                    i["caller_id_mode"],
                    i["caller_id_name"],
                    i["description"],
                ]
            )
            for i in incalls
        ),
        "contexts": sorted(c["name"] for c in tenant.items("/contexts")),
    }


def differences(got: dict[str, list[str]], want: dict[str, list[str]]) -> dict[str, Any]:
    """What the tenant holds beyond the reference (orphans, duplicates) and what it lacks."""
    out: dict[str, Any] = {}
    for kind in want:
        extra = Counter(got[kind]) - Counter(want[kind])
        missing = Counter(want[kind]) - Counter(got[kind])
        if extra or missing:
            out[kind] = {"extra": sorted(extra.elements()), "missing": sorted(missing.elements())}
    return out


class Campaign:
    """One sandbox, reset before each case; the reference from a clean run; the figures.

    `fingerprint` reads the tenant's objects as that sandbox's API shows them; `only` keeps the
    writes whose path it matches (the campaign on a Wazo 20.12 faults its chan_sip writes only).
    """

    def __init__(
        self,
        sandbox: SandboxProcess,
        fingerprint: Callable[[Tenant], dict[str, Any]] = fingerprint,
        only: str | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.fingerprint = fingerprint
        sandbox.clean()
        self.tenant = Tenant(sandbox)
        engine = self.engine()
        engine.run(stack=STACK)
        self.reference = fingerprint(self.tenant)
        self.resources = len(engine.state)
        sent = [(m, p) for m, p in confd_writes(sandbox.requests()) if only is None or re.search(only, p)]
        counts = Counter((m, pattern_of(p)) for m, p in sent)
        self.writes = [Write(m, p, n) for (m, p), n in counts.items()]
        self.figures: Counter[str] = Counter()

    def engine(self) -> EngineDouble:
        engine = EngineDouble(acme_dev_config(self.sandbox))
        engine.settings_overrides = {"timeout": TIMEOUT, "backoff": 0.01}
        return engine

    def case(self, faults: list[dict[str, Any]]) -> tuple[int, bool]:
        """Reset, fault a run, rerun from its state, check the tenant; (faults fired, first run failed)."""
        self.sandbox.clean()
        for fault in faults:
            self.sandbox.fault(**fault)
        engine = self.engine()
        failed = False
        try:
            engine.run(stack=STACK)
        except Exception:  # noqa: BLE001 (a run that stops is one of the cases)
            failed = True
        fired = sum(f["fired"] for f in self.sandbox.faults())
        if any(f.get("action") == "delay" and f.get("phase") == "before" for f in faults):
            time.sleep(SLOW)  # a request held by the server commits now: a late duplicate would show
        self.sandbox.clear_faults()

        rerun = engine.run(stack=STACK)
        if failed:
            # it creates what the failed run did not, and nothing else (no update, no delete)
            assert {op for op, _ in rerun.operations} <= {"create"}, rerun.operations
            assert engine.run(stack=STACK).operations == []  # and the state now is what confd holds
        else:
            assert rerun.operations == []  # the faults were settled within the run
        assert differences(self.fingerprint(self.tenant), self.reference) == {}, faults
        assert len(engine.state) == self.resources

        self.figures["faults injected"] += fired
        self.figures["runs"] += 1
        self.figures["runs that failed and were rerun"] += failed
        self.figures["runs that converged"] += 1
        return fired, failed

    def each_write_once(self, fault: dict[str, Any]) -> int:
        """Fault every write once with `fault`, the nth write of each kind in the nth case; faults fired."""
        fired = 0
        for nth in range(max(w.count for w in self.writes)):
            faults = [
                {"method": w.method, "path": w.pattern, "skip": nth, "times": 1, **fault}
                for w in self.writes
                if w.count > nth
            ]
            fired += self.case(faults)[0]
        return fired


@pytest.fixture(scope="module")
def campaign(sandbox: SandboxProcess) -> Any:
    campaign = Campaign(sandbox)
    yield campaign
    figures = dict(campaign.figures)
    figures["orphans, duplicates or missing objects left"] = 0  # every case asserted it
    print(f"\nfault campaign over {sum(w.count for w in campaign.writes)} writes of {STACK}: {figures}")


def test_the_stack_sends_29_writes_of_9_kinds(campaign):
    assert sum(w.count for w in campaign.writes) == 29
    assert len(campaign.writes) == 9
    assert campaign.resources == 29


@pytest.mark.parametrize("kind", list(KINDS))
def test_any_transient_fault_on_any_write_converges_without_orphans(campaign, kind):
    assert campaign.each_write_once(KINDS[kind]) == 29  # every write of the stack was faulted once


def test_a_lasting_fault_stops_the_run_and_the_rerun_from_its_state_converges(campaign):
    for write in campaign.writes:
        # `same`: the first such write fails again on each of its retries, as a lasting fault does
        fault = {"method": write.method, "path": write.pattern, "times": RETRIES + 1, "same": True}
        fired, stopped = campaign.case([{**fault, **KINDS[LASTING]}])
        assert (fired, stopped) == (RETRIES + 1, True)
