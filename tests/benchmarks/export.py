"""Benchmark: `python -m stacks export` of a tenant with many DIDs, from a local sandbox.

Run with `venv/bin/python -m tests.benchmarks.export [--dids 1000] [--repeat 3] [--up]`. It builds a
tenant by hand in the sandbox (one registering provider, its outcall and dial patterns, then N DIDs to
users by email, a group and a hangup), runs the export command in-process into a throwaway project,
and prints the median wall time and the requests the sandbox saw (deterministic). With --up it then
runs the first `up` of the exported stack under the engine double (real providers, the sandbox) and
prints its time and requests: the adoption that writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from sandbox.seed import ACME_TENANT, CONTEXTS, TRANSPORT_UDP, USERS, target_id, template_uuid
from stacks.cli import cli
from tests.support.brownfield import Confd
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

INCALL_CTX = CONTEXTS[("acme", "incall")].name
OUTCALL_CTX = CONTEXTS[("acme", "outcall")].name
PASSWORD = "bench-s3cret"
ACME_USERS = [user.id for user in USERS.values() if user.tenant == "acme"]


def build(sandbox: SandboxProcess, dids: int) -> None:
    """One provider, its outcall with three patterns, and `dids` DIDs in acme's incall range."""
    confd = Confd(sandbox)
    trunk = confd.post("/trunks", {"context": INCALL_CTX})
    credentials = [["username", "bench"], ["password", PASSWORD]]
    endpoint = confd.post(
        "/endpoints/sip",
        {
            "name": "bench-provider",
            "templates": [{"uuid": template_uuid("acme", "registration_trunk")}],
            "transport": {"uuid": TRANSPORT_UDP},
            "outbound_auth_section_options": credentials,
            "registration_outbound_auth_section_options": credentials,
            "registration_section_options": [
                ["server_uri", "sip:sip.bench.example"],
                ["client_uri", "sip:bench@sip.bench.example"],
                ["expiration", "120"],
                ["transport", "transport-udp"],
            ],
            "aor_section_options": [["contact", "sip:sip.bench.example:5060"], ["qualify_frequency", "60"]],
            "identify_section_options": [["match", "sip.bench.example"]],
        },
    )
    confd.put(f"/trunks/{trunk['id']}/endpoints/sip/{endpoint['uuid']}")
    outcall = confd.post("/outcalls", {"name": "bench-out"})
    confd.put(f"/outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    for exten in ("_0XXXXXXXXX", "_00.", "_1NXXNXXXXXX"):
        confd.pattern(outcall["id"], exten, strip_digits=1)
    for index in range(dids):
        kind = index % 4
        destination: dict[str, Any]
        if kind < 2:
            destination = {"type": "user", "user_id": ACME_USERS[index % len(ACME_USERS)]}
        elif kind == 2:
            destination = {"type": "group", "group_id": target_id("group", "acme")}
        else:
            destination = {"type": "hangup", "cause": "busy"}
        confd.did(f"555123{index:04d}", destination)


def export_once(sandbox: SandboxProcess, root: Path) -> tuple[float, Counter[str], str]:
    seq = sandbox.last_seq()
    args = ["--root", str(root), "export", "--tenant", "acme", "--env", "bench", "--url", sandbox.url]
    args += ["--tenant-uuid", ACME_TENANT, "--username", "acme-admin", "--force"]
    start = time.perf_counter()
    result = CliRunner().invoke(
        cli,
        args,
        obj={"interactive": False, "which": lambda name: None},
        env={"WAZO_PASSWORD": "acme-secret"},
    )
    elapsed = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(f"the export failed:\n{result.output}")
    # wazo-auth's token is issued once per process and credential set: only the first export asks
    log = [r for r in sandbox.requests(since=seq) if not r["path"].startswith("/api/auth/")]
    return elapsed, Counter(f"{r['method']} {r['path']}" for r in log), result.stdout.splitlines()[0]


def adopt_once(sandbox: SandboxProcess, path: Path) -> tuple[float, Counter[str], int]:
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    config["wazo-voip:password"] = "acme-secret"
    config["wazo-voip:providers"][0]["password"] = PASSWORD
    engine = EngineDouble(config)
    seq = sandbox.last_seq()
    start = time.perf_counter()
    result = engine.run(stack="acme-bench")
    elapsed = time.perf_counter() - start
    log = sandbox.requests(since=seq)
    return (
        elapsed,
        Counter(r["method"] for r in log if r["path"].startswith("/api/confd/")),
        len(result.operations),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dids", type=int, default=1000, help="DIDs in the tenant")
    parser.add_argument("--repeat", type=int, default=3, help="exports to take the median time of")
    parser.add_argument("--up", action="store_true", help="then run the adopting `up` (engine double)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "project"
        (root / "stacks").mkdir(parents=True)
        (root / "Pulumi.yaml").write_text("name: wazo-voip\nruntime: python\nstackConfigDir: stacks\n")
        sandbox = SandboxProcess(Path(work) / "bench.db").start()
        try:
            start = time.perf_counter()
            build(sandbox, options.dids)
            print(
                f"built a tenant with {options.dids} DIDs in {time.perf_counter() - start:.1f} s "
                "(by hand, over HTTP)"
            )
            runs = [export_once(sandbox, root) for _ in range(options.repeat)]
            counts = {tuple(sorted(run[1].items())) for run in runs}
            seconds = [run[0] for run in runs]
            path = root / "stacks" / "Pulumi.acme-bench.yaml"
            print(
                f"export: median {statistics.median(seconds):.2f} s over {options.repeat} runs "
                f"(min {min(seconds):.2f}, max {max(seconds):.2f}); {runs[0][2]}"
            )
            print(f"  file: {path.stat().st_size} bytes, {len(path.read_text().splitlines())} lines")
            total = sum(runs[0][1].values())
            stable = "" if len(counts) == 1 else " (varied between runs!)"
            print(f"  confd requests per export: {total}{stable}; plus one wazo-auth token per process")
            for request, count in sorted(runs[0][1].items()):
                print(f"    {count:>4}  {request}")
            if options.up:
                elapsed, methods, operations = adopt_once(sandbox, path)
                shown = ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
                print(
                    f"first up (engine double): {elapsed:.1f} s, {operations} resources adopted; "
                    f"confd: {shown}"
                )
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
