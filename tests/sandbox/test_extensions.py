"""Extensions (CONTRACT 6.10).

Transcript #15, #16, #19, #37, #38, #46-#54, #76, #97-#102, #118-#121, #141, #142, #162-#168.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    BAD_PATTERN,
    MISSING,
    NOT_STRING,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    context,
    input_error,
    link,
    new_extension,
    new_incall,
    new_outcall,
    not_found,
)

PATTERN_ERROR = f"exten: [{BAD_PATTERN!r}]"


def _outside(exten: str, ctx: str) -> str:
    return f"Input Error - Extension '{exten}' is outside of range for context '{ctx}'"


def test_create_transcript_15(acme: Api) -> None:
    """Transcript #15: `_418.` in the outcall context -> 201 + Location + the whole extension."""
    outcall = context(acme, "outcall")
    created = assert_created(
        acme.post("extensions", {"exten": "_418.", "context": outcall["name"]}), acme, "extensions"
    )
    assert created == {
        "id": created["id"],
        "tenant_uuid": ACME,
        "exten": "_418.",
        "context": outcall["name"],
        "commented": False,
        "enabled": True,
        "links": link(acme, "extensions", created["id"]),
        "conference": None,
        "parking_lot": None,
        "group": None,
        "incall": None,
        "lines": [],
        "outcall": None,
        "queue": None,
    }


def test_literal_without_underscore_transcript_16(acme: Api) -> None:
    """Transcript #16 / key finding 7: `418.` is accepted and stored literally."""
    assert new_extension(acme, "418.", "outcall")["exten"] == "418."


def test_required_fields_transcript_37_38(acme: Api) -> None:
    """Transcript #37/#38: exten and context are required, one message per field."""
    response = acme.post("extensions", {})
    assert response.status_code == 400
    assert response.json() == [input_error("exten", MISSING), input_error("context", MISSING)]
    assert_error(acme.post("extensions", {"exten": "_419."}), 400, input_error("context", MISSING))


@pytest.mark.parametrize(
    "exten",
    [
        "_418.",
        "418.",
        "_+XXXX",
        "+33123456789",
        "_0XXXXXXXXX",
        "_[1-5]XX!",
        "*21",
        "#1",
        "_NXXZxx-.",
        "",
        "15559990000",
    ],
)
def test_outcall_context_regex_accepts(acme: Api, exten: str) -> None:
    """CONTRACT 6.10: outcall regex `^_?\\+?[*#0-9_XxZzNn\\[\\].!-]*$` (empty string too, #47)."""
    assert new_extension(acme, exten, "outcall")["exten"] == exten


@pytest.mark.parametrize("exten", ["abc!", "41 8", "_1+111", "++1", "418a", "1_+2", "_418.;"])
def test_outcall_context_regex_rejects(acme: Api, exten: str) -> None:
    """Transcript #46/#48; CONTRACT 6.10: bad charset -> `exten: [...]` without the Input Error prefix."""
    assert_error(
        acme.post("extensions", {"exten": exten, "context": context(acme, "outcall")["name"]}),
        400,
        PATTERN_ERROR,
    )


@pytest.mark.parametrize("ctx_type", ["incall", "internal"])
@pytest.mark.parametrize("exten", ["5551234567", "_1555123XXXX", "*98", "#", "1" * 40, "_" + "X" * 39])
def test_other_contexts_regex_accepts(acme: Api, ctx_type: str, exten: str) -> None:
    """CONTRACT 6.10: non-outcall regex `^_[...]{1,39}$` or 1..40 of `[*#0-9]`."""
    assert new_extension(acme, exten, ctx_type)["exten"] == exten


@pytest.mark.parametrize("ctx_type", ["incall", "internal"])
@pytest.mark.parametrize("exten", ["+15551234567", "", "_", "555-1234", "_+1XXX", "1000a", "_" + "X" * 40])
def test_other_contexts_regex_rejects(acme: Api, ctx_type: str, exten: str) -> None:
    """CONTRACT 6.10, 12.18: no `+` in non-outcall contexts, no empty exten, pattern body 1..39."""
    response = acme.post("extensions", {"exten": exten, "context": context(acme, ctx_type)["name"]})
    if len(exten) > 40:
        assert_error(response, 400, input_error("exten", "Longer than maximum length 40."))
    else:
        assert_error(response, 400, PATTERN_ERROR)


def test_exten_too_long_transcript_49(acme: Api) -> None:
    """Transcript #49: 41 characters -> Longer than maximum length 40."""
    response = acme.post("extensions", {"exten": "1" * 41, "context": context(acme, "outcall")["name"]})
    assert_error(response, 400, input_error("exten", "Longer than maximum length 40."))


def test_exten_number_transcript_50(acme: Api) -> None:
    """Transcript #50: exten as a JSON number -> Not a valid string."""
    response = acme.post("extensions", {"exten": 4185551234, "context": context(acme, "outcall")["name"]})
    assert_error(response, 400, input_error("exten", NOT_STRING))


def test_empty_exten_transcript_47(acme: Api) -> None:
    """Transcript #47: `""` in an outcall context -> 201."""
    created = assert_created(
        acme.post("extensions", {"exten": "", "context": context(acme, "outcall")["name"]}),
        acme,
        "extensions",
    )
    assert created["exten"] == ""


def test_unknown_context_transcript_51(acme: Api) -> None:
    """Transcript #51."""
    assert_error(
        acme.post("extensions", {"exten": "_419.", "context": "no-such-context"}),
        400,
        "Input Error - field 'context': Context was not found ('context': 'no-such-context')",
    )


def test_label_instead_of_name_transcript_52(acme: Api) -> None:
    """Transcript #52: a context is referenced by name, not label."""
    assert_error(
        acme.post("extensions", {"exten": "_419.", "context": "Acme outcall"}),
        400,
        "Input Error - field 'context': Context was not found ('context': 'Acme outcall')",
    )


def test_other_tenant_context_transcript_76(acme: Api, other: Api) -> None:
    """Transcript #76: another tenant's context name is `Context was not found`."""
    theirs = context(acme, "outcall")["name"]
    assert_error(
        other.post("extensions", {"exten": "_419.", "context": theirs}),
        400,
        f"Input Error - field 'context': Context was not found ('context': '{theirs}')",
    )


def test_duplicate_transcript_53_54(acme: Api) -> None:
    """Transcript #53/#54: (exten, context) unique."""
    outcall = context(acme, "outcall")["name"]
    incall = context(acme, "incall")["name"]
    new_extension(acme, "_418.", "outcall")
    new_extension(acme, "15551234567", "incall")
    assert_error(
        acme.post("extensions", {"exten": "_418.", "context": outcall}),
        400,
        f"Resource Error - Extension already exists ('exten': '_418.', 'context': '{outcall}')",
    )
    assert_error(
        acme.post("extensions", {"exten": "15551234567", "context": incall}),
        400,
        f"Resource Error - Extension already exists ('exten': '15551234567', 'context': '{incall}')",
    )
    # same exten in another context is fine
    assert new_extension(acme, "15551234567", "outcall")["exten"] == "15551234567"


def test_duplicate_on_put(acme: Api) -> None:
    """CONTRACT 6.10 update: exten+context unique, excluding itself."""
    outcall = context(acme, "outcall")["name"]
    new_extension(acme, "_418.", "outcall")
    second = new_extension(acme, "_419.", "outcall")
    assert_error(
        acme.put(f"extensions/{second['id']}", {"exten": "_418."}),
        400,
        f"Resource Error - Extension already exists ('exten': '_418.', 'context': '{outcall}')",
    )
    acme.ok_put(f"extensions/{second['id']}", {"exten": "_419."})


def test_no_range_check_at_create_transcript_97_98_102(acme: Api) -> None:
    """Transcript #97/#98/#102, key finding 8: ranges are not checked at create."""
    assert new_extension(acme, "15559990000", "incall")["exten"] == "15559990000"
    assert new_extension(acme, "_1555123XXXX", "incall")["exten"] == "_1555123XXXX"
    assert new_extension(acme, "5000", "internal")["exten"] == "5000"


def test_tenant_is_context_tenant(master: Api, acme: Api) -> None:
    """CONTRACT 6.10: the extension's tenant is its context's tenant, not the header's."""
    created = master.create("extensions", {"exten": "_420.", "context": context(acme, "outcall")["name"]})
    assert created["tenant_uuid"] == ACME
    assert [e["id"] for e in acme.items("extensions")] == [created["id"]]


# -- update ---------------------------------------------------------------------------------------
def test_partial_put_transcript_118_119(acme: Api) -> None:
    """Transcript #118/#119: PUT exten only keeps context and the outcall relation."""
    ext = new_extension(acme, "418.", "outcall")
    outcall = new_outcall(acme, "acme-out")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    acme.ok_put(f"extensions/{ext['id']}", {"exten": "_419."})
    got = acme.ok_get(f"extensions/{ext['id']}")
    assert got["exten"] == "_419."
    assert got["context"] == ext["context"]
    assert got["outcall"] == {
        "id": outcall["id"],
        "name": "acme-out",
        "links": link(acme, "outcalls", outcall["id"]),
    }
    acme.ok_put(f"extensions/{ext['id']}", {"enabled": False})
    got = acme.ok_get(f"extensions/{ext['id']}")
    assert got["enabled"] is False
    assert got["exten"] == "_419."


def test_put_regex_of_new_context(acme: Api) -> None:
    """CONTRACT 6.10 update: the exten regex of the (new) context type applies."""
    ext = new_extension(acme, "+15551234567", "outcall")
    assert_error(
        acme.put(f"extensions/{ext['id']}", {"context": context(acme, "incall")["name"]}), 400, PATTERN_ERROR
    )
    acme.ok_put(
        f"extensions/{ext['id']}", {"exten": "15551234567", "context": context(acme, "incall")["name"]}
    )


def test_put_unknown_context(acme: Api) -> None:
    """CONTRACT 6.10 update: the context must exist in the visible tenants."""
    ext = new_extension(acme, "_418.", "outcall")
    assert_error(
        acme.put(f"extensions/{ext['id']}", {"context": "nope"}),
        400,
        "Input Error - field 'context': Context was not found ('context': 'nope')",
    )


def test_put_context_of_other_tenant(master: Api, acme: Api, other: Api) -> None:
    """CONTRACT 6.10 update: old and new context in the same tenant (`different tenants`)."""
    ext = new_extension(acme, "_418.", "outcall")
    theirs = context(other, "outcall")["name"]
    assert_error_startswith(
        master.put(f"extensions/{ext['id']}", {"context": theirs}),
        400,
        "Resource Error - different tenants (",
    )
    assert acme.ok_get(f"extensions/{ext['id']}")["context"] == ext["context"]


def test_context_type_on_put_transcript_120(acme: Api) -> None:
    """Transcript #120: an incall-attached extension cannot move to an outcall context."""
    ext = new_extension(acme, "5551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    assert_error(
        acme.put(f"extensions/{ext['id']}", {"context": context(acme, "outcall")["name"]}),
        400,
        "Resource Error - ContextType 'outcall' cannot be associated",
    )
    assert_error_startswith(
        acme.put(f"extensions/{ext['id']}", {"context": context(acme, "internal")["name"]}),
        400,
        "Resource Error - ContextType 'internal' cannot be associated",
    )


def test_context_type_on_put_outcall_attached(acme: Api) -> None:
    """CONTRACT 6.10: an outcall-attached extension must stay in an outcall-type context."""
    ext = new_extension(acme, "5551234567", "outcall")
    outcall = new_outcall(acme, "o")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    assert_error_startswith(
        acme.put(f"extensions/{ext['id']}", {"context": context(acme, "incall")["name"]}),
        400,
        "Resource Error - ContextType 'incall' cannot be associated",
    )


def test_range_checked_on_put_of_attached_transcript_101(acme: Api) -> None:
    """Transcript #100/#101, key finding 8: association is not range-checked; a later PUT is."""
    incall_ctx = context(acme, "incall")["name"]
    ext = new_extension(acme, "15559990000", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    assert_error(
        acme.put(f"extensions/{ext['id']}", {"enabled": True}), 400, _outside("15559990000", incall_ctx)
    )
    assert acme.ok_get(f"extensions/{ext['id']}")["enabled"] is True


def test_range_check_uses_last_did_length_digits_transcript_121(acme: Api) -> None:
    """Transcript #121; CONTRACT 6.10: with did_length N the exten is compared to the last N digits
    of the bounds (acme: 15551230000-15551239999, did_length 10 -> 5551230000..5551239999)."""
    incall_ctx = context(acme, "incall")["name"]
    ten = new_extension(acme, "5551234567", "incall")
    eleven = new_extension(acme, "15551234567", "incall")
    for ext in (ten, eleven):
        acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{ext['id']}")
    acme.ok_put(f"extensions/{ten['id']}", {"enabled": False})
    acme.ok_put(f"extensions/{ten['id']}", {"exten": "5551239999"})
    assert_error(
        acme.put(f"extensions/{ten['id']}", {"exten": "5551240000"}), 400, _outside("5551240000", incall_ctx)
    )
    assert_error(
        acme.put(f"extensions/{ten['id']}", {"exten": "15551234568"}),
        400,
        _outside("15551234568", incall_ctx),
    )
    # the whole bound matches but the exten is compared to the last 10 digits: outside
    assert_error(
        acme.put(f"extensions/{eleven['id']}", {"enabled": False}), 400, _outside("15551234567", incall_ctx)
    )
    assert acme.ok_get(f"extensions/{ten['id']}")["exten"] == "5551239999"


def test_range_check_did_length_zero_uses_whole_bounds(acme: Api) -> None:
    """CONTRACT 6.10: did_length 0 -> compare with the whole bounds."""
    ctx = acme.create(
        "contexts",
        {
            "label": "whole",
            "type": "incall",
            "incall_ranges": [{"start": "15551230000", "end": "15551239999"}],
        },
    )
    ext = acme.create("extensions", {"exten": "15551234567", "context": ctx["name"]})
    acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{ext['id']}")
    acme.ok_put(f"extensions/{ext['id']}", {"enabled": False})
    assert_error(
        acme.put(f"extensions/{ext['id']}", {"exten": "5551234567"}), 400, _outside("5551234567", ctx["name"])
    )


def test_range_not_checked_when_unattached_or_pattern(acme: Api) -> None:
    """CONTRACT 6.10: only incall-attached non-pattern extens are range-checked."""
    loose = new_extension(acme, "15559990000", "incall")
    acme.ok_put(f"extensions/{loose['id']}", {"exten": "15559990001"})
    pattern = new_extension(acme, "_1555999XXXX", "incall")
    acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{pattern['id']}")
    acme.ok_put(f"extensions/{pattern['id']}", {"enabled": False})
    outcall_ext = new_extension(acme, "99999", "outcall")
    acme.ok_put(f"outcalls/{new_outcall(acme, 'o')['id']}/extensions/{outcall_ext['id']}", {})
    acme.ok_put(f"extensions/{outcall_ext['id']}", {"exten": "88888"})


# -- delete ---------------------------------------------------------------------------------------
def test_delete_unattached(acme: Api) -> None:
    """CONTRACT 6.10: DELETE -> 204, then 404."""
    ext = new_extension(acme, "_418.", "outcall")
    acme.ok_delete(f"extensions/{ext['id']}")
    assert_error(acme.get(f"extensions/{ext['id']}"), 404, not_found("Extension", f"'id': {ext['id']}"))


def test_delete_refused_while_attached_to_incall_transcript_141(acme: Api) -> None:
    """Transcript #141: 400 Extension is associated with a incall (associated_id = incall id as a string)."""
    ext = new_extension(acme, "5551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    assert_error(
        acme.delete(f"extensions/{ext['id']}"),
        400,
        f"Resource Error - Extension is associated with a incall ('extension_id': {ext['id']}, "
        f"'associated_id': '{incall['id']}')",
    )
    assert acme.ok_get(f"extensions/{ext['id']}")["incall"]["id"] == incall["id"]


def test_delete_refused_while_attached_to_outcall_transcript_142(acme: Api) -> None:
    """Transcript #142: 400 Extension is associated with a outcall (associated_id is a dial-pattern id)."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    assert_error_startswith(
        acme.delete(f"extensions/{ext['id']}"),
        400,
        f"Resource Error - Extension is associated with a outcall ('extension_id': {ext['id']}, "
        "'associated_id': ",
    )
    acme.ok_delete(f"outcalls/{outcall['id']}/extensions/{ext['id']}")
    acme.ok_delete(f"extensions/{ext['id']}")


def test_unknown_extension_404(acme: Api) -> None:
    """CONTRACT 5 not found."""
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": {}} if method == "PUT" else {}
        assert_error(
            acme.request(method, "extensions/999999", **kwargs), 404, not_found("Extension", "'id': 999999")
        )


# -- list ------------------------------------------------------------------------------------------
def _seed_flow_extensions(acme: Api) -> dict[str, dict[str, Any]]:
    made = {
        "_418.": new_extension(acme, "_418.", "outcall"),
        "418.": new_extension(acme, "418.", "outcall"),
        "15551234567": new_extension(acme, "15551234567", "incall"),
        "_1555123XXXX": new_extension(acme, "_1555123XXXX", "incall"),
        "1000": new_extension(acme, "1000", "internal"),
    }
    acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{made['15551234567']['id']}")
    return made


def test_type_filter_is_context_type_transcript_164(acme: Api) -> None:
    """Transcript #164; CONTRACT 6.10, 12.16: `type` filters on the context's type, not the attachment."""
    made = _seed_flow_extensions(acme)
    incall = assert_list(acme.get("extensions", params={"type": "incall"}), 2)
    assert [e["exten"] for e in incall] == ["15551234567", "_1555123XXXX"]
    assert incall[0]["incall"] is not None
    assert incall[1]["incall"] is None
    assert [e["exten"] for e in assert_list(acme.get("extensions", params={"type": "outcall"}), 2)] == [
        "418.",
        "_418.",
    ]
    assert [e["id"] for e in assert_list(acme.get("extensions", params={"type": "internal"}), 1)] == [
        made["1000"]["id"]
    ]


def test_default_order_exten_string_and_filters(acme: Api) -> None:
    """Transcript #36/#162/#163/#165/#168: default order `exten` as strings; search; exact filters."""
    _seed_flow_extensions(acme)
    assert [e["exten"] for e in assert_list(acme.get("extensions"), 5)] == [
        "1000",
        "15551234567",
        "418.",
        "_1555123XXXX",
        "_418.",
    ]
    assert [e["exten"] for e in assert_list(acme.get("extensions", params={"search": "418"}), 2)] == [
        "418.",
        "_418.",
    ]
    assert [e["exten"] for e in assert_list(acme.get("extensions", params={"exten": "_418."}), 1)] == [
        "_418."
    ]
    outcall_ctx = context(acme, "outcall")["name"]
    assert [e["exten"] for e in assert_list(acme.get("extensions", params={"context": outcall_ctx}), 2)] == [
        "418.",
        "_418.",
    ]
    desc = assert_list(acme.get("extensions", params={"order": "exten", "direction": "desc", "limit": 3}), 5)
    assert [e["exten"] for e in desc] == ["_418.", "_1555123XXXX", "418."]
    both = {"exten": "15551234567", "context": context(acme, "incall")["name"], "type": "incall"}
    assert_list(acme.get("extensions", params=both), 1)


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("true", True), (0, False), (1, True)])
def test_enabled_is_a_plain_boolean(acme: Api, value: Any, expected: bool) -> None:
    """CONTRACT 6.10 (`enabled` boolean, not strict), 4.2: plain booleans accept truthy/falsy strings."""
    body = {"exten": "_418.", "context": context(acme, "outcall")["name"], "enabled": value}
    assert acme.create("extensions", body)["enabled"] is expected


def test_enabled_rejects_non_boolean(acme: Api) -> None:
    """CONTRACT 4.2: a value that is no boolean at all -> Not a valid boolean."""
    body = {"exten": "_418.", "context": context(acme, "outcall")["name"], "enabled": "maybe"}
    assert_error(acme.post("extensions", body), 400, input_error("enabled", "Not a valid boolean."))
