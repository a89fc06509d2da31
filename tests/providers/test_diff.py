"""diff: offline, normalized, order-insensitive where confd keeps no order, replace only if needed."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from tests.providers.support import ACME, PROVIDERS, VALID

OTHER_TENANT = "22222222-2222-4222-8222-222222222222"


def state_after_create(resource: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the state holds after create: the checked inputs plus the server's fields."""
    checked = PROVIDERS[resource]().check({}, VALID[resource]).inputs
    return {**checked, **(extra or {}), "__provider": "x"}


def diff(resource: str, olds: dict[str, Any], news: dict[str, Any]):
    return PROVIDERS[resource]().diff("1", olds, {**news, "__provider": "x"})


@pytest.mark.parametrize("resource", sorted(VALID))
def test_unchanged_inputs_give_no_diff(resource):
    result = diff(resource, state_after_create(resource, {"server_field": 7}), VALID[resource])
    assert result.changes is False
    assert result.replaces == []


def test_sip_section_order_does_not_matter():
    news = dict(VALID["endpoint_sip"])
    news["registration_section_options"] = list(reversed(news["registration_section_options"]))
    news["aor_section_options"] = list(reversed(news["aor_section_options"]))
    assert diff("endpoint_sip", state_after_create("endpoint_sip"), news).changes is False


def test_template_order_is_priority():
    news = dict(VALID["endpoint_sip"])
    news["templates"] = list(reversed(news["templates"]))
    result = diff("endpoint_sip", state_after_create("endpoint_sip"), news)
    assert result.changes is True
    assert result.replaces == []


def test_outcall_trunk_order_is_priority():
    news = {**VALID["outcall_trunk"], "trunk_ids": [2, 1]}
    result = diff("outcall_trunk", state_after_create("outcall_trunk"), news)
    assert result.changes is True
    assert result.replaces == []


@pytest.mark.parametrize(
    ("resource", "delete_first"),
    [
        ("context", False),
        ("trunk", False),
        ("incall", False),
        ("endpoint_sip", True),
        ("outcall", True),
        ("extension", True),
    ],
)
def test_tenant_change_replaces(resource, delete_first):
    result = diff(resource, state_after_create(resource), {**VALID[resource], "tenant_uuid": OTHER_TENANT})
    assert result.replaces == ["tenant_uuid"]
    assert result.delete_before_replace is delete_first


@pytest.mark.parametrize(
    ("resource", "field", "value"),
    [
        ("trunk_endpoint", "trunk_id", 9),
        ("trunk_endpoint", "endpoint_uuid", "0e0e0e0e-0000-4000-8000-000000000009"),
        ("outcall_trunk", "outcall_id", 9),
        ("outcall_extension", "extension_id", 9),
        ("outcall_extension", "outcall_id", 9),
        ("incall_extension", "incall_id", 9),
        ("incall_extension", "extension_id", 9),
    ],
)
def test_association_keys_replace_deleting_first(resource, field, value):
    result = diff(resource, state_after_create(resource), {**VALID[resource], field: value})
    assert result.replaces == [field]
    assert result.delete_before_replace is True


@pytest.mark.parametrize(
    ("resource", "field", "value"),
    [
        ("endpoint_sip", "name", "renamed"),
        ("outcall", "name", "renamed"),
        ("extension", "exten", "_419."),
        ("trunk", "context", "ctx-acme-outcall-c0c00001-0000-4000-8000-000000000003"),
        ("incall", "destination", {"type": "none"}),
        ("outcall_extension", "strip_digits", 3),
        ("context", "type", "internal"),
    ],
)
def test_fields_confd_updates_in_place_do_not_replace(resource, field, value):
    result = diff(resource, state_after_create(resource), {**VALID[resource], field: value})
    assert result.changes is True
    assert result.replaces == []


def test_unknown_value_is_a_change_and_a_replacement_if_the_field_forces_one():
    result = diff(
        "trunk_endpoint",
        state_after_create("trunk_endpoint"),
        {**VALID["trunk_endpoint"], "trunk_id": Unknown()},
    )
    assert result.changes is True
    assert result.replaces == ["trunk_id"]
    result = diff("trunk", state_after_create("trunk"), {**VALID["trunk"], "context": Unknown()})
    assert result.changes is True
    assert result.replaces == []


def test_adopt_is_not_a_change():
    result = diff("outcall", state_after_create("outcall"), {**VALID["outcall"], "adopt": True})
    assert result.changes is False


def test_server_normalizations_are_not_changes():
    # confd reads ring_time 0 back as null, user ring_time as a float, range end as start
    assert (
        diff(
            "outcall",
            state_after_create("outcall", {"ring_time": None}),
            {**VALID["outcall"], "ring_time": 0},
        ).changes
        is False
    )
    olds = state_after_create("incall")
    olds["destination"] = {
        "type": "user",
        "user_id": 1,
        "ring_time": 25.0,
        "moh_uuid": None,
        "user_firstname": "Alice",
    }
    news = {**VALID["incall"], "destination": {"type": "user", "user_id": 1, "ring_time": 25}}
    assert diff("incall", olds, news).changes is False
    olds = state_after_create("context")
    olds["user_ranges"] = [{"start": "1000", "end": "1000"}]
    assert diff("context", olds, {**VALID["context"], "user_ranges": [{"start": "1000"}]}).changes is False


def test_missing_optional_inputs_equal_their_defaults():
    olds = state_after_create("trunk")
    news = {"tenant_uuid": ACME, "context": VALID["trunk"]["context"]}
    assert diff("trunk", olds, news).changes is False
