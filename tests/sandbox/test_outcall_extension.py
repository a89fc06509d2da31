"""Outcall <-> extension, the dial patterns (CONTRACT 6.11; transcript #17, #25, #84, #93, #94, #105)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox._helpers import (
    BAD_PATTERN,
    NO_BODY_MESSAGE,
    NOT_NULL,
    Api,
    assert_error,
    assert_error_startswith,
    assert_no_content,
    check_missing_body_returns_error,
    input_error,
    link,
    new_extension,
    new_incall,
    new_outcall,
    not_found,
)


def _pattern(acme: Api, outcall_id: int, extension_id: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        e for e in acme.ok_get(f"outcalls/{outcall_id}")["extensions"] if e["id"] == extension_id
    ]
    assert len(items) == 1, items
    return items[0]


def test_associate_with_dial_pattern_fields(acme: Api) -> None:
    """Transcript #17/#25; CONTRACT 6.11: 204; GET outcall shows the merged dial pattern."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "acme-out")
    body = {"strip_digits": 1, "prefix": "9", "external_prefix": "+1", "caller_id": "+15551230000"}
    assert_no_content(acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", body))
    assert acme.ok_get(f"outcalls/{outcall['id']}")["extensions"] == [
        {
            "id": ext["id"],
            "exten": "_418.",
            "context": ext["context"],
            "links": link(acme, "extensions", ext["id"]),
            "strip_digits": 1,
            "prefix": "9",
            "external_prefix": "+1",
            "caller_id": "+15551230000",
        }
    ]
    assert acme.ok_get(f"extensions/{ext['id']}")["outcall"] == {
        "id": outcall["id"],
        "name": "acme-out",
        "links": link(acme, "outcalls", outcall["id"]),
    }


def test_body_required(acme: Api) -> None:
    """CONTRACT 6.11, 9.4: a missing body is 400 with the werkzeug text."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    check_missing_body_returns_error(acme, "PUT", f"outcalls/{outcall['id']}/extensions/{ext['id']}")
    assert acme.ok_get(f"extensions/{ext['id']}")["outcall"] is None


def test_invalid_json_body(acme: Api) -> None:
    """CONTRACT 1: an unparsable body is 400 with the werkzeug text."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    response = acme.request(
        "PUT",
        f"outcalls/{outcall['id']}/extensions/{ext['id']}",
        content=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, NO_BODY_MESSAGE)


def test_empty_body_stores_nulls_transcript_94_105(acme: Api) -> None:
    """Transcript #94/#105: `{}` (or unknown keys only) -> 204; omitted attributes read null."""
    ext = new_extension(acme, "418.", "outcall")
    outcall = new_outcall(acme, "o")
    assert_no_content(acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {"foo": 1}))
    pattern = _pattern(acme, outcall["id"], ext["id"])
    assert (pattern["strip_digits"], pattern["prefix"], pattern["external_prefix"], pattern["caller_id"]) == (
        None,
    ) * 4


def test_re_put_is_partial_update(acme: Api) -> None:
    """CONTRACT 6.11, 12.11: re-PUT on an attached extension updates only the given fields."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    path = f"outcalls/{outcall['id']}/extensions/{ext['id']}"
    acme.ok_put(path, {"strip_digits": 1, "prefix": "9"})
    acme.ok_put(path, {"caller_id": "+15551230000"})
    pattern = _pattern(acme, outcall["id"], ext["id"])
    assert (pattern["strip_digits"], pattern["prefix"], pattern["caller_id"]) == (1, "9", "+15551230000")
    acme.ok_put(path, {"strip_digits": 0, "prefix": None})
    pattern = _pattern(acme, outcall["id"], ext["id"])
    assert (pattern["strip_digits"], pattern["prefix"], pattern["caller_id"]) == (0, None, "+15551230000")
    acme.ok_put(path, {})
    assert _pattern(acme, outcall["id"], ext["id"]) == pattern
    assert len(acme.ok_get(f"outcalls/{outcall['id']}")["extensions"]) == 1


def test_re_put_still_validates_body(acme: Api) -> None:
    """CONTRACT 6.11: on re-PUT the body schema is still validated."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    path = f"outcalls/{outcall['id']}/extensions/{ext['id']}"
    acme.ok_put(path, {"strip_digits": 2})
    assert_error(
        acme.put(path, {"strip_digits": -1}),
        400,
        input_error("strip_digits", "Must be greater than or equal to 0."),
    )
    assert _pattern(acme, outcall["id"], ext["id"])["strip_digits"] == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("strip_digits", -1, "Must be greater than or equal to 0."),
        ("strip_digits", None, NOT_NULL),
        ("strip_digits", "one", "Not a valid integer."),
        ("prefix", "", None),
        ("prefix", "12a", None),
        ("prefix", "1" * 33, None),
        ("external_prefix", "0-0", None),
        ("external_prefix", "", None),
        ("external_prefix", "1" * 65, None),
        ("caller_id", "x" * 81, None),
        ("caller_id", 5, "Not a valid string."),
    ],
)
def test_field_errors_transcript_93(acme: Api, field: str, value: Any, message: str | None) -> None:
    """Transcript #93; CONTRACT 6.11 body rules (strip_digits >= 0 not null; prefix regexes; lengths)."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    response = acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {field: value})
    if message is not None:
        assert_error(response, 400, input_error(field, message))
    else:
        assert_error_startswith(response, 400, f"Input Error - {field}: ")
    assert acme.ok_get(f"extensions/{ext['id']}")["outcall"] is None


@pytest.mark.parametrize("value", ["+", "+abc", "+1", "123", "#*9", "+#1"])
def test_prefix_regex_quirk(acme: Api, value: str) -> None:
    """CONTRACT 6.11, 12.17: `^\\+|\\+?[0-9#*]+$` accepts anything starting with `+`."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    acme.ok_put(
        f"outcalls/{outcall['id']}/extensions/{ext['id']}", {"prefix": value, "external_prefix": value}
    )
    pattern = _pattern(acme, outcall["id"], ext["id"])
    assert (pattern["prefix"], pattern["external_prefix"]) == (value, value)


def test_prefix_pattern_error_text(acme: Api) -> None:
    """CONTRACT 5: a regex failure on a schema field reads `String does not match expected pattern.`"""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    response = acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {"prefix": "12a"})
    assert_error(response, 400, input_error("prefix", BAD_PATTERN))


def test_extension_attached_to_incall_transcript_84(acme: Api) -> None:
    """Transcript #84: an extension owned by an incall is refused."""
    ext = new_extension(acme, "5551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    outcall = new_outcall(acme, "o")
    assert_error(
        acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {}),
        400,
        f"Resource Error - Extension is associated with a incall ('extension_id': {ext['id']}, "
        f"'associated_id': '{incall['id']}')",
    )


def test_extension_attached_to_another_outcall(acme: Api) -> None:
    """CONTRACT 6.11: an extension belongs to at most one outcall."""
    ext = new_extension(acme, "_418.", "outcall")
    first, second = new_outcall(acme, "first"), new_outcall(acme, "second")
    acme.ok_put(f"outcalls/{first['id']}/extensions/{ext['id']}", {})
    assert_error_startswith(
        acme.put(f"outcalls/{second['id']}/extensions/{ext['id']}", {"strip_digits": 3}),
        400,
        f"Resource Error - Extension is associated with a outcall ('extension_id': {ext['id']}, ",
    )
    assert acme.ok_get(f"outcalls/{second['id']}")["extensions"] == []


def test_context_type_must_be_outcall(acme: Api) -> None:
    """CONTRACT 6.11: the extension's context must be of type outcall."""
    outcall = new_outcall(acme, "o")
    for ctx_type in ("incall", "internal"):
        ext = new_extension(acme, "1500", ctx_type)
        assert_error_startswith(
            acme.put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {}),
            400,
            f"Resource Error - ContextType '{ctx_type}' cannot be associated",
        )


def test_many_extensions_per_outcall(acme: Api) -> None:
    """CONTRACT 6.11: an outcall can hold many extensions."""
    outcall = new_outcall(acme, "o")
    exts = [new_extension(acme, exten, "outcall") for exten in ("_418.", "_419.", "_0XXXXXXXXX")]
    for ext in exts:
        acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    assert {e["id"] for e in acme.ok_get(f"outcalls/{outcall['id']}")["extensions"]} == {
        e["id"] for e in exts
    }


def test_unknown_ids_404(acme: Api) -> None:
    """CONTRACT 6.11: 404 Outcall / Extension was not found."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    assert_error(
        acme.put(f"outcalls/999999/extensions/{ext['id']}", {}), 404, not_found("Outcall", "'id': 999999")
    )
    assert_error(
        acme.put(f"outcalls/{outcall['id']}/extensions/999999", {}),
        404,
        not_found("Extension", "'id': 999999"),
    )
    assert_error(
        acme.delete(f"outcalls/999999/extensions/{ext['id']}"), 404, not_found("Outcall", "'id': 999999")
    )
    assert_error(
        acme.delete(f"outcalls/{outcall['id']}/extensions/999999"),
        404,
        not_found("Extension", "'id': 999999"),
    )


def test_dissociate(acme: Api) -> None:
    """CONTRACT 6.11: DELETE -> 204; the extension becomes unassigned; not associated -> 204 no-op."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {"strip_digits": 1})
    assert_no_content(acme.delete(f"outcalls/{outcall['id']}/extensions/{ext['id']}"))
    assert acme.ok_get(f"outcalls/{outcall['id']}")["extensions"] == []
    assert acme.ok_get(f"extensions/{ext['id']}")["outcall"] is None
    assert_no_content(acme.delete(f"outcalls/{outcall['id']}/extensions/{ext['id']}"))
    # fresh association: the old dial-pattern attributes are gone
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    assert _pattern(acme, outcall["id"], ext["id"])["strip_digits"] is None
