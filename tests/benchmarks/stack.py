"""Benchmark: the acme-dev stack's lifecycle against a local sandbox, with request counts and times.

Run with `venv/bin/python -m tests.benchmarks.stack [--repeat N]`. It prints, per phase (up,
unchanged up, refresh, a DID change, destroy), the wall time and the requests the sandbox saw,
by method. Request counts are deterministic; times are this machine's.
"""

from __future__ import annotations

import argparse
import copy
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.component.test_program import acme_dev_config
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

TOKEN_REQUESTS: list[int] = []
ID = re.compile(r"/([0-9]+|[0-9a-f]{8}-[0-9a-f-]{27})(?=/|$)")


def refresh(engine: EngineDouble) -> None:
    """What `pulumi refresh` asks of every provider: read each resource back."""
    for resource in engine.state.values():
        engine.provider(resource.provider).read(resource.id, resource.outputs)


def destroy(engine: EngineDouble) -> None:
    """What `pulumi destroy` does: delete every resource, dependents first."""
    for key in reversed(list(engine.state)):
        resource = engine.state.pop(key)
        engine.provider(resource.provider).delete(resource.id, resource.outputs)


def change_dids(engine: EngineDouble) -> None:
    config = copy.deepcopy(engine.config)
    voipco, backupco = config["wazo-voip:providers"]
    voipco["incoming"].append({"did": "+15551230003", "destination": {"type": "user", "user_id": 1}})
    voipco["incoming"][1]["destination"] = {"type": "user", "user_id": 3}
    backupco["incoming"].pop()
    engine.config = config
    engine.run(stack="acme-dev")


def measure(sandbox: SandboxProcess, action: Callable[[], Any]) -> tuple[float, Counter[str], Counter[str]]:
    seq = sandbox.last_seq()
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    # wazo-auth's token is issued once per process and credential set, so only the first run of a
    # process asks for one: it is counted apart, to keep the confd figures comparable
    everything = sandbox.requests(since=seq)
    TOKEN_REQUESTS.append(sum(1 for entry in everything if "/api/auth/" in entry["path"]))
    log = [entry for entry in everything if "/api/auth/" not in entry["path"]]
    by_method = Counter(entry["method"] for entry in log)
    by_path = Counter(f"{entry['method']} {ID.sub('/{id}', entry['path'])}" for entry in log)
    return elapsed, by_method, by_path


def run_once(sandbox: SandboxProcess) -> list[tuple[str, float, Counter[str], Counter[str], int]]:
    sandbox.clean()
    engine = EngineDouble(acme_dev_config(sandbox))
    phases: list[tuple[str, Callable[[], Any]]] = [
        ("up (create)", lambda: engine.run(stack="acme-dev")),
        ("up (no change)", lambda: engine.run(stack="acme-dev")),
        ("refresh", lambda: refresh(engine)),
        ("up (+1 -1 ~1 DID)", lambda: change_dids(engine)),
        ("destroy", lambda: destroy(engine)),
    ]
    rows = []
    for name, action in phases:
        resources = len(engine.state)
        elapsed, by_method, by_path = measure(sandbox, action)
        rows.append((name, elapsed, by_method, by_path, max(resources, len(engine.state))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median time of")
    parser.add_argument("--paths", action="store_true", help="also list requests by path")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        sandbox = SandboxProcess(Path(state) / "bench.db").start()
        try:
            runs = [run_once(sandbox) for _ in range(options.repeat)]
        finally:
            sandbox.stop()
    print(f"acme-dev stack (2 providers, 3 patterns, 5 DIDs), median of {options.repeat} runs")
    print(f"confd requests below; wazo-auth token requests over all runs: {sum(TOKEN_REQUESTS)}")
    print(f"{'phase':<20}{'resources':>10}{'seconds':>10}{'requests':>10}  by method")
    for index, (name, _, by_method, by_path, resources) in enumerate(runs[0]):
        seconds = statistics.median(run[index][1] for run in runs)
        counts = {tuple(sorted(run[index][2].items())) for run in runs}
        stable = "" if len(counts) == 1 else "  (varied between runs!)"
        methods = ", ".join(f"{m} {n}" for m, n in sorted(by_method.items()))
        print(f"{name:<20}{resources:>10}{seconds:>10.3f}{sum(by_method.values()):>10}  {methods}{stable}")
        if options.paths:
            for path, count in sorted(by_path.items()):
                print(f"{'':<22}{count:>4}  {path}")


if __name__ == "__main__":
    main()
