"""Incall <-> extension (CONTRACT 6.13; transcript #21, #83, #86-#91, #100, #152)."""

from __future__ import annotations

from tests.sandbox._helpers import (
    ALICE,
    Api,
    assert_error,
    assert_error_startswith,
    assert_no_content,
    link,
    new_extension,
    new_incall,
    new_outcall,
    not_found,
)


def _busy(incall_id: int, extension_id: int) -> str:
    return (
        f"Resource Error - Incall is associated with a Extension ('incall_id': '{incall_id}', "
        f"'extension_id': {extension_id})"
    )


def test_associate_transcript_21(acme: Api) -> None:
    """Transcript #21/#28/#29: 204; both sides show the relation."""
    ext = new_extension(acme, "15551234567", "incall")
    incall = new_incall(acme, {"type": "user", "user_id": ALICE})
    assert_no_content(acme.put(f"incalls/{incall['id']}/extensions/{ext['id']}"))
    assert acme.ok_get(f"incalls/{incall['id']}")["extensions"] == [
        {
            "id": ext["id"],
            "exten": "15551234567",
            "context": ext["context"],
            "links": link(acme, "extensions", ext["id"]),
        }
    ]
    assert acme.ok_get(f"extensions/{ext['id']}")["incall"] == {
        "id": incall["id"],
        "links": link(acme, "incalls", incall["id"]),
    }


def test_step1_unknown_ids_transcript_90_91(acme: Api) -> None:
    """Transcript #90/#91; CONTRACT 6.13 step 1."""
    ext = new_extension(acme, "15551234567", "incall")
    incall = new_incall(acme)
    assert_error(
        acme.put(f"incalls/{incall['id']}/extensions/999999"), 404, not_found("Extension", "'id': 999999")
    )
    assert_error(acme.put(f"incalls/999999/extensions/{ext['id']}"), 404, not_found("Incall", "'id': 999999"))
    assert_error(acme.put("incalls/999999/extensions/999999"), 404, not_found("Incall", "'id': 999999"))


def test_step2_same_pair_idempotent_transcript_89(acme: Api) -> None:
    """Transcript #89; CONTRACT 6.13 step 2: re-PUT of the pair -> 204."""
    ext = new_extension(acme, "15551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    before = acme.ok_get(f"incalls/{incall['id']}")
    assert_no_content(acme.put(f"incalls/{incall['id']}/extensions/{ext['id']}"))
    assert acme.ok_get(f"incalls/{incall['id']}") == before


def test_step3_different_tenants(master: Api, acme: Api, other: Api) -> None:
    """CONTRACT 6.13 step 3, 3: both visible to the master token, different tenants -> 400."""
    incall = new_incall(acme)
    theirs = new_extension(other, "33140000001", "incall")
    assert_error_startswith(
        master.put(f"incalls/{incall['id']}/extensions/{theirs['id']}"),
        400,
        "Resource Error - different tenants (",
    )
    assert acme.ok_get(f"incalls/{incall['id']}")["extensions"] == []


def test_step4_one_extension_per_incall_transcript_86(acme: Api) -> None:
    """Transcript #86/#87: a second extension on the same incall -> 400; the first stays."""
    first = new_extension(acme, "15551234567", "incall")
    second = new_extension(acme, "15551234568", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{first['id']}")
    assert_error(
        acme.put(f"incalls/{incall['id']}/extensions/{second['id']}"), 400, _busy(incall["id"], first["id"])
    )
    assert [e["id"] for e in acme.ok_get(f"incalls/{incall['id']}")["extensions"]] == [first["id"]]
    assert acme.ok_get(f"extensions/{second['id']}")["incall"] is None


def test_step5_extension_on_another_incall_transcript_88(acme: Api) -> None:
    """Transcript #88: the extension already belongs to incall 1 -> the same message naming incall 1."""
    ext = new_extension(acme, "15551234567", "incall")
    one, two = new_incall(acme), new_incall(acme)
    acme.ok_put(f"incalls/{one['id']}/extensions/{ext['id']}")
    assert_error(acme.put(f"incalls/{two['id']}/extensions/{ext['id']}"), 400, _busy(one["id"], ext["id"]))


def test_step6_extension_attached_to_outcall(acme: Api) -> None:
    """CONTRACT 6.13 step 6 before 7: an outcall-attached extension -> `associated with a outcall`."""
    ext = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    incall = new_incall(acme)
    assert_error_startswith(
        acme.put(f"incalls/{incall['id']}/extensions/{ext['id']}"),
        400,
        f"Resource Error - Extension is associated with a outcall ('extension_id': {ext['id']}, ",
    )


def test_step7_context_type_transcript_83(acme: Api) -> None:
    """Transcript #83: an outcall-context extension -> ContextType 'outcall' cannot be associated."""
    ext = new_extension(acme, "418.", "outcall")
    incall = new_incall(acme)
    assert_error(
        acme.put(f"incalls/{incall['id']}/extensions/{ext['id']}"),
        400,
        f"Resource Error - ContextType 'outcall' cannot be associated ('id': {ext['id']}, "
        f"'context': '{ext['context']}')",
    )
    internal = new_extension(acme, "1001", "internal")
    assert_error(
        acme.put(f"incalls/{incall['id']}/extensions/{internal['id']}"),
        400,
        f"Resource Error - ContextType 'internal' cannot be associated ('id': {internal['id']}, "
        f"'context': '{internal['context']}')",
    )


def test_no_range_check_at_association_transcript_100(acme: Api) -> None:
    """Transcript #100: an out-of-range DID (and a pattern) associate fine."""
    out_of_range = new_extension(acme, "15559990000", "incall")
    pattern = new_extension(acme, "_1555123XXXX", "incall")
    acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{out_of_range['id']}")
    acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{pattern['id']}")


def test_dissociate(acme: Api) -> None:
    """CONTRACT 6.13: DELETE -> 204; the extension becomes unassigned; the incall can take another."""
    ext = new_extension(acme, "15551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    assert_no_content(acme.delete(f"incalls/{incall['id']}/extensions/{ext['id']}"))
    assert acme.ok_get(f"extensions/{ext['id']}")["incall"] is None
    assert acme.ok_get(f"incalls/{incall['id']}")["extensions"] == []
    another = new_extension(acme, "15551234568", "incall")
    acme.ok_put(f"incalls/{incall['id']}/extensions/{another['id']}")


def test_dissociate_not_associated_transcript_152(acme: Api) -> None:
    """Transcript #152: dissociating an extension that is not associated -> 204 no-op."""
    ext = new_extension(acme, "15551234567", "incall")
    other_ext = new_extension(acme, "15551234568", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{other_ext['id']}")
    assert_no_content(acme.delete(f"incalls/{incall['id']}/extensions/{ext['id']}"))
    assert [e["id"] for e in acme.ok_get(f"incalls/{incall['id']}")["extensions"]] == [other_ext["id"]]


def test_dissociate_unknown_ids_404(acme: Api) -> None:
    """CONTRACT 6.13: DELETE has the 404s of step 1."""
    ext = new_extension(acme, "15551234567", "incall")
    incall = new_incall(acme)
    assert_error(
        acme.delete(f"incalls/999999/extensions/{ext['id']}"), 404, not_found("Incall", "'id': 999999")
    )
    assert_error(
        acme.delete(f"incalls/{incall['id']}/extensions/999999"), 404, not_found("Extension", "'id': 999999")
    )
