"""Contexts (CONTRACT 6.2; transcript #1-#8, #41, #143, #180, #181, #185)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    ACME_INCALL_RANGE,
    BARE,
    MISSING,
    NOT_BOOLEAN,
    NOT_NULL,
    OTHER,
    OTHER_INCALL_RANGE,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    check_bogus_field_returns_error,
    context,
    input_error,
    link,
    new_extension,
    new_trunk,
    not_found,
)

CONTEXT_KEYS = {
    "id",
    "uuid",
    "name",
    "label",
    "type",
    "user_ranges",
    "group_ranges",
    "queue_ranges",
    "conference_room_ranges",
    "incall_ranges",
    "description",
    "enabled",
    "tenant_uuid",
    "links",
    "contexts",
}


# -- seeded contexts ----------------------------------------------------------------------------
def test_seeded_contexts_of_acme(acme: Api) -> None:
    """CONTRACT 6.2, 11.1 (sandbox seeds them): ctx-<slug>-<type>-<uuid>, labels, ranges, include."""
    items = assert_list(acme.get("contexts"), 3)
    by_type = {item["type"]: item for item in items}
    assert set(by_type) == {"internal", "incall", "outcall"}
    for ctx_type, item in by_type.items():
        assert set(item) == CONTEXT_KEYS
        assert item["name"] == f"ctx-acme-{ctx_type}-{item['uuid']}"
        assert item["label"] == f"Acme {ctx_type}"
        assert item["tenant_uuid"] == ACME
        assert item["enabled"] is True
        assert item["links"] == link(acme, "contexts", item["id"])
    internal = by_type["internal"]
    assert internal["user_ranges"] == [{"start": "1000", "end": "1999"}]
    assert internal["group_ranges"] == [{"start": "2000", "end": "2999"}]
    assert internal["queue_ranges"] == [{"start": "3000", "end": "3999"}]
    assert internal["conference_room_ranges"] == [{"start": "4000", "end": "4999"}]
    outcall = by_type["outcall"]
    assert internal["contexts"] == [
        {
            "id": outcall["id"],
            "name": outcall["name"],
            "label": outcall["label"],
            "links": link(acme, "contexts", outcall["id"]),
        }
    ]
    assert by_type["incall"]["incall_ranges"] == [ACME_INCALL_RANGE]
    for ranges in ("user_ranges", "group_ranges", "queue_ranges", "conference_room_ranges", "incall_ranges"):
        assert outcall[ranges] == []


def test_seeded_contexts_of_other(other: Api) -> None:
    """docs/architecture.md seed: other's incall range 33140000000-33149999999, did_length 9."""
    assert context(other, "incall")["incall_ranges"] == [OTHER_INCALL_RANGE]
    assert context(other, "incall")["name"].startswith("ctx-other-incall-")


def test_bare_tenant_has_no_context(bare: Api) -> None:
    """CONTRACT 6.2; transcript #1: confd creates no contexts for a tenant."""
    assert assert_list(bare.get("contexts"), 0) == []


@pytest.mark.parametrize("ctx_type", ["internal", "incall", "outcall"])
def test_type_filter(acme: Api, ctx_type: str) -> None:
    """CONTRACT 6.2; transcript #7/#8: `?type=` finds the tenant's context of that type."""
    items = assert_list(acme.get("contexts", params={"type": ctx_type}), 1)
    assert items[0]["type"] == ctx_type


def test_label_filter_and_search(acme: Api) -> None:
    """Transcript #180/#181: `label` is exact, `search` is a case-insensitive substring."""
    items = assert_list(acme.get("contexts", params={"label": "Acme outcall"}), 1)
    assert items[0]["type"] == "outcall"
    assert_list(acme.get("contexts", params={"label": "Acme"}), 0)
    items = assert_list(acme.get("contexts", params={"search": "INCALL"}), 1)
    assert items[0]["type"] == "incall"


# -- create ----------------------------------------------------------------------------------------
def test_create_generates_name(bare: Api) -> None:
    """CONTRACT 6.2; transcript #2-#4: 201 + Location; name = ctx-<slug>-<type>-<uuid>."""
    body = {
        "label": "Bare incall",
        "type": "incall",
        "incall_ranges": [{"start": "4185550000", "end": "4185559999", "did_length": 4}],
    }
    created = assert_created(bare.post("contexts", body), bare, "contexts")
    assert set(created) == CONTEXT_KEYS
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", created["uuid"])
    assert created["name"] == f"ctx-bare-incall-{created['uuid']}"
    assert created["tenant_uuid"] == BARE
    assert created["incall_ranges"] == [{"start": "4185550000", "end": "4185559999", "did_length": 4}]
    assert created["user_ranges"] == []
    assert created["description"] is None
    assert created["enabled"] is True
    assert created["contexts"] == []


def test_create_defaults(bare: Api) -> None:
    """CONTRACT 6.2: type defaults to internal; `end` defaults to `start`; did_length to 0."""
    created = bare.create(
        "contexts",
        {
            "label": "Bare",
            "user_ranges": [{"start": "100"}],
            "incall_ranges": [{"start": "5551000", "end": "5551999"}],
        },
    )
    assert created["type"] == "internal"
    assert created["name"] == f"ctx-bare-internal-{created['uuid']}"
    assert created["user_ranges"] == [{"start": "100", "end": "100"}]
    assert created["incall_ranges"] == [{"start": "5551000", "end": "5551999", "did_length": 0}]


def test_create_name_is_not_taken_from_body(bare: Api) -> None:
    """CONTRACT 6.2: `name` is generated; without `label`, a `name` is used as the label."""
    created = bare.create("contexts", {"name": "my-own-name", "type": "outcall"})
    assert created["label"] == "my-own-name"
    assert created["name"] == f"ctx-bare-outcall-{created['uuid']}"
    created = bare.create("contexts", {"label": "L", "name": "ignored", "type": "outcall"})
    assert created["label"] == "L"
    assert created["name"] == f"ctx-bare-outcall-{created['uuid']}"


def test_create_read_only_fields_dropped(bare: Api) -> None:
    """CONTRACT 4.2: read-only keys (`uuid`, `tenant_uuid`, `id`) are ignored."""
    created = bare.create(
        "contexts",
        {"label": "RO", "id": 999, "uuid": "00000000-0000-4000-8000-000000000000", "tenant_uuid": ACME},
    )
    assert created["id"] != 999
    assert created["uuid"] != "00000000-0000-4000-8000-000000000000"
    assert created["tenant_uuid"] == BARE


def test_create_label_required(bare: Api) -> None:
    """Transcript #41: context needs `label`."""
    assert_error(bare.post("contexts", {}), 400, input_error("label", MISSING))
    assert_error(bare.post("contexts", {"type": "incall"}), 400, input_error("label", MISSING))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("label", None, NOT_NULL),
        ("label", "", None),
        ("label", "x" * 129, None),
        ("label", 12, "Not a valid string."),
        ("type", "bogus", "Must be one of: internal, incall, outcall, services, others."),
        ("enabled", "yes", NOT_BOOLEAN),
        ("enabled", 1, NOT_BOOLEAN),
        ("user_ranges", "1000-1999", None),
        ("incall_ranges", [{"start": "100", "did_length": -1}], None),
    ],
)
def test_create_field_errors(bare: Api, field: str, value: Any, message: str | None) -> None:
    """CONTRACT 6.2 field table, 4.2 strict booleans, 5 error format."""
    check_bogus_field_returns_error(bare, "POST", "contexts", field, value, message, {"label": "L"})


@pytest.mark.parametrize(
    "ranges", ["user_ranges", "group_ranges", "queue_ranges", "conference_room_ranges", "incall_ranges"]
)
@pytest.mark.parametrize(
    ("value", "contains"),
    [
        ([{"end": "1999"}], MISSING),
        ([{"start": "12a4"}], ""),
        ([{"start": "1000", "end": "19x9"}], ""),
        ([{"start": "+1000"}], ""),
        ([{"start": "1" * 17}], ""),
        ([{"start": "1000", "end": "199"}], "Start and end must be of the same length"),
        ([{"start": "2000", "end": "1999"}], "Start of range must be lower than or equal to the end"),
        ([{"start": 1000}], ""),
    ],
    ids=["no-start", "start-not-digits", "end-not-digits", "plus", "too-long", "lengths", "order", "int"],
)
def test_range_rules(bare: Api, ranges: str, value: Any, contains: str) -> None:
    """CONTRACT 6.2 range rules: digits, <= 16, same length, start <= end."""
    check_bogus_field_returns_error(
        bare, "POST", "contexts", ranges, value, None, {"label": "L"}, contains=[contains]
    )
    assert bare.items("contexts") == []


def test_range_edge_values_accepted(bare: Api) -> None:
    """CONTRACT 6.2: 16 digits allowed; start == end allowed; several ranges kept in order."""
    created = bare.create(
        "contexts",
        {
            "label": "L",
            "user_ranges": [{"start": "1" * 16, "end": "1" * 16}, {"start": "0100", "end": "0199"}],
        },
    )
    assert created["user_ranges"] == [{"start": "1" * 16, "end": "1" * 16}, {"start": "0100", "end": "0199"}]


# -- get / update / delete -------------------------------------------------------------------------
def test_get_unknown_is_404(acme: Api) -> None:
    """CONTRACT 5 not found format."""
    assert_error(acme.get("contexts/999999"), 404, not_found("Context", "'id': 999999"))


def test_update_is_partial_and_replaces_lists(acme: Api) -> None:
    """CONTRACT 4.2, 6.2: PUT keeps omitted fields, a provided range list replaces the whole list."""
    incall = context(acme, "incall")
    acme.ok_put(f"contexts/{incall['id']}", {"label": "Renamed", "description": "d"})
    got = acme.ok_get(f"contexts/{incall['id']}")
    assert got["label"] == "Renamed"
    assert got["description"] == "d"
    assert got["incall_ranges"] == [ACME_INCALL_RANGE]
    assert got["name"] == incall["name"]
    acme.ok_put(f"contexts/{incall['id']}", {"incall_ranges": [{"start": "5550000", "end": "5559999"}]})
    got = acme.ok_get(f"contexts/{incall['id']}")
    assert got["incall_ranges"] == [{"start": "5550000", "end": "5559999", "did_length": 0}]
    assert got["label"] == "Renamed"
    acme.ok_put(f"contexts/{incall['id']}", {})
    assert acme.ok_get(f"contexts/{incall['id']}") == got


def test_update_type_keeps_name(acme: Api) -> None:
    """CONTRACT 6.2: `type` may be changed by PUT; the generated name stays."""
    created = acme.create("contexts", {"label": "T", "type": "internal"})
    acme.ok_put(f"contexts/{created['id']}", {"type": "services", "name": "ignored"})
    got = acme.ok_get(f"contexts/{created['id']}")
    assert got["type"] == "services"
    assert got["name"] == created["name"]


def test_update_errors(acme: Api) -> None:
    """CONTRACT 6.2 rules apply on PUT too; 404 for an unknown id."""
    incall = context(acme, "incall")
    check_bogus_field_returns_error(acme, "PUT", f"contexts/{incall['id']}", "label", None, NOT_NULL)
    check_bogus_field_returns_error(
        acme,
        "PUT",
        f"contexts/{incall['id']}",
        "incall_ranges",
        [{"start": "2", "end": "1"}],
        None,
        contains=["Start of range must be lower than or equal to the end"],
    )
    assert acme.ok_get(f"contexts/{incall['id']}")["incall_ranges"] == [ACME_INCALL_RANGE]
    assert_error(acme.put("contexts/999999", {"label": "x"}), 404, not_found("Context", "'id': 999999"))


def test_other_tenant_context_is_404(acme: Api, other: Api) -> None:
    """CONTRACT 3: an object of another tenant -> 404 on GET, PUT, DELETE."""
    theirs = context(other, "outcall")
    assert_error(acme.get(f"contexts/{theirs['id']}"), 404, not_found("Context", f"'id': {theirs['id']}"))
    assert_error(
        acme.put(f"contexts/{theirs['id']}", {"label": "x"}),
        404,
        not_found("Context", f"'id': {theirs['id']}"),
    )
    assert_error(acme.delete(f"contexts/{theirs['id']}"), 404, not_found("Context", f"'id': {theirs['id']}"))


def test_delete_unused_context(bare: Api) -> None:
    """CONTRACT 4.1: DELETE -> 204; then 404."""
    created = bare.create("contexts", {"label": "gone"})
    bare.ok_delete(f"contexts/{created['id']}")
    assert_error(bare.get(f"contexts/{created['id']}"), 404, not_found("Context", f"'id': {created['id']}"))


def test_delete_refused_while_extension_uses_it(acme: Api) -> None:
    """CONTRACT 6.2 delete refusal; transcript #143."""
    incall = context(acme, "incall")
    seeded_ext = new_extension(acme, "5551230001", "incall")
    trunkless = acme.create("contexts", {"label": "with ext", "type": "incall"})
    extension = acme.create("extensions", {"exten": "5551234567", "context": trunkless["name"]})
    assert_error(
        acme.delete(f"contexts/{trunkless['id']}"),
        400,
        f"Resource Error - Context is associated with a Extension ('context_id': {trunkless['id']}, "
        f"'extension_id': {extension['id']})",
    )
    assert acme.ok_get(f"contexts/{trunkless['id']}")["name"] == trunkless["name"]
    assert_error(
        acme.delete(f"contexts/{incall['id']}"),
        400,
        f"Resource Error - Context is associated with a Extension ('context_id': {incall['id']}, "
        f"'extension_id': {seeded_ext['id']})",
    )


def test_delete_refused_while_trunk_uses_it(acme: Api) -> None:
    """CONTRACT 6.2: a context referenced by `trunk.context` cannot be deleted."""
    created = acme.create("contexts", {"label": "trunk ctx", "type": "incall"})
    trunk = new_trunk(acme, None, context=created["name"])
    assert_error_startswith(
        acme.delete(f"contexts/{created['id']}"), 400, "Resource Error - Context is associated with a Trunk ("
    )
    acme.ok_delete(f"trunks/{trunk['id']}")
    acme.ok_delete(f"contexts/{created['id']}")


# -- includes ----------------------------------------------------------------------------------------
def test_includes_replaced_wholesale(acme: Api) -> None:
    """CONTRACT 6.2; transcript #5/#6: PUT /contexts/{id}/contexts replaces the include list."""
    internal = context(acme, "internal")
    outcall = context(acme, "outcall")
    extra = acme.create("contexts", {"label": "Extra", "type": "outcall"})
    acme.ok_put(
        f"contexts/{internal['id']}/contexts", {"contexts": [{"id": extra["id"]}, {"id": outcall["id"]}]}
    )
    got = acme.ok_get(f"contexts/{internal['id']}")
    assert [item["id"] for item in got["contexts"]] == [extra["id"], outcall["id"]]
    assert got["contexts"][0] == {
        "id": extra["id"],
        "name": extra["name"],
        "label": "Extra",
        "links": link(acme, "contexts", extra["id"]),
    }
    acme.ok_put(f"contexts/{internal['id']}/contexts", {"contexts": []})
    assert acme.ok_get(f"contexts/{internal['id']}")["contexts"] == []


def test_includes_errors(acme: Api, other: Api) -> None:
    """CONTRACT 6.2/5: unknown context id in the body -> 400 not found; unknown context in URL -> 404."""
    internal = context(acme, "internal")
    assert_error_startswith(
        acme.put(f"contexts/{internal['id']}/contexts", {"contexts": [{"id": 999999}]}),
        400,
        "Input Error - field 'contexts': ",
        "Context was not found",
    )
    assert_error(
        acme.put("contexts/999999/contexts", {"contexts": []}), 404, not_found("Context", "'id': 999999")
    )
    assert_error_startswith(
        acme.put(f"contexts/{internal['id']}/contexts", {}), 400, "Input Error - contexts: ", MISSING
    )
    assert len(acme.ok_get(f"contexts/{internal['id']}")["contexts"]) == 1
    assert other.items("contexts", params={"type": "internal"})[0]["contexts"] != []


def test_recurse_lists_sub_tenants(master: Api) -> None:
    """CONTRACT 3; transcript #185: master + recurse=true sees every sub-tenant's contexts."""
    assert_list(master.get("contexts"), 0)
    items = assert_list(master.get("contexts", params={"recurse": "true"}), 6)
    assert {item["tenant_uuid"] for item in items} == {ACME, OTHER}


# -- ranges listing ----------------------------------------------------------------------------------
def test_incall_ranges_listing_uses_last_did_length_digits(acme: Api) -> None:
    """CONTRACT 6.2: /ranges/incall lists the last `did_length` digits of the bounds; `available`
    (the default) removes numbers used by extensions of the context and splits the range."""
    incall = context(acme, "incall")
    path = f"contexts/{incall['id']}/ranges/incall"
    whole = [{"start": "5551230000", "end": "5551239999"}]
    assert assert_list(acme.get(path, params={"availability": "all"}), 1) == whole
    assert assert_list(acme.get(path), 1) == whole
    new_extension(acme, "5551234567", "incall")
    split = [{"start": "5551230000", "end": "5551234566"}, {"start": "5551234568", "end": "5551239999"}]
    assert assert_list(acme.get(path), 2) == split
    assert assert_list(acme.get(path, params={"availability": "available"}), 2) == split
    assert assert_list(acme.get(path, params={"availability": "all"}), 1) == whole


def test_user_ranges_listing(acme: Api) -> None:
    """CONTRACT 6.2: /ranges/user lists the user ranges (whole bounds)."""
    internal = context(acme, "internal")
    items = assert_list(acme.get(f"contexts/{internal['id']}/ranges/user", params={"availability": "all"}), 1)
    assert items == [{"start": "1000", "end": "1999"}]
