"""What `__main__.py` runs: read the stack's settings, check the whole stack, then declare it."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pulumi
from pulumi.runtime import config as runtime_config

from providers._base import confd_id
from providers.confd import ConfdError, connect
from providers.confd.generation import ServerGeneration, detect
from providers.confd.settings import settings_from
from providers.directory import ConfdDirectory
from providers.interconnect import Declared, declare_stack
from providers.model import NAMESPACE, ConfigError, StackConfig, load_stack_config
from providers.plan import PlanError, StackPlan, plan_stack

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


def fail(message: str) -> NoReturn:
    """Stop the program with a message and no Python traceback."""
    raise pulumi.RunError(message)


def summary(plan: StackPlan, declared: Declared) -> dict[str, Any]:
    """A readable export: per provider its trunk, the DIDs and the outcall it lists, by operators' names."""
    result: dict[str, Any] = {}
    for trunk in plan.trunks:
        name = trunk.provider.name
        component = declared.trunks[name]
        dids = {d.did.did: confd_id(declared.incalls[d.did.did]) for d in plan.dids if d.provider == name}
        contexts: dict[str, pulumi.Input[str]] = {"incall": declared.contexts["incall"]}
        if trunk.provider.outgoing is not None:
            contexts["outcall"] = declared.contexts["outcall"]
        entry: dict[str, Any] = {
            "trunk_id": component.trunk_id,
            "endpoint": component.endpoint_name,
            "dids": pulumi.Output.all(**dids) if dids else {},
            "contexts": pulumi.Output.all(**contexts),
        }
        if trunk.provider.outgoing is not None:
            outcall = declared.outcalls[trunk.provider.outgoing.outcall]
            entry["outcall"] = {"name": trunk.provider.outgoing.outcall, "id": confd_id(outcall)}
        result[name] = entry
    return result


def main() -> None:
    """Check the whole stack and look up what it needs, then declare it: no write before every check."""
    server: ServerGeneration | None = None
    try:
        config = load()
        settings = settings_from(runtime_config.get_config)
        client = connect(str(config.tenant), settings)
        # which API the Wazo speaks decides which objects the plan holds: asked before anything else
        server = detect(client)
        plan = plan_stack(config, ConfdDirectory(client), server)
    except (ConfigError, PlanError, ConfdError) as error:
        # on a chan_sip Wazo, the release the refusals are about; a PJSIP one's messages are the same
        # whatever its release (the program did not read it)
        on = f" on {server.describe()}" if server is not None and server.chan_sip else ""
        fail(f"the stack cannot be deployed{on}:\n{error}")
    declared = declare_stack(plan)
    pulumi.export("summary", summary(plan, declared))
