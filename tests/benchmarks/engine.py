"""Benchmark: the real `pulumi` CLI on the acme-dev stack and on one provider with N DIDs.

Run with `venv/bin/python -m tests.benchmarks.engine [--dids 1000] [--only acme-dev|generated]`.
For each stack it runs, with the engine's default parallelism: `up`, an unchanged `preview`,
`refresh`, `up` after one DID changed its destination, and `destroy`. Per phase it prints the wall
time, the confd requests the sandbox saw by method, and wazo-auth's token requests; then it checks
the counts that must hold exactly (the writes of `up`, nothing but the program's own lookups in an
unchanged preview) and says which did not. Times are this machine's; request counts are not.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stacks import toolchain
from tests.e2e.stack import (
    STACK,
    Cli,
    copy_project,
    reads,
    secret_settings,
    stack_config,
    token_requests,
    write_stack_file,
    writes,
)
from tests.support.sandbox import SandboxProcess

# what the program reads before declaring anything, by stack: confd's API spec (which API the Wazo
# speaks), contexts by type (2), the two SIP templates, the transports, and each user chosen by
# email (the generated stack names none)
LOOKUPS = {"acme-dev": 8, "generated": 5}


def generated_config(url: str, dids: int) -> dict[str, Any]:
    """acme's tenant with one provider, one outcall pattern and `dids` numbers in its incall range."""
    config = stack_config(url)
    provider = dict(config["wazo-voip:providers"][0])
    provider["outgoing"] = {
        "outcall": "acme-out",
        "patterns": [{"exten": "_NXXNXXXXXX", "external_prefix": "+1"}],
    }
    provider["incoming"] = [{"did": f"+1555123{n:04d}", "destination": {"type": "none"}} for n in range(dids)]
    config["wazo-voip:providers"] = [provider]
    return config


class Bench:
    """One stack in a project copy, its CLI and its sandbox, measured phase by phase."""

    def __init__(
        self, workdir: Path, sandbox: SandboxProcess, name: str, config: dict[str, Any], env: dict[str, str]
    ) -> None:
        self.name = name
        self.sandbox = sandbox
        folder = workdir / name
        self.cli = Cli(
            copy_project(folder / "project"), folder / "home", folder / "backend", timeout=7200, extra_env=env
        )
        self.cli.login()
        self.cli.run("stack", "init", STACK)
        write_stack_file(self.cli.project, config)
        settings = secret_settings()[: 1 + len(config["wazo-voip:providers"])]
        for key, value in settings:
            self.cli.run("config", "set", "--secret", "--path", key, value)
        self.rows: list[tuple[str, float, Counter[str], int, int]] = []

    def phase(self, name: str, action: Callable[[], Any]) -> list[dict[str, Any]]:
        seq = self.sandbox.last_seq()
        start = time.perf_counter()
        action()
        elapsed = time.perf_counter() - start
        log = self.sandbox.requests(since=seq)
        confd = Counter(e["method"] for e in log if e["path"].startswith("/api/confd/"))
        self.rows.append((name, elapsed, confd, token_requests(log), len(writes(log))))
        return log


def run_stack(bench: Bench, dids: int, fixed_writes: int) -> list[str]:
    """The five phases; the exact counts that did not hold, as sentences."""
    cli, problems = bench.cli, []
    up = bench.phase("up", lambda: cli.run("up", "--yes", "--skip-preview"))
    if len(writes(up)) != fixed_writes + 3 * dids:
        problems.append(f"up made {len(writes(up))} writes, not {fixed_writes} + 3 x {dids}")
    preview = bench.phase("preview (no change)", lambda: cli.run("preview", "--expect-no-changes"))
    if writes(preview) or len(reads(preview)) != LOOKUPS[bench.name]:
        problems.append(
            f"the unchanged preview made {len(writes(preview))} writes and {len(reads(preview))} reads "
            f"(the program's own lookups: {LOOKUPS[bench.name]})"
        )
    bench.phase("refresh", lambda: cli.run("refresh", "--yes", "--skip-preview"))
    cli.run("config", "set", "--path", "providers[0].incoming[0].caller_id_mode", "prepend")
    cli.run("config", "set", "--path", "providers[0].incoming[0].caller_id_name", "Bench: ")
    change = bench.phase("up (1 DID changed)", lambda: cli.run("up", "--yes", "--skip-preview"))
    if [m for m, _ in writes(change)] != ["PUT"]:
        problems.append(f"the one-DID change made the writes {writes(change)}, not one PUT")
    bench.phase("destroy", lambda: cli.run("destroy", "--yes", "--skip-preview"))
    return problems


def report(bench: Bench, title: str, problems: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'phase':<22}{'seconds':>9}{'confd':>8}{'writes':>8}{'tokens':>8}  confd requests by method")
    for name, seconds, confd, tokens, wrote in bench.rows:
        methods = ", ".join(f"{m} {n}" for m, n in sorted(confd.items())) or "none"
        print(f"{name:<22}{seconds:>9.1f}{sum(confd.values()):>8}{wrote:>8}{tokens:>8}  {methods}")
    for problem in problems:
        print(f"  NOT AS EXPECTED: {problem}")
    if not problems:
        print("  exact counts hold: up = the minimal writes; unchanged preview = the program's lookups only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dids", type=int, default=1000, help="DIDs of the generated stack (at most 10000)")
    parser.add_argument("--only", choices=("acme-dev", "generated"), help="run one of the two stacks")
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help="PULUMI_SKIP_CHECKPOINTS=true: the engine writes the state once at the end instead of after "
        "every step (faster for big stacks; a crash then loses the run's record)",
    )
    options = parser.parse_args()
    env = {"PULUMI_SKIP_CHECKPOINTS": "true"} if options.skip_checkpoints else {}
    cli = toolchain.activate()
    if cli is None:
        raise SystemExit("no Pulumi CLI: run `make pulumi` first")
    checkpoints = "state written once at the end" if env else "state written after every step (default)"
    print(f"Pulumi CLI {toolchain.cli_version(cli)} ({cli}), the engine's default parallelism, {checkpoints}")
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as state:
        workdir = Path(state)
        sandbox = SandboxProcess(workdir / "bench.db").start()
        try:
            if options.only in (None, "acme-dev"):
                sandbox.clean()
                bench = Bench(workdir, sandbox, "acme-dev", stack_config(sandbox.url), env)
                # per provider a trunk, an endpoint and their link; the outcall and its trunks; 3 patterns x 2
                problems = run_stack(bench, dids=5, fixed_writes=2 * 3 + 2 + 3 * 2)
                report(bench, "acme-dev (2 providers, 3 patterns, 5 DIDs; 29 resources)", problems)
            if options.only in (None, "generated"):
                sandbox.clean()
                bench = Bench(workdir, sandbox, "generated", generated_config(sandbox.url, options.dids), env)
                problems = run_stack(bench, dids=options.dids, fixed_writes=3 + 2 + 2)
                resources = 7 + 3 * options.dids
                report(
                    bench, f"one provider, 1 pattern, {options.dids} DIDs ({resources} resources)", problems
                )
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
