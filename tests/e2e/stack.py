"""What the end-to-end suite needs besides the CLI: a throwaway copy of the project, a stack's
config aimed at the sandbox, a `pulumi` runner that never shows a secret, and a tenant snapshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from sandbox.seed import ACME_TENANT
from tests.support.sandbox import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
STACK = "acme-e2e"
TEMPLATE = ROOT / "stacks" / "Pulumi.acme-dev.yaml"
PASSPHRASE = "e2e-Passphrase-not-for-production"
STACK_PASSWORD = "acme-secret"
# what `pulumi config set --secret` stores for each provider of the template
PROVIDER_PASSWORDS = ("e2e-VoIPCo-s3cret", "e2e-BackupCo-s3cret")
SECRETS = (PASSPHRASE, STACK_PASSWORD, *PROVIDER_PASSWORDS)
# what the template stack declares (checked here without the CLI by tests/e2e/test_stack_setup.py)
EXPECTED_CREATES: dict[str, int] = {
    "Trunk": 2,
    "EndpointSip": 2,
    "TrunkEndpointSip": 2,
    "Outcall": 1,
    "OutcallTrunks": 1,
    "Extension": 8,
    "OutcallExtension": 3,
    "Incall": 5,
    "IncallExtension": 5,
}
# the confd collections a stack of this project can write to
COLLECTIONS = ("/contexts", "/trunks", "/endpoints/sip", "/outcalls", "/extensions", "/incalls")
_TIMEOUT = 600


def scrub(text: str) -> str:
    """The text with every secret of the suite blanked out (for failure messages)."""
    for secret in SECRETS:
        text = text.replace(secret, "[secret]")
    return text


def copy_project(destination: Path) -> Path:
    """The program, its providers and an empty stacks/ directory; the venv linked, not copied."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py", "requirements.txt"):
        shutil.copy2(ROOT / name, destination / name)
    shutil.copytree(
        ROOT / "providers", destination / "providers", ignore=shutil.ignore_patterns("__pycache__")
    )
    (destination / "stacks").mkdir(exist_ok=True)
    (destination / "venv").symlink_to(ROOT / "venv", target_is_directory=True)
    return destination


def stack_config(url: str) -> dict[str, Any]:
    """The template stack's `config:` (acme-dev) with the sandbox's URL; secrets are set later."""
    data = yaml.safe_load(TEMPLATE.read_text())
    config: dict[str, Any] = dict(data["config"])
    config["wazo-voip:url"] = url
    return config


def secret_settings() -> list[tuple[str, str]]:
    """(`pulumi config set --path` key, value) of every secret, as an operator sets them."""
    settings = [("password", STACK_PASSWORD)]
    settings += [(f"providers[{i}].password", p) for i, p in enumerate(PROVIDER_PASSWORDS)]
    return settings


def resolved_config(url: str) -> dict[str, Any]:
    """The stack config as the program sees it once the CLI has decrypted the secrets."""
    config = stack_config(url)
    config["wazo-voip:password"] = STACK_PASSWORD
    providers = [dict(p) for p in config["wazo-voip:providers"]]
    for provider, password in zip(providers, PROVIDER_PASSWORDS, strict=True):
        provider["password"] = password
    config["wazo-voip:providers"] = providers
    return config


@dataclass
class Cli:
    """`pulumi` in the project copy, with its own home (logged in to `backend`) and a passphrase."""

    project: Path
    home: Path
    backend: Path
    timeout: float = _TIMEOUT
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WAZO_", "PULUMI_"))}
        env.update(
            PULUMI_HOME=str(self.home),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            NO_COLOR="1",
        )
        env.update(self.extra_env)
        return env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{scrub(result.stdout)[-4000:]}\nstderr:\n{scrub(result.stderr)[-4000:]}"
            )
        return result

    def login(self) -> None:
        self.backend.mkdir(parents=True, exist_ok=True)
        self.run("login", f"file://{self.backend}")

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def events(self, *args: str) -> list[dict[str, Any]]:
        """The JSON documents a command prints with --json, one after another (`up` streams events)."""
        return json_stream(self.run(*args, "--json").stdout)

    def up(self) -> Update:
        """`pulumi up` with its engine events: what each resource went through."""
        events = self.events("up", "--yes", "--skip-preview")
        update = Update()
        for event in events:
            if "resOutputsEvent" in event:
                metadata = event["resOutputsEvent"]["metadata"]
                update.steps.append((str(metadata["op"]), str(metadata["urn"])))
            elif "summaryEvent" in event:
                update.summary = dict(event["summaryEvent"]["resourceChanges"])
        return update

    def export(self) -> dict[str, Any]:
        """The stack's state (secrets stay encrypted in it)."""
        return dict(json.loads(self.run("stack", "export").stdout))

    def resources(self, type_suffix: str) -> list[dict[str, Any]]:
        deployment = self.export()["deployment"]
        found = deployment.get("resources") or []
        return [r for r in found if str(r.get("type", "")).endswith(type_suffix)]


@dataclass
class Update:
    """What `pulumi up --json` reported: (op, urn) per resource step, and the change summary."""

    steps: list[tuple[str, str]] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)


def json_stream(text: str) -> list[Any]:
    """Every JSON document of a text that holds several, one after another."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return documents
        document, index = decoder.raw_decode(text, index)
        documents.append(document)


def write_stack_file(project: Path, config: dict[str, Any]) -> Path:
    """Merge `config` into the stack file `pulumi stack init` wrote (keeping its encryption salt)."""
    path = project / "stacks" / f"Pulumi.{STACK}.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    data = data or {}
    data["config"] = {**(data.get("config") or {}), **config}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def snapshot(sandbox: SandboxProcess, tenant: str = ACME_TENANT) -> dict[str, list[dict[str, Any]]]:
    """Every object of the tenant that the program can touch, as confd lists it, sorted."""
    token = sandbox.token("acme-admin", STACK_PASSWORD)
    headers = {"X-Auth-Token": token, "Wazo-Tenant": tenant}
    out: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(base_url=sandbox.confd_url, headers=headers, timeout=10) as client:
        for collection in COLLECTIONS:
            response = client.get(collection, params={"recurse": "false"})
            response.raise_for_status()
            items = response.json()["items"]
            out[collection] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return out


# the confd collection of each object resource, and the key of its id there
COLLECTION_OF = {
    "Context": ("/contexts", "id"),
    "Trunk": ("/trunks", "id"),
    "EndpointSip": ("/endpoints/sip", "uuid"),
    "Outcall": ("/outcalls", "id"),
    "Extension": ("/extensions", "id"),
    "Incall": ("/incalls", "id"),
}


def object_ids(tenant: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str]]:
    """(collection, id) of every object of a snapshot."""
    found = set()
    for collection, key in COLLECTION_OF.values():
        found |= {(collection, str(item[key])) for item in tenant.get(collection, [])}
    return found


def state_ids(resources: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(collection, id) of the objects a state records, from (resource kind, id) pairs."""
    return {(COLLECTION_OF[kind][0], id_) for kind, id_ in resources if kind in COLLECTION_OF}


def writes(log: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The confd writes of a request log."""
    return [
        (item["method"], item["path"])
        for item in log
        if item["method"] in ("POST", "PUT", "DELETE") and item["path"].startswith("/api/confd/")
    ]


def reads(log: list[dict[str, Any]]) -> list[str]:
    """The confd reads of a request log."""
    return [
        item["path"] for item in log if item["method"] == "GET" and item["path"].startswith("/api/confd/")
    ]


def token_requests(log: list[dict[str, Any]]) -> int:
    """How many tokens were asked of wazo-auth."""
    return sum(
        1 for item in log if item["method"] == "POST" and item["path"].startswith("/api/auth/0.1/token")
    )
