"""State written before a refactor of `providers/` must still refresh and destroy.

Every resource's state carries `__provider`: a pickle that names its provider class by import path.
The engine hands that old string back to the server on `refresh` and `destroy`, so a class that moved
without leaving a compatibility alias at its old path strands every existing stack. The paths are
pinned here; the recorded strings (tests/engine/data/recorded_providers.json) stand for old state.
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import ResourceProvider

from tests.engine.scenarios import ACME, PINNED, SCENARIOS, STACK_PASSWORD, STACK_USERNAME, Admin, unique
from tests.support.provider_server import (
    PROJECT,
    PROVIDER_KEY,
    ROOT,
    Engine,
    ProviderError,
    ProviderServer,
    State,
    provider_path,
    stack_config,
)
from tests.support.sandbox import SandboxProcess

DATA = Path(__file__).parent / "data" / "recorded_providers.json"
RECORDED: dict[str, Any] = json.loads(DATA.read_text())
ENCODINGS = ("sdk", "protocol3")
KINDS = sorted(PINNED)


def with_provider(state: State, serialized: str) -> State:
    """The same resource as an older state would hold it: another `__provider` string."""
    return State(
        state.urn,
        state.type,
        state.id,
        {**state.inputs, PROVIDER_KEY: serialized},
        {**state.outputs, PROVIDER_KEY: serialized},
        state.secret_outputs,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_pickled_import_paths_are_pinned(kind: str) -> None:
    scenario = SCENARIOS[kind]
    registration = scenario.register(kind.lower(), _any_inputs(kind))
    # what the program writes today...
    assert provider_path(registration.provider) == PINNED[kind]
    # ...what old state holds...
    assert RECORDED[kind]["provider"] == PINNED[kind]
    for encoding in ENCODINGS:
        assert provider_path(RECORDED[kind][encoding]) == PINNED[kind]
    # ...and that path still leads to a provider class
    module, _, name = PINNED[kind].partition(":")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, ResourceProvider)


def test_every_resource_type_is_pinned_and_recorded() -> None:
    assert set(PINNED) == set(SCENARIOS)
    assert set(RECORDED) - {"_about"} == set(PINNED)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("kind", KINDS)
def test_recorded_provider_still_reads_and_deletes(
    engine: Engine, sandbox: SandboxProcess, admin: Admin, kind: str, encoding: str
) -> None:
    scenario = SCENARIOS[kind]
    case = scenario.build(admin, unique())
    current = engine.up(scenario.register(f"{kind.lower()}-stale", case.inputs))
    old = with_provider(current, RECORDED[kind][encoding])

    refreshed = engine.refresh(old)
    assert refreshed is not None
    assert refreshed.id == current.id
    assert refreshed.outputs[PROVIDER_KEY] == RECORDED[kind][encoding]
    assert {k: v for k, v in refreshed.outputs.items() if k != PROVIDER_KEY} == {
        k: v for k, v in current.outputs.items() if k != PROVIDER_KEY
    }
    engine.destroy(refreshed)
    assert scenario.observe(admin, current.id, current.outputs) is None


# -- the rule, demonstrated on a copy of the project -----------------------------------------

RENAMED = "TrunkObjectProvider"


def _refactored_copy(root: Path, keep_alias: bool) -> Path:
    """A copy of the project where TrunkProvider was renamed, with or without the old name kept."""
    shutil.copytree(ROOT / "providers", root / "providers", ignore=shutil.ignore_patterns("__pycache__"))
    module = root / "providers" / "trunk.py"
    text = module.read_text().replace("TrunkProvider", RENAMED)
    if keep_alias:
        text += "\n\n# compatibility alias: state written before the rename pickled this path\n"
        text += f"TrunkProvider = {RENAMED}\n"
    module.write_text(text)
    return root


@pytest.fixture
def trunk_in_state(engine: Engine, admin: Admin) -> Iterator[State]:
    scenario = SCENARIOS["Trunk"]
    state = engine.up(scenario.register("trunk-before-refactor", scenario.build(admin, unique()).inputs))
    yield with_provider(state, RECORDED["Trunk"]["sdk"])
    engine.destroy(state)


@pytest.mark.parametrize("keep_alias", [True, False], ids=["with-alias", "without-alias"])
def test_a_renamed_provider_class_needs_an_alias_at_its_old_path(
    tmp_path: Path, sandbox: SandboxProcess, admin: Admin, trunk_in_state: State, keep_alias: bool
) -> None:
    project = _refactored_copy(tmp_path, keep_alias)
    with ProviderServer(cwd=project) as server:
        engine = Engine(server)
        engine.configure(
            stack_config(sandbox.url, STACK_USERNAME, STACK_PASSWORD, ACME), [f"{PROJECT}:password"]
        )
        if keep_alias:
            refreshed = engine.refresh(trunk_in_state)
            assert refreshed is not None
            assert refreshed.id == trunk_in_state.id
            engine.destroy(refreshed)
            assert SCENARIOS["Trunk"].observe(admin, trunk_in_state.id, trunk_in_state.outputs) is None
        else:
            with pytest.raises(ProviderError) as raised:
                engine.refresh(trunk_in_state)
            assert "Can't get attribute 'TrunkProvider'" in raised.value.details, raised.value.details[-300:]
            with pytest.raises(ProviderError):
                engine.destroy(trunk_in_state)


def _any_inputs(kind: str) -> dict[str, Any]:
    """Inputs good enough to register (nothing is sent anywhere)."""
    ids = {"trunk_id": 1, "outcall_id": 1, "extension_id": 1, "incall_id": 1}
    base: dict[str, Any] = {"tenant_uuid": ACME}
    return {
        "Context": {**base, "label": "x"},
        "Trunk": base,
        "EndpointSip": {**base, "name": "x"},
        "TrunkEndpointSip": {**base, "trunk_id": 1, "endpoint_uuid": ACME},
        "Outcall": {**base, "name": "x"},
        "OutcallTrunks": {**base, "outcall_id": 1, "trunk_ids": [1]},
        "Extension": {**base, "exten": "1000", "context": "ctx"},
        "OutcallExtension": {**base, "outcall_id": 1, "extension_id": 1},
        "Incall": {**base, "destination": {"type": "none"}},
        "IncallExtension": {**base, **{k: ids[k] for k in ("incall_id", "extension_id")}},
    }[kind]
