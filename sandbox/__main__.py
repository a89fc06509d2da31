"""`python -m sandbox`: run the local Wazo (emulated wazo-confd 1.1, wazo-auth 0.1, wazo-calld 1.0)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from sandbox.generations import GENERATIONS, by_version
from sandbox.rules.common import generation
from sandbox.seed import AUTH_USERS, TENANTS
from sandbox.server import DEFAULT_PREFIXES, StateError, build_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state", type=Path, default=Path(".sandbox/state.db"), help="SQLite state file")
    parser.add_argument("--reset", action="store_true", help="wipe the state and seed it again")
    parser.add_argument(
        "--api",
        choices=sorted(GENERATIONS),
        help="the Wazo version whose confd API to speak: 20.12 is the chan_sip API (/registers/sip), "
        "26.08 the PJSIP one. Default: what the state file holds (26.08 for a new one). A 20.12 state "
        "started as 26.08 is upgraded as Wazo 20.13 migrated chan_sip endpoints to PJSIP",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    for service in ("confd", "auth", "calld"):
        parser.add_argument(
            f"--{service}-prefix",
            default=DEFAULT_PREFIXES[service],
            metavar="PATH",
            help=f"where {service} is served (default: behind nginx, %(default)s); e.g. its own path, "
            "as on a Wazo reached without nginx",
        )
    args = parser.parse_args(argv)
    prefixes = {service: "/" + getattr(args, f"{service}_prefix").strip("/") for service in DEFAULT_PREFIXES}

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.ERROR)

    try:
        server, store = build_server(
            args.host, args.port, args.state, args.reset, by_version(args.api) if args.api else None, prefixes
        )
    except StateError as error:
        print(f"python -m sandbox: {error}", file=sys.stderr)  # noqa: T201
        return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    base = f"http://{args.host}:{server.port}"
    print(f"Wazo sandbox listening on {base}", flush=True)  # noqa: T201
    with store.read() as conn:
        gen = generation(conn)
    print(f"  confd API of Wazo {gen.version} ({gen.api})", flush=True)  # noqa: T201
    print(  # noqa: T201
        f"  confd {base}{prefixes['confd']}, wazo-auth {base}{prefixes['auth']}, "
        f"wazo-calld {base}{prefixes['calld']}",
        flush=True,
    )
    for user in AUTH_USERS.values():
        acl = ", ".join(user.acl) or "(no ACL)"
        print(  # noqa: T201
            f"  user {user.username} / {user.password}"
            f"  tenant {user.tenant} {TENANTS[user.tenant].uuid}  acl {acl}",
            flush=True,
        )
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
