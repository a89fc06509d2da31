"""Record the diff report's fixtures from the real CLI: `venv/bin/python -m tests.stacks.capture_previews`.

It deploys the example stacks acme-dev and other-dev to a fresh sandbox with the real `pulumi`, makes
everyday changes to them, then previews acme-dev, other-dev and other-prod (never initialised, so it
fails) through the fleet tool, exactly as the pull-request workflow does, and writes what it gets into
tests/stacks/fixtures/previews/: one `pulumi preview --json` digest per stack and fleet-results.json.

Only two things are changed in what the CLI printed: the `stackTrace` and `sourcePosition` entries
are dropped (they name the capturing machine's paths), and the sandbox's port reads 9486. No secret
can be in them: the script refuses to write a file that holds one of the passwords it set.

The changes: acme-dev relabels its first provider, changes the second one's keepalive, adds a DID to
the second provider and removes one from the first, and changes a dial pattern (a replacement);
other-dev changes only its provider's password (a secret: nothing to show but that it changed).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from stacks import fleet, toolchain
from stacks.stackfile import StackRef
from tests.e2e.stack import PASSPHRASE, Cli, copy_project
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "previews"
STACKS = ("acme-dev", "other-dev")
SECRETS = {
    "acme-dev": {
        "password": "acme-secret",
        "providers[0].password": "capture-VoIPCo-pass-1",
        "providers[1].password": "capture-BackupCo-pass-1",
    },
    "other-dev": {"password": "other-secret", "providers[0].password": "capture-FrancoTel-pass-1"},
}
NEW_PASSWORD = "capture-FrancoTel-pass-2"
CHANGES: dict[str, list[list[str]]] = {
    "acme-dev": [
        ["config", "set", "--path", "providers[0].label", "VoIPCo (main)"],
        ["config", "set", "--path", "providers[1].keepalive.frequency", "45"],
        ["config", "set", "--type", "string", "--path", "providers[1].incoming[2].did", "+15551239002"],
        ["config", "set", "--path", "providers[1].incoming[2].destination.type", "none"],
        ["config", "rm", "--path", "providers[0].incoming[2]"],
        ["config", "set", "--path", "providers[0].outgoing.patterns[2].exten", "_00."],
    ],
    "other-dev": [],
}


def scrub(value: Any) -> Any:
    """The digest without the capturing machine's paths."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in ("stackTrace", "sourcePosition")}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def capture(workdir: Path) -> None:
    if toolchain.activate() is None:
        sys.exit("no Pulumi CLI: run `make pulumi` first")
    sandbox = SandboxProcess(workdir / "sandbox.db").start()
    try:
        project = copy_project(workdir / "project")
        for name in (*STACKS, "other-prod"):
            text = (ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text()
            text = text.replace("http://127.0.0.1:9486", sandbox.url)
            (project / "stacks" / f"Pulumi.{name}.yaml").write_text(text)
        cli = Cli(project, workdir / "home", workdir / "backend")
        cli.login()
        for stack in STACKS:
            cli.run("stack", "init", stack)
            for key, value in SECRETS[stack].items():
                cli.run("config", "set", "--secret", "--path", key, value, "--stack", stack)
            cli.run("up", "--yes", "--skip-preview", "--stack", stack)
            for change in CHANGES[stack]:
                cli.run(*change, "--stack", stack)
        cli.run(
            "config",
            "set",
            "--secret",
            "--path",
            "providers[0].password",
            NEW_PASSWORD,
            "--stack",
            "other-dev",
        )

        # the previews as the pull-request workflow makes them: the fleet tool, one stack at a time
        refs = [StackRef.from_path(project / "stacks" / f"Pulumi.{n}.yaml") for n in (*STACKS, "other-prod")]
        env = {**cli.env, "PULUMI_BACKEND_URL": f"file://{cli.backend}"}
        results = fleet.run_fleet(refs, fleet.automation_operation("preview", project, env), parallel=1)
        fleet.write_results(results, "preview", workdir / "previews")
        write_fixtures(workdir / "previews", sandbox.url)
        for stack in STACKS:
            cli.run("destroy", "--yes", "--skip-preview", "--stack", stack)
    finally:
        sandbox.stop()


def write_fixtures(captured: Path, url: str) -> None:
    secrets = [value for stack in SECRETS.values() for value in stack.values()] + [NEW_PASSWORD, PASSPHRASE]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for path in sorted(captured.glob("*.json")):
        document = scrub(json.loads(path.read_text()))
        text = json.dumps(document, indent=2, sort_keys=False).replace(url, "http://127.0.0.1:9486") + "\n"
        leaked = [secret for secret in secrets if secret in text]
        if leaked:
            sys.exit(f"{path.name} holds a secret the capture set: not written")
        (FIXTURES / path.name).write_text(text)
        print(f"wrote {FIXTURES / path.name}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="capture-previews-") as workdir:
        capture(Path(workdir))


if __name__ == "__main__":
    main()
