"""Re-capture tests/stacks/fixtures/routing/ with the real Pulumi CLI (run by hand, not a test).

    venv/bin/python -m tests.stacks.capture_routing_preview   (after `make pulumi`)

Deploys the acme-dev stack to a fresh sandbox with `pulumi up`, changes it the way a pull request
would (a DID added, one removed, one re-routed; a pattern added, one removed, one changed; the trunk
order swapped; a label changed), and keeps `pulumi preview --json` of that change together with the
changed stack file, both renamed to acme-dev on the sandbox's usual URL.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from stacks import toolchain
from tests.e2e.stack import STACK, Cli, copy_project, secret_settings, stack_config, write_stack_file
from tests.support.sandbox import SandboxProcess

OUT = Path(__file__).parent / "fixtures" / "routing"


def change(config: dict[str, Any]) -> None:
    voip, backup = config["wazo-voip:providers"]
    voip["incoming"].append(
        {"did": "+15551230003", "destination": {"type": "user", "user_email": "carol@acme.example"}}
    )
    voip["incoming"][1]["destination"]["ring_time"] = 30
    patterns = voip["outgoing"]["patterns"]
    patterns[2]["strip_digits"] = 2
    del patterns[1]
    patterns.append({"exten": "911", "caller_id": "+15551230000"})
    voip["outgoing"]["trunks"] = ["acme-backupco", "acme-voipco"]
    backup["label"] = "BackupCo (standby)"
    backup["incoming"] = backup["incoming"][:1]


def main() -> None:
    if toolchain.activate() is None:
        raise SystemExit("no Pulumi CLI: run `make pulumi` first")
    work = Path(tempfile.mkdtemp(prefix="routing-capture-"))
    sandbox = SandboxProcess(work / "sandbox.db").start()
    try:
        project = copy_project(work / "project")
        cli = Cli(project, work / "home", work / "backend")
        cli.login()
        cli.run("stack", "init", STACK)
        write_stack_file(project, stack_config(sandbox.url))
        for key, value in secret_settings():
            subprocess.run(
                ["pulumi", "config", "set", "--secret", "--path", key, "--stack", STACK, "--non-interactive"],
                input=value,
                text=True,
                cwd=project,
                env=cli.env,
                check=True,
                capture_output=True,
            )
        cli.run("up", "--yes", "--stack", STACK)
        path = project / "stacks" / f"Pulumi.{STACK}.yaml"
        data = yaml.safe_load(path.read_text())
        change(data["config"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        preview = cli.run("preview", "--json", "--stack", STACK).stdout

        def rename(text: str) -> str:
            return text.replace(STACK, "acme-dev").replace(sandbox.url, "http://127.0.0.1:9486")

        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "acme-dev.json").write_text(rename(preview))
        (OUT / "Pulumi.acme-dev.yaml").write_text(rename(path.read_text()))
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
