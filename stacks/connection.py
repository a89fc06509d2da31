"""One way from a stack to a connection, for the tools that read a deployed tenant (show, status).

The stack's config comes from the Pulumi CLI when it can decrypt the stack (its secrets included),
else from the stack file read offline (its secrets left out); then the program's own settings code
(`providers.confd.settings.settings_from`) turns it into settings, with the same keys, the same
environment fallbacks and the same checks. No password is ever taken from the command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from providers.confd import Settings, settings_from
from providers.model import NAMESPACE
from stacks import toolchain
from stacks.stackfile import SECRET_PLACEHOLDER, StackRef, read_stack_file

# Keys the program decodes from JSON text when the engine passes them (providers/program.py).
STRUCTURED_KEYS = frozenset({"providers", "contexts"})

ConfigReader = Callable[[StackRef], dict[str, Any]]


class StackConfigError(Exception):
    """The stack's config could not be read; the message says from where and why."""


@dataclass(frozen=True)
class ConfigValues:
    """A stack's `wazo-voip:` keys (without namespace) and where they were read."""

    values: dict[str, Any]
    source: str  # "pulumi" (decrypted by the CLI) or "file" (secrets left out)


def file_config(ref: StackRef) -> dict[str, Any]:
    """The stack file as written, encrypted values left out (they are not decrypted here)."""
    stack = read_stack_file(ref)
    if not stack.readable:
        problems = "; ".join(f.message for f in stack.findings) or "unreadable"
        raise StackConfigError(f"{ref.path.name}: {problems}")
    return {key: value for key, value in stack.values.items() if value != SECRET_PLACEHOLDER}


def pulumi_config(root: Path, env: Mapping[str, str] | None = None) -> ConfigReader:
    """A reader that asks the Pulumi CLI (Automation API) for the stack's config, secrets decrypted."""

    def read(ref: StackRef) -> dict[str, Any]:
        from pulumi import automation as auto

        toolchain.activate()  # the project's own build of the CLI, when there is one
        options = auto.LocalWorkspaceOptions(env_vars=dict(env)) if env else None
        try:
            stack = auto.select_stack(stack_name=ref.name, work_dir=str(root), opts=options)
            config = stack.get_all_config()
        except Exception as error:  # noqa: BLE001 - the CLI's failures are many; its message says why
            lines = [line for line in str(error).strip().splitlines() if line.strip()]
            raise StackConfigError(
                f"the Pulumi CLI could not read the config of stack {ref.name}: "
                + (lines[-1] if lines else type(error).__name__)
            ) from None
        values: dict[str, Any] = {}
        for key, item in config.items():
            namespace, _, name = key.partition(":")
            if namespace != NAMESPACE:
                continue
            value: Any = item.value
            if name in STRUCTURED_KEYS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise StackConfigError(f"{key}: is not valid structured config") from None
            values[name] = value
        return values

    return read


def read_config(ref: StackRef, pulumi: ConfigReader | None) -> tuple[ConfigValues, str | None]:
    """The stack's config through the Pulumi CLI when given one, else the file; and why not the CLI.

    A CLI that cannot read the stack (not logged in, no passphrase, stack not created) is not fatal:
    the file has every setting but the secrets, which the environment or a prompt can give.
    """
    note = None
    if pulumi is not None:
        try:
            return ConfigValues(pulumi(ref), "pulumi"), None
        except StackConfigError as error:
            note = str(error)
    return ConfigValues(file_config(ref), "file"), note


def settings_for(values: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """The settings the program builds from this config: explicit keys first, then the environment."""

    def get(key: str) -> Any:
        value = values.get(key.removeprefix(f"{NAMESPACE}:"))
        return None if isinstance(value, dict | list) else value

    return settings_from(get, environ)
