"""Runs a Pulumi Python program for this project's language host (`.tools/langhost`).

The host starts it with the program's own interpreter (the virtualenv of Pulumi.yaml), passes the
engine's addresses and the run's settings as arguments and the stack config in the environment
(PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS), exactly where the Python SDK reads them. It exits 0
after a clean run, and 32 once it has reported the program's failure to the engine, so that the
host tells the CLI to stop without adding a second message.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

FAILURE_SHOWN = 32


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pulumi-language-python runner")
    for name in ("--monitor", "--engine", "--project", "--stack", "--organization", "--root-directory"):
        parser.add_argument(name, default="")
    parser.add_argument("--pwd", default="")
    parser.add_argument("--parallel", type=int, default=0)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("program")
    parser.add_argument("args", nargs="*")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    try:
        import pulumi
        import pulumi.runtime
    except ImportError:
        sys.stderr.write(
            f"The Pulumi SDK is not installed for {sys.executable}: install the project's requirements "
            "into the virtualenv named in Pulumi.yaml (`make venv`).\n"
        )
        return 1

    runtime = pulumi.runtime
    runtime.set_all_config(runtime.get_config_env(), runtime.get_config_secret_keys_env())
    settings = runtime.Settings(
        monitor=args.monitor,
        engine=args.engine,
        project=args.project,
        stack=args.stack,
        parallel=args.parallel,
        dry_run=args.dry_run,
        organization=args.organization or None,
        root_directory=args.root_directory or None,
    )
    runtime.configure(settings)
    sys.argv = [args.program, *args.args]
    if args.pwd:
        os.chdir(args.pwd)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # the SDK runs blocking work (dynamic providers' serialization, invokes) on the default executor
    executor = ThreadPoolExecutor(max_workers=max(args.parallel, 1) * 4)
    loop.set_default_executor(executor)
    # a failed resource leaves futures nobody awaits: asyncio would report each one at exit
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    program = os.path.abspath(args.program)
    if os.path.isdir(program) and not os.path.exists(os.path.join(program, "__main__.py")):
        pulumi.log.error(f"no Pulumi program: {program} has no __main__.py")
        return FAILURE_SHOWN

    def run_program() -> None:
        runpy.run_path(program, run_name="__main__")

    try:
        loop.run_until_complete(runtime.run_in_stack(run_program))
    except pulumi.RunError as error:
        pulumi.log.error(str(error))
        return FAILURE_SHOWN
    except Exception:  # noqa: BLE001 - every failure of the program is reported to the engine
        pulumi.log.error(f"Program failed with an unhandled exception:\n{traceback.format_exc()}")
        return FAILURE_SHOWN
    finally:
        executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
