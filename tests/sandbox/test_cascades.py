"""Deletion cascades and refusals (CONTRACT 7 table; transcript #132-#150)."""

from __future__ import annotations

from tests.sandbox._helpers import (
    Api,
    assert_error,
    assert_error_startswith,
    assert_no_content,
    context,
    link,
    new_extension,
    new_incall,
    new_outcall,
    new_trunk,
    not_found,
    trunk_with_endpoint,
)


def test_delete_trunk_deletes_endpoint_keeps_outcall_transcript_132_135(acme: Api) -> None:
    """Transcript #132-#135: DELETE trunk -> 204; its endpoint is 404; the outcall survives with trunks []."""
    trunk, endpoint = trunk_with_endpoint(
        acme, "throwaway_trunk", label="Throwaway", aor_section_options=[["contact", "sip:other.example"]]
    )
    outcall = new_outcall(acme, "throwaway-out")
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    assert_no_content(acme.delete(f"trunks/{trunk['id']}"))
    assert_error(acme.get(f"trunks/{trunk['id']}"), 404, not_found("Trunk", f"'id': {trunk['id']}"))
    assert_error(
        acme.get(f"endpoints/sip/{endpoint['uuid']}"),
        404,
        f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{endpoint['uuid']}'))",
    )
    assert acme.ok_get(f"outcalls/{outcall['id']}") == {**outcall, "trunks": []}
    # the endpoint's name is free again
    acme.create("endpoints/sip", {"name": "throwaway_trunk"})


def test_delete_trunk_keeps_other_trunks_of_outcall(acme: Api) -> None:
    """CONTRACT 6.6/7: the deleted trunk is removed from the ordered list, the others keep their order."""
    a, b, c = new_trunk(acme), new_trunk(acme), new_trunk(acme)
    outcall = new_outcall(acme, "o")
    acme.ok_put(
        f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": a["id"]}, {"id": b["id"]}, {"id": c["id"]}]}
    )
    acme.ok_delete(f"trunks/{b['id']}")
    assert [t["id"] for t in acme.ok_get(f"outcalls/{outcall['id']}")["trunks"]] == [a["id"], c["id"]]


def test_delete_endpoint_nulls_trunk_transcript_139_140(acme: Api) -> None:
    """Transcript #139/#140: DELETE of an associated endpoint -> 204; trunk lives with endpoint_sip null."""
    trunk, endpoint = trunk_with_endpoint(acme, "throwaway_trunk2")
    assert_no_content(acme.delete(f"endpoints/sip/{endpoint['uuid']}"))
    got = acme.ok_get(f"trunks/{trunk['id']}")
    assert got == {**trunk, "endpoint_sip": None}
    assert got["links"] == link(acme, "trunks", trunk["id"])


def test_delete_incall_frees_extension_transcript_146_147(acme: Api) -> None:
    """Transcript #144-#147: DELETE incall -> 204; the extension survives, unassociated, deletable."""
    ext = new_extension(acme, "15551234569", "incall")
    incall = new_incall(acme, {"type": "hangup", "cause": "normal"})
    acme.ok_put(f"incalls/{incall['id']}/extensions/{ext['id']}")
    assert_no_content(acme.delete(f"incalls/{incall['id']}"))
    assert acme.ok_get(f"extensions/{ext['id']}") == ext
    acme.ok_put(f"incalls/{new_incall(acme)['id']}/extensions/{ext['id']}")


def test_delete_outcall_frees_extension_transcript_148_150(acme: Api) -> None:
    """Transcript #148-#150: DELETE outcall -> 204; the extension survives, unassociated."""
    ext = new_extension(acme, "15559990000", "outcall")
    outcall = new_outcall(acme, "throwaway-out")
    trunk = new_trunk(acme)
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{ext['id']}", {})
    assert_no_content(acme.delete(f"outcalls/{outcall['id']}"))
    assert acme.ok_get(f"extensions/{ext['id']}") == ext
    assert acme.ok_get(f"trunks/{trunk['id']}")["outcalls"] == []
    acme.ok_delete(f"extensions/{ext['id']}")


def test_delete_extension_refused_while_attached_transcript_141_142(acme: Api) -> None:
    """Transcript #141/#142: an attached extension cannot be deleted."""
    did = new_extension(acme, "15551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{did['id']}")
    pattern = new_extension(acme, "_418.", "outcall")
    outcall = new_outcall(acme, "o")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{pattern['id']}", {})
    assert_error_startswith(
        acme.delete(f"extensions/{did['id']}"),
        400,
        "Resource Error - Extension is associated with a incall (",
    )
    assert_error_startswith(
        acme.delete(f"extensions/{pattern['id']}"),
        400,
        "Resource Error - Extension is associated with a outcall (",
    )
    assert acme.get(f"extensions/{did['id']}").status_code == 200
    assert acme.get(f"extensions/{pattern['id']}").status_code == 200


def test_delete_context_refused_transcript_143(acme: Api) -> None:
    """Transcript #143: a context still used by an extension cannot be deleted."""
    incall_ctx = context(acme, "incall")
    ext = new_extension(acme, "15551234567", "incall")
    assert_error(
        acme.delete(f"contexts/{incall_ctx['id']}"),
        400,
        f"Resource Error - Context is associated with a Extension ('context_id': {incall_ctx['id']}, "
        f"'extension_id': {ext['id']})",
    )
    acme.ok_delete(f"extensions/{ext['id']}")
    acme.ok_delete(f"contexts/{incall_ctx['id']}")


def test_safe_teardown_order(acme: Api) -> None:
    """CONTRACT 7 safe teardown: incall, DID, dial pattern, pattern, outcall, trunk (takes its endpoint)."""
    trunk, endpoint = trunk_with_endpoint(acme, "teardown")
    outcall = new_outcall(acme, "teardown-out")
    acme.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})
    pattern = new_extension(acme, "_418.", "outcall")
    acme.ok_put(f"outcalls/{outcall['id']}/extensions/{pattern['id']}", {"strip_digits": 0})
    did = new_extension(acme, "5551234567", "incall")
    incall = new_incall(acme)
    acme.ok_put(f"incalls/{incall['id']}/extensions/{did['id']}")
    acme.ok_delete(f"incalls/{incall['id']}")
    acme.ok_delete(f"extensions/{did['id']}")
    acme.ok_delete(f"outcalls/{outcall['id']}/extensions/{pattern['id']}")
    acme.ok_delete(f"extensions/{pattern['id']}")
    acme.ok_delete(f"outcalls/{outcall['id']}")
    acme.ok_delete(f"trunks/{trunk['id']}")
    assert acme.get(f"endpoints/sip/{endpoint['uuid']}").status_code == 404
    for collection in ("trunks", "endpoints/sip", "outcalls", "extensions", "incalls"):
        assert acme.items(collection) == [], collection
