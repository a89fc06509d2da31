"""`new`: a stack file from a few answers, checked by the models, with its secrets left to the Pulumi CLI."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from providers.model import NAMESPACE, ConfigError, load_stack_config
from stacks.stackfile import STACK_NAME, stack_file_name

# Destination types whose target is a confd id: `--did +15551234567=group:1` -> {type: group, group_id: 1}.
ID_DESTINATIONS = frozenset({"group", "queue", "ivr", "voicemail", "conference", "outcall"})


class ScaffoldError(ValueError):
    """An answer that cannot make a stack; the message names the flag or the key."""


@dataclass(frozen=True)
class Secret:
    """A secret setting: its key path (without namespace) and its value, which only the CLI may store."""

    key: str
    value: str | None = field(repr=False)

    @property
    def is_path(self) -> bool:
        return "." in self.key or "[" in self.key


@dataclass
class NewStack:
    """The answers of `new`: one tenant, one environment, one provider to start with."""

    tenant: str
    env: str
    url: str
    tenant_uuid: str
    username: str | None
    password: str | None = field(repr=False)
    provider_name: str
    provider_username: str
    provider_password: str | None = field(repr=False)
    provider_host: str
    provider_label: str | None = None
    provider_port: int | None = None
    transport: str | None = None
    outcall: str | None = None
    patterns: Sequence[str] = ()
    dids: Sequence[str] = ()

    @property
    def stack(self) -> str:
        return f"{self.tenant}-{self.env}"

    @property
    def file_name(self) -> str:
        return stack_file_name(self.tenant, self.env)


def parse_pattern(text: str) -> dict[str, Any]:
    """`_0XXXXXXXXX` or `_0XXXXXXXXX:1` (strip one digit) -> a dial pattern."""
    exten, sep, strip = text.partition(":")
    pattern: dict[str, Any] = {"exten": exten}
    if sep:
        if not strip.isdigit():
            raise ScaffoldError(f"--pattern {text!r}: the part after ':' is the number of digits to strip")
        pattern["strip_digits"] = int(strip)
    return pattern


def _scalar(text: str) -> Any:
    return int(text) if text.isdigit() else text


def parse_destination(text: str) -> dict[str, Any]:
    """An incall destination from `TYPE[:TARGET]`; the stack models then check it as confd would.

    `user:alice@acme.example`, `user:3`, `group:1` (any type with a `<type>_id`), `none`, and the
    general form `TYPE:KEY=VALUE,...`, e.g. `hangup:cause=busy` or `queue:queue_id=1,ring_time=20`.
    """
    kind, _, target = text.strip().partition(":")
    if not kind:
        raise ScaffoldError(f"destination {text!r}: write TYPE[:TARGET], e.g. user:alice@acme.example")
    if not target:
        return {"type": kind}
    if "=" in target:
        destination: dict[str, Any] = {"type": kind}
        for pair in target.split(","):
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise ScaffoldError(f"destination {text!r}: write TYPE:KEY=VALUE,KEY=VALUE")
            destination[key.strip()] = _scalar(value.strip())
        return destination
    if kind == "user":
        return (
            {"type": "user", "user_id": int(target)}
            if target.isdigit()
            else {"type": "user", "user_email": target}
        )
    if kind in ID_DESTINATIONS and target.isdigit():
        return {"type": kind, f"{kind}_id": int(target)}
    raise ScaffoldError(
        f"destination {text!r}: use user:<email|id>, <type>:<id> for {', '.join(sorted(ID_DESTINATIONS))}, "
        "or TYPE:KEY=VALUE,... (e.g. hangup:cause=busy)"
    )


def parse_did(text: str) -> dict[str, Any]:
    """`+15551234567=user:alice@acme.example` -> an incoming DID."""
    did, sep, destination = text.partition("=")
    if not sep:
        raise ScaffoldError(
            f"--did {text!r}: write <number>=<destination>, e.g. +15551234567=user:alice@acme.example"
        )
    return {"did": did.strip(), "destination": parse_destination(destination.strip())}


def provider_settings(spec: NewStack) -> dict[str, Any]:
    """The provider entry as written in the file (no password: the CLI stores it encrypted)."""
    provider: dict[str, Any] = {"name": spec.provider_name}
    if spec.provider_label:
        provider["label"] = spec.provider_label
    provider["username"] = spec.provider_username
    provider["host"] = spec.provider_host
    if spec.provider_port is not None:
        provider["port"] = spec.provider_port
    if spec.transport:
        provider["transport"] = spec.transport
    if spec.outcall or spec.patterns:
        if not (spec.outcall and spec.patterns):
            raise ScaffoldError("--outcall and --pattern go together: an outcall needs at least one pattern")
        provider["outgoing"] = {
            "outcall": spec.outcall,
            "patterns": [parse_pattern(p) for p in spec.patterns],
        }
    if spec.dids:
        provider["incoming"] = [parse_did(d) for d in spec.dids]
    return provider


def file_values(spec: NewStack) -> dict[str, Any]:
    """The settings written in the file, without namespace and without any secret."""
    values: dict[str, Any] = {"url": spec.url, "tenant": spec.tenant_uuid}
    if spec.username:
        values["username"] = spec.username
    values["providers"] = [provider_settings(spec)]
    return values


def secrets_of(spec: NewStack) -> list[Secret]:
    """The secrets of the stack, in the order the CLI should store them."""
    secrets = []
    if spec.username:
        secrets.append(Secret("password", spec.password))
    secrets.append(Secret("providers[0].password", spec.provider_password))
    return secrets


def check(spec: NewStack) -> dict[str, Any]:
    """Validate the answers with the stack models; returns the file's settings or raises ScaffoldError."""
    if not STACK_NAME.match(spec.stack):
        raise ScaffoldError(
            f"stack name {spec.stack!r}: --tenant: lower-case letters, digits, '-'; --env: letters, digits"
        )
    values = file_values(spec)
    candidate = {**values, "providers": [dict(p) for p in values["providers"]]}
    for secret in secrets_of(spec):
        if secret.value is None:
            continue
        if secret.is_path:
            candidate["providers"][0]["password"] = secret.value
        else:
            candidate[secret.key] = secret.value
    try:
        load_stack_config(candidate)
    except ConfigError as error:
        raise ScaffoldError("\n".join(error.problems)) from None
    return values


def render(spec: NewStack, values: dict[str, Any]) -> str:
    """The stack file's text: a header that says how secrets get in, then the `config:` mapping."""
    commands = "\n".join(f"#   {shlex.join(config_set_command(spec.stack, s))}" for s in secrets_of(spec))
    header = (
        f"# Tenant {spec.tenant}, environment {spec.env}. Written by `python -m stacks new`.\n"
        "# Secrets are never written here in clear. The Pulumi CLI stores them encrypted:\n"
        f"{commands}\n"
    )
    config = {f"{NAMESPACE}:{key}": value for key, value in values.items()}
    body = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return header + body


def init_command(stack: str) -> list[str]:
    return ["pulumi", "stack", "select", "--create", stack]


def config_set_command(stack: str, secret: Secret) -> list[str]:
    """`pulumi config set --secret` without the value: given on stdin, or typed at the CLI's prompt."""
    command = ["pulumi", "config", "set", "--secret", "--stack", stack]
    if secret.is_path:
        command.append("--path")
    command.append(secret.key)
    return command


@dataclass
class SecretPlan:
    """What `new` did with the secrets: the commands it ran and those left for the user."""

    ran: list[list[str]] = field(default_factory=list)
    to_run: list[list[str]] = field(default_factory=list)
    failure: str | None = None


def store_secrets(spec: NewStack, root: Path, executable: str | None) -> SecretPlan:
    """With the CLI: create/select the stack and store each given secret. Without: the commands to run."""
    plan = SecretPlan()
    secrets = secrets_of(spec)
    if executable is None:
        plan.to_run = [init_command(spec.stack)] + [config_set_command(spec.stack, s) for s in secrets]
        return plan
    steps: list[tuple[list[str], str | None]] = [(init_command(spec.stack), None)]
    steps += [(config_set_command(spec.stack, s), s.value) for s in secrets if s.value is not None]
    for index, (command, value) in enumerate(steps):
        # The value goes on stdin, never on the command line where `ps` and shell history would see it.
        result = subprocess.run(
            [executable, *command[1:]],
            input=value if value is not None else "",
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            plan.failure = f"`{shlex.join(command)}` failed: {_last_lines(result.stderr or result.stdout)}"
            plan.to_run = [c for c, _ in steps[index:]]
            break
        plan.ran.append(command)
    plan.to_run += [config_set_command(spec.stack, s) for s in secrets if s.value is None]
    return plan


def _last_lines(text: str, count: int = 5) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no output"
