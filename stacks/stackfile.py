"""Stack files: finding them, reading them without decrypting anything, and checking them offline."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from providers.model import NAMESPACE, ConfigError, StackConfig, load_stack_config

STACK_FILE = re.compile(r"^Pulumi\.(?P<name>.+)\.ya?ml$")
STACK_NAME = re.compile(r"^(?P<tenant>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(?P<env>[a-z0-9]+)$")
# Top-level keys Pulumi itself writes or reads in a stack settings file.
STACK_FILE_KEYS = frozenset({"config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"})
# What an encrypted value becomes before the models see it: secrets are never decrypted here.
SECRET_PLACEHOLDER = "offline-placeholder-secret"  # noqa: S105

Severity = Literal["error", "warning"]


def is_secret_key(parts: Sequence[str | int]) -> bool:
    """Keys that hold a secret and must never be written in clear: password, token, providers[N].password."""
    if len(parts) == 1:
        return parts[0] in ("password", "token")
    return (
        len(parts) == 3 and parts[0] == "providers" and isinstance(parts[1], int) and parts[2] == "password"
    )


def key_path(parts: Sequence[str | int]) -> str:
    """('providers', 0, 'password') -> 'wazo-voip:providers[0].password', as the models name keys."""
    text = f"{NAMESPACE}:"
    for index, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += part if index == 0 else f".{part}"
    return text


def cli_path(parts: Sequence[str | int]) -> str:
    """The same key as `pulumi config set --path` spells it: providers[0].password."""
    return key_path(parts).removeprefix(f"{NAMESPACE}:")


@dataclass(frozen=True)
class StackRef:
    """One stack file: `stacks/Pulumi.<tenant>-<env>.yaml` is the stack `<tenant>-<env>`."""

    name: str
    path: Path
    tenant: str | None
    env: str | None

    @classmethod
    def from_path(cls, path: Path) -> StackRef:
        match = STACK_FILE.match(path.name)
        name = match.group("name") if match else path.stem
        parts = STACK_NAME.match(name)
        return cls(
            name=name,
            path=path,
            tenant=parts.group("tenant") if parts else None,
            env=parts.group("env") if parts else None,
        )


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, as an operator would type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def stack_file_name(tenant: str, env: str) -> str:
    return f"Pulumi.{tenant}-{env}.yaml"


DEMO_SUFFIX = "-demo.yaml"  # the demo's copies (.gitignore: stacks/Pulumi.*-demo.yaml)


def discover(stacks_dir: Path) -> list[StackRef]:
    """Every stack file of the directory, sorted by stack name; not the demo's local copies.

    `make demo` deploys a git-ignored copy of acme-dev, `Pulumi.acme-demo.yaml`, to the sandbox: it
    manages the same tenant and names as acme-dev on purpose, and is no stack of the fleet.
    """
    paths = [
        p
        for p in stacks_dir.iterdir()
        if p.is_file() and STACK_FILE.match(p.name) and not p.name.endswith(DEMO_SUFFIX)
    ]
    return sorted((StackRef.from_path(p) for p in paths), key=lambda ref: ref.name)


def select(refs: Iterable[StackRef], patterns: Sequence[str] = (), env: str | None = None) -> list[StackRef]:
    """Stacks whose name matches one of the glob patterns (all when none) and, if given, the environment."""
    chosen = []
    for ref in refs:
        if patterns and not any(fnmatch.fnmatchcase(ref.name, p) for p in patterns):
            continue
        if env is not None and ref.env != env:
            continue
        chosen.append(ref)
    return chosen


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key written twice: YAML would silently keep the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class Finding:
    """One problem of one stack file, naming the file and the key."""

    path: Path
    key: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        shown = display_path(self.path)
        where = f"{shown}: {self.key}" if self.key else shown
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


@dataclass
class StackFile:
    """A stack file as read: its `wazo-voip:` settings (secrets replaced by a placeholder) and findings."""

    ref: StackRef
    values: dict[str, Any] = field(default_factory=dict)
    secret_keys: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = False

    def error(self, key: str | None, message: str, severity: Severity = "error") -> None:
        self.findings.append(Finding(self.ref.path, key, message, severity))


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and "secure" in value


def _unwrap(stack: StackFile, value: Any, parts: tuple[str | int, ...]) -> Any:
    """Replace every `{secure: v1:...}` by the placeholder, and flag secrets written in clear."""
    if _is_secure(value):
        key = key_path(parts)
        if set(value) != {"secure"} or not isinstance(value["secure"], str) or not value["secure"]:
            stack.error(
                key, "is a malformed secret: expected `secure: <ciphertext>` as the Pulumi CLI writes it"
            )
        stack.secret_keys.add(key)
        return SECRET_PLACEHOLDER
    if is_secret_key(parts) and value not in (None, ""):
        stack.error(
            key_path(parts),
            "is a secret written in clear in the file: remove it and run "
            f"`pulumi config set --secret --stack {stack.ref.name}"
            f"{' --path' if len(parts) > 1 else ''} '{cli_path(parts)}'` (it prompts for the value)",
        )
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _unwrap(stack, v, (*parts, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(stack, v, (*parts, i)) for i, v in enumerate(value)]
    return value


def read_stack_file(ref: StackRef) -> StackFile:
    """Read one stack file without decrypting anything; problems go to `findings`, never raised."""
    stack = StackFile(ref)
    if ref.tenant is None:
        stack.error(None, "is not named Pulumi.<tenant>-<env>.yaml (lower-case letters, digits and '-')")
    try:
        document = yaml.load(ref.path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError) as error:
        stack.error(None, f"cannot be read: {error}")
        return stack
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        stack.error(None, f"is not valid YAML{where}: {problem}")
        return stack
    if document is None:
        document = {}
    if not isinstance(document, dict):
        stack.error(None, "must be a YAML mapping with a `config:` key")
        return stack
    for key in document:
        if key not in STACK_FILE_KEYS:
            stack.error(
                str(key), f"is not a stack settings key (expected: {', '.join(sorted(STACK_FILE_KEYS))})"
            )
    config = document.get("config") or {}
    if not isinstance(config, dict):
        stack.error("config", "must be a mapping of `wazo-voip:<key>: <value>`")
        return stack
    for full_key, value in config.items():
        namespace, _, name = str(full_key).rpartition(":")
        if namespace not in ("", NAMESPACE):
            continue  # another namespace (e.g. pulumi:tags): not ours to check
        if not name:
            stack.error(str(full_key), "has an empty key name")
            continue
        stack.values[name] = _unwrap(stack, value, (name,))
    stack.readable = True
    return stack


def _problem_key(line: str) -> tuple[str | None, str]:
    key, sep, message = line.partition(": ")
    return (key, message) if sep and key.startswith(f"{NAMESPACE}") else (None, line)


def check_stack(stack: StackFile, require_secrets: bool = False) -> StackConfig | None:
    """Validate the settings with the stack configuration models; add one finding per problem."""
    if not stack.readable:
        return None
    config: StackConfig | None = None
    try:
        config = load_stack_config(stack.values)
    except ConfigError as error:
        for line in error.problems:
            key, message = _problem_key(line)
            if key is not None and key in stack.secret_keys and not is_secret_key(_parts_of(key)):
                message += " (this key is stored encrypted, so its value cannot be checked offline)"
            stack.error(key, message)
    providers = stack.values.get("providers")
    if isinstance(providers, list):
        for index, provider in enumerate(providers):
            if isinstance(provider, dict) and provider.get("password") in (None, ""):
                parts: tuple[str | int, ...] = ("providers", index, "password")
                stack.error(
                    key_path(parts),
                    "is not set, so the trunk cannot authenticate: run "
                    f"`pulumi config set --secret --stack {stack.ref.name} --path '{cli_path(parts)}'`",
                    "error" if require_secrets else "warning",
                )
    return config


def _parts_of(key: str) -> tuple[str | int, ...]:
    body = key.removeprefix(f"{NAMESPACE}:")
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", body):
        parts.append(int(index) if index else name)
    return tuple(parts)


@dataclass
class FleetCheck:
    """The result of checking several stack files: each one's models and every finding."""

    stacks: list[StackFile]
    configs: dict[str, StackConfig]

    @property
    def findings(self) -> list[Finding]:
        return [finding for stack in self.stacks for finding in stack.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def check_fleet(refs: Sequence[StackRef], require_secrets: bool = False) -> FleetCheck:
    """Check every stack file, then what only shows across files: two stacks on the same Wazo."""
    stacks = [read_stack_file(ref) for ref in refs]
    configs: dict[str, StackConfig] = {}
    for stack in stacks:
        config = check_stack(stack, require_secrets)
        if config is not None:
            configs[stack.ref.name] = config
    by_name = {stack.ref.name: stack for stack in stacks}
    tenants: dict[tuple[str, str], str] = {}
    endpoints: dict[tuple[str, str], str] = {}
    outcalls: dict[tuple[str, str], str] = {}
    for name, config in configs.items():
        stack = by_name[name]
        owner = tenants.setdefault((config.url, str(config.tenant)), name)
        if owner != name:
            stack.error(
                f"{NAMESPACE}:tenant",
                f"tenant {config.tenant} on {config.url} is already managed by the stack {owner}: "
                "two stacks would fight over the same confd objects",
            )
        for index, provider in enumerate(config.providers):
            owner = endpoints.setdefault((config.url, provider.name), name)
            if owner != name:
                stack.error(
                    key_path(("providers", index, "name")),
                    f"SIP endpoint name {provider.name!r} is also used by the stack {owner} on {config.url}: "
                    "endpoint names are unique across the whole Wazo, all tenants",
                )
            if provider.outgoing is not None:
                owner = outcalls.setdefault((config.url, provider.outgoing.outcall), name)
                if owner != name:
                    stack.error(
                        key_path(("providers", index, "outgoing", "outcall")),
                        f"outcall name {provider.outgoing.outcall!r} is also used by the stack {owner} on "
                        f"{config.url}: outcall names are unique on a Wazo",
                    )
    return FleetCheck(stacks, configs)


def secret_config_keys(path: Path) -> set[str]:
    """The keys (without namespace) that a stack file stores encrypted, for masking reports."""
    stack = read_stack_file(StackRef.from_path(path))
    return {key.removeprefix(f"{NAMESPACE}:") for key in stack.secret_keys}
