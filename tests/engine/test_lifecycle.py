"""Every resource type through the SDK's own provider server, called as the engine calls it.

GetPluginInfo and Configure (stack config, password as a secret), then per resource: Check (also
with inputs unknown during a preview), Diff (no change, an in-place change, a replacing change),
Create, Read for refresh (also of an object deleted behind Pulumi's back), Update and Delete, with
the requests each one sends to confd counted in the sandbox's log.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.engine.scenarios import (
    ACME,
    OTHER,
    SCENARIOS,
    Admin,
    confd_calls,
    unique,
)
from tests.support.provider_server import PROVIDER_KEY, UNKNOWN, Engine, State, with_unknowns
from tests.support.sandbox import SandboxProcess

KINDS = sorted(SCENARIOS)
DIFF_NONE = provider_pb2.DiffResponse.DIFF_NONE
DIFF_SOME = provider_pb2.DiffResponse.DIFF_SOME


def norm(value: Any) -> Any:
    """Numbers come back from the wire as doubles: 7.0 and 7 are the same value."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    return value


def props(values: dict[str, Any]) -> dict[str, Any]:
    return {k: norm(v) for k, v in values.items() if k != PROVIDER_KEY}


class Log:
    """The sandbox's request log from a point on (cleared at each mark: it stays short)."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        self.mark()

    def mark(self) -> None:
        self.sandbox.clear_requests()

    def take(self) -> list[dict[str, Any]]:
        items = self.sandbox.requests()
        self.mark()
        for item in items:
            # every confd request carries the stack's tenant, and none failed on the server's side
            if item["path"].startswith("/api/confd/"):
                assert item["tenant"] == ACME, item
            assert item["status"] is not None, item
            assert item["status"] < 500, item
        return items

    def calls(self) -> list[tuple[str, str]]:
        return confd_calls(self.take())


def test_plugin_info_and_configure(engine: Engine) -> None:
    assert engine.get_plugin_info()
    # the reason the engine strips secrets from every later request
    assert engine.accept_secrets is False


@pytest.mark.parametrize("kind", KINDS)
def test_create_refresh_update_delete(
    engine: Engine, sandbox: SandboxProcess, admin: Admin, kind: str
) -> None:
    scenario = SCENARIOS[kind]
    case = scenario.build(admin, unique())
    registration = scenario.register(f"{kind.lower()}-life", case.inputs)
    log = Log(sandbox)

    # check: the inputs normalized, every field present, nothing sent
    checked = engine.check(registration.urn, {}, registration.inputs())
    assert checked.failures == {}
    assert set(case.inputs) <= set(checked.inputs)
    assert checked.inputs[PROVIDER_KEY] == registration.provider
    assert log.calls() == []

    # create: an object looks first (by its key, or among what it could be taken for) then POSTs,
    # a link PUTs; nothing is read back; outputs = the checked inputs as confd stored them + its fields
    id_, outs = engine.create(registration.urn, checked.inputs)
    created = log.calls()
    methods = [method for method, _ in created]
    assert methods in (["GET", "POST"], ["PUT"]), created
    is_object = methods == ["GET", "POST"]
    assert id_
    assert outs[PROVIDER_KEY] == registration.provider
    assert props(outs) == {**props(checked.inputs), **{k: props(outs)[k] for k in scenario.computed}}
    for name in scenario.computed:
        assert outs.get(name) not in (None, ""), name
    state = State(registration.urn, registration.type, id_, checked.inputs, outs)
    assert scenario.observe(admin, id_, outs) is not None
    log.mark()

    # refresh: one GET, the same outputs
    refreshed = engine.refresh(state)
    assert [method for method, _ in log.calls()] == ["GET"]
    assert refreshed is not None
    assert refreshed.id == id_
    assert props(refreshed.outputs) == props(outs)

    # preview with no change: Check + Diff, DIFF_NONE, nothing sent
    _, diffed = engine.preview(refreshed, registration)
    assert diffed.changes == DIFF_NONE
    assert diffed.replaces == ()
    assert log.calls() == []

    # an in-place change: Diff says DIFF_SOME without replacement, Update sends one PUT (and for an
    # object the GET that verifies what confd stored)
    if case.update is not None:
        name, value = case.update
        changed = scenario.register(f"{kind.lower()}-life", {**case.inputs, name: value})
        diffed, state = engine.change(refreshed, changed)
        assert diffed.changes == DIFF_SOME
        assert diffed.replaces == ()
        assert state.id == id_
        assert [method for method, _ in log.calls()] == (["PUT", "GET"] if is_object else ["PUT"])
        assert norm(state.outputs[name]) == norm(state.inputs[name])
        seen = scenario.observe(admin, id_, state.outputs)
        assert seen is not None
        if name in seen:
            assert norm(seen[name]) == norm(state.inputs[name])
        log.mark()
        again = engine.refresh(state)
        assert again is not None
        assert props(again.outputs) == props(state.outputs)
        _, quiet = engine.preview(again, changed)
        assert quiet.changes == DIFF_NONE
        log.take()
        registration = changed

    # delete: one write; then a refresh finds nothing (empty id: the engine drops it from state)
    engine.destroy(state)
    deleted = log.calls()
    assert len(deleted) == 1, deleted
    assert deleted[0][0] in ("DELETE", "PUT"), deleted
    assert scenario.observe(admin, id_, state.outputs) is None
    after = engine.refresh(state)
    if kind == "OutcallTrunks":
        # its delete empties the list of an outcall that still exists: a refresh sees drift
        # (an empty list), not a gone resource; only a deleted outcall makes it gone
        assert after is not None
        assert after.outputs["trunk_ids"] == []
    else:
        assert after is None


@pytest.mark.parametrize("kind", KINDS)
def test_refresh_after_an_out_of_band_delete(
    engine: Engine, sandbox: SandboxProcess, admin: Admin, kind: str
) -> None:
    scenario = SCENARIOS[kind]
    case = scenario.build(admin, unique())
    state = engine.up(scenario.register(f"{kind.lower()}-gone", case.inputs))
    scenario.remove(admin, state.id, state.outputs)

    _, outs, inputs = engine.read(state.urn, state.id, state.outputs, state.inputs)
    assert outs.keys() <= {PROVIDER_KEY}
    assert inputs is None
    assert engine.refresh(state) is None
    # a destroy from a stale state (no refresh first) still succeeds
    engine.destroy(state)


@pytest.mark.parametrize("kind", KINDS)
def test_diff_kinds(engine: Engine, sandbox: SandboxProcess, admin: Admin, kind: str) -> None:
    scenario = SCENARIOS[kind]
    case = scenario.build(admin, unique())
    name = f"{kind.lower()}-diff"
    state = engine.up(scenario.register(name, case.inputs))
    log = Log(sandbox)

    # a new tenant replaces every resource; delete first where the provider says so
    _, moved = engine.preview(state, scenario.register(name, {**case.inputs, "tenant_uuid": OTHER}))
    assert moved.changes == DIFF_SOME
    assert moved.replaces == ("tenant_uuid",)
    assert moved.delete_before_replace is scenario.delete_before_replace
    assert log.calls() == []

    # a replacing change carried out in the engine's order
    if case.replace is not None:
        field, value = case.replace
        replaced_with = scenario.register(name, {**case.inputs, field: value})
        diffed, new = engine.change(state, replaced_with)
        assert diffed.replaces == (field,)
        assert diffed.delete_before_replace is scenario.delete_before_replace
        calls = log.calls()
        assert len(calls) == 2, calls
        (first, _), (second, _) = calls
        if scenario.delete_before_replace:
            assert first in ("DELETE", "PUT")
            assert second == "PUT"
        assert scenario.observe(admin, new.id, new.outputs) is not None
        assert new.id != state.id
        state = new
    engine.destroy(state)


@pytest.mark.parametrize("kind", KINDS)
def test_preview_with_unknown_inputs_sends_nothing(
    engine: Engine, sandbox: SandboxProcess, admin: Admin, kind: str
) -> None:
    scenario = SCENARIOS[kind]
    case = scenario.build(admin, unique())
    name = f"{kind.lower()}-preview"
    registration = scenario.register(name, case.inputs)
    log = Log(sandbox)

    # a create in a preview: what other resources will output is not known yet
    for unknowns in (case.preview_unknowns, [k for k in case.inputs if k != "tenant_uuid"]):
        checked = engine.check(registration.urn, {}, with_unknowns(registration.inputs(), unknowns))
        assert checked.failures == {}, unknowns
        for field in unknowns:
            assert checked.inputs[field] == UNKNOWN, field
    # a known but invalid input next to the unknowns is still reported, and only it
    bad = {**with_unknowns(registration.inputs(), case.preview_unknowns), "tenant_uuid": "not-a-uuid"}
    assert set(engine.check(registration.urn, {}, bad).failures) == {"tenant_uuid"}
    assert log.take() == []

    # an update in a preview: an unknown input is a change (a replacement if it names the object)
    state = engine.up(registration)
    log.mark()
    news = engine.check(state.urn, state.inputs, with_unknowns(registration.inputs(), case.preview_unknowns))
    assert news.failures == {}
    diffed = engine.diff(state.urn, state.id, state.inputs, state.outputs, news.inputs)
    assert diffed.changes == DIFF_SOME
    replacing = {"trunk_id", "endpoint_uuid", "outcall_id", "extension_id", "incall_id"}
    assert set(diffed.replaces) == replacing & set(case.preview_unknowns)
    assert log.take() == []
    engine.destroy(state)
