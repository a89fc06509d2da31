"""What `__main__.py` runs: read the stack's settings, validate them, build one component per provider."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from providers.confd import ConfdError, connect
from providers.confd.generation import ServerGeneration, detect
from providers.confd.settings import settings_from
from providers.directory import ConfdDirectory
from providers.interconnect import VoipProviderInterconnect, VoipProviderInterconnectArgs
from providers.model import NAMESPACE, ConfigError, Provider, StackConfig, load_stack_config
from providers.plan import PlanError, legacy_problems

# Structured keys arrive from the engine as JSON text.
STRUCTURED_KEYS = frozenset({"providers", "contexts"})


def stack_values() -> dict[str, Any]:
    """Every `wazo-voip:*` key of the running stack, without its namespace, objects decoded."""
    raw: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if name in STRUCTURED_KEYS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError([f"{key}: is not valid YAML/JSON structured config"]) from None
        values[name] = value
    return values


def load() -> StackConfig:
    """The validated stack configuration; a ConfigError lists every problem with its key."""
    return load_stack_config(stack_values())


def build_order(providers: list[Provider]) -> list[Provider]:
    """Providers ordered so that each comes after every provider whose trunk its outcall uses."""
    by_name = {p.name: p for p in providers}
    ordered: list[Provider] = []
    state: dict[str, str] = {}

    def visit(provider: Provider, path: list[str]) -> None:
        if state.get(provider.name) == "done":
            return
        if state.get(provider.name) == "visiting":
            cycle = " -> ".join([*path, provider.name])
            raise ConfigError(
                [
                    f"{NAMESPACE}:providers: the outgoing trunks form a cycle ({cycle}); "
                    f"let one outcall list both trunks instead"
                ]
            )
        state[provider.name] = "visiting"
        for other in provider.outgoing.trunks or [] if provider.outgoing else []:
            if other != provider.name:
                visit(by_name[other], [*path, provider.name])
        state[provider.name] = "done"
        ordered.append(provider)

    for provider in providers:
        visit(provider, [])
    return ordered


def fail(message: str) -> None:
    """Stop the program with a message and no Python traceback."""
    raise pulumi.RunError(message)


def summary(components: Mapping[str, VoipProviderInterconnect]) -> dict[str, Any]:
    """A readable export: per provider what it created, by the names operators use."""
    result: dict[str, Any] = {}
    for name, component in components.items():
        entry: dict[str, Any] = {
            "trunk_id": component.trunk_id,
            "endpoint": component.endpoint_name,
            "dids": component.dids,
            "contexts": component.contexts,
        }
        if component.outcall is not None:
            entry["outcall"] = {"name": component.outcall.name, "id": component.outcall_id}
        result[name] = entry
    return result


def main() -> None:
    """Build the stack: one component per provider, contexts shared, trunks ordered, a summary."""
    server: ServerGeneration | None = None
    try:
        config = load()
        settings = settings_from(runtime_config.get_config)
        client = connect(str(config.tenant), settings)
        # which API the Wazo speaks decides which objects to declare; asked before anything else
        server = detect(client)
        if server.chan_sip:
            # every provider's settings 20.12 cannot express, before any component declares anything
            problems = [
                p for provider in config.providers for p in legacy_problems(provider, server.describe())
            ]
            if problems:
                raise PlanError("\n".join(problems))
        directory = ConfdDirectory(client)
        components: dict[str, VoipProviderInterconnect] = {}
        incall_context = outcall_context = None
        for provider in build_order(list(config.providers)):
            args = VoipProviderInterconnectArgs(
                tenant_uuid=str(config.tenant),
                provider=provider,
                contexts=config.contexts,
                incall_context=incall_context,
                outcall_context=outcall_context,
                other_trunk_ids={name: c.trunk_id for name, c in components.items()},
                server=server,
            )
            component = VoipProviderInterconnect(provider.name, args, directory)
            incall_context = component.incall_context
            outcall_context = component.outcall_context or outcall_context
            components[provider.name] = component
    except (ConfigError, PlanError, ConfdError) as error:
        on = f" on {server.describe()}" if server is not None else ""
        fail(f"the stack cannot be deployed{on}:\n{error}")
    pulumi.export("summary", summary(components))
