"""Wazo's procedure "Interconnect a Wazo to a VoIP provider", replayed call by call on 20.12.

The procedure (wazo-platform/wazo-platform.org, website/uc-doc/administration/interconnections/
wazo_with_voip_provider.md) was written for this API. Each request below is one line of it, in its
order; where the page leaves a body or an id out, or writes a body confd refuses, the test sends
the page's request first, shows what 20.12 answers (CONTRACT 9.4: the register body lacks the
required `sip_username` and names a transport `udp` that does not exist), then the nearest request
that works. The end state is what the page promises: a registered trunk, an outcall through it,
and a public number routed to a user.
"""

from __future__ import annotations

from typing import Any

import httpx

from sandbox import seed
from tests.sandbox._helpers import ALICE, Api, assert_error, assert_no_content, input_error

USERNAME, PASSWORD, PROVIDER = "acct123", "pa55word", "voip.provider.example.com"
INCALL = seed.CONTEXTS[("acme", "incall")].legacy_name
OUTCALL = seed.CONTEXTS[("acme", "outcall")].legacy_name
PUBLIC_NUMBER = "5551234567"  # the last 10 digits of +1 555 123 4567: acme's incall range


def bare(api: Api, method: str, path: str) -> httpx.Response:
    """A request as the page writes it: no body at all, so no Content-Type either."""
    headers = {"X-Auth-Token": api.token or "", "Wazo-Tenant": api.tenant or ""}
    return httpx.request(method, api.url(path), headers=headers, timeout=15)


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_procedure_step_by_step(legacy: Api):
    # -- Establish the trunk ----------------------------------------------------------------
    # "POST /trunks {"context": "ctx-<tenant slug>-incall-<UUID>"}": this tenant's incall context
    trunk = created(legacy.post("trunks", {"context": INCALL}))

    # "POST /endpoints/sip {"username", "secret", "type": "peer", "host": ...}"
    endpoint = created(
        legacy.post(
            "endpoints/sip", {"username": USERNAME, "secret": PASSWORD, "type": "peer", "host": PROVIDER}
        )
    )
    assert endpoint["name"] == USERNAME  # no name given: the username is used (CONTRACT 9.2)

    # "PUT /trunks/{trunk_id}/endpoints/sip/{sip_id}"
    assert_no_content(bare(legacy, "PUT", f"trunks/{trunk['id']}/endpoints/sip/{endpoint['id']}"))

    # "POST /registers/sip {"auth_username", "auth_password", "transport": "udp", "remote_host"}"
    as_written = {
        "auth_username": USERNAME,
        "auth_password": PASSWORD,
        "transport": "udp",
        "remote_host": PROVIDER,
    }
    assert_error(
        legacy.post("registers/sip", as_written),
        400,
        input_error("sip_username", "Missing data for required field."),
    )
    assert_error(
        legacy.post("registers/sip", {**as_written, "sip_username": USERNAME}),
        400,
        "Input Error - field 'transport': Transport was not found ('transport': 'udp')",
    )
    register = created(
        legacy.post("registers/sip", {**as_written, "sip_username": USERNAME, "transport": "transport-udp"})
    )

    # "PUT /trunks/{trunk_id}/registers/sip/{sip_id}": the register's id
    assert_no_content(bare(legacy, "PUT", f"trunks/{trunk['id']}/registers/sip/{register['id']}"))

    # "PUT /endpoints/sip {"options": [..., ["qualify", "yes"], ...]}": the page leaves the id out
    assert legacy.put("endpoints/sip", {"options": [["qualify", "yes"]]}).status_code == 405
    legacy.ok_put(f"endpoints/sip/{endpoint['id']}", {"options": [["qualify", "yes"]]})

    # "PUT /endpoints/sip {"options": [..., ["qualifyfreq", <value>], ...]}": options are replaced
    # whole, so the list keeps qualify
    legacy.ok_put(f"endpoints/sip/{endpoint['id']}", {"options": [["qualify", "yes"], ["qualifyfreq", "60"]]})

    # -- Set the outgoing calls ---------------------------------------------------------------
    # "POST /outcalls": an outcall needs a name
    assert_error(
        bare(legacy, "POST", "outcalls"), 400, input_error("name", "Missing data for required field.")
    )
    outcall = created(legacy.post("outcalls", {"name": "provider-out"}))

    # "PUT /outcalls/{outcall_id}/trunks": the body lists the trunks
    assert_error(
        bare(legacy, "PUT", f"outcalls/{outcall['id']}/trunks"),
        400,
        input_error("trunks", "Missing data for required field."),
    )
    legacy.ok_put(f"outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk["id"]}]})

    # "POST /extensions {"exten": "418.", "context": "ctx-<tenant slug>-outcall-<UUID>"}": accepted
    # as written, though without a leading `_` Asterisk reads it as a number (CONTRACT 6.10)
    pattern = created(legacy.post("extensions", {"exten": "418.", "context": OUTCALL}))

    # "PUT /outcalls/{outcall_id}/extensions/{extension_id}": no body at all is fine at 20.12
    assert_no_content(bare(legacy, "PUT", f"outcalls/{outcall['id']}/extensions/{pattern['id']}"))

    # -- Set the incoming calls ---------------------------------------------------------------
    # "POST /extensions {"exten": <public_phone_number>, "context": "ctx-...-incall-<UUID>"}"
    assert legacy.post("extensions", {"exten": "+15551234567", "context": INCALL}).status_code == 400
    did = created(legacy.post("extensions", {"exten": PUBLIC_NUMBER, "context": INCALL}))

    # "POST /incalls {"destination": {"type": "user", "user_id": <the_front_desk_guy_id>}}"
    incall = created(legacy.post("incalls", {"destination": {"type": "user", "user_id": ALICE}}))

    # "PUT /incalls/{incall_id}/extensions/{extension_id}"
    assert_no_content(bare(legacy, "PUT", f"incalls/{incall['id']}/extensions/{did['id']}"))

    # -- What the tenant now holds ------------------------------------------------------------
    got = legacy.ok_get(f"trunks/{trunk['id']}")
    assert got["context"] == INCALL
    assert (got["endpoint_sip"]["name"], got["register_sip"]["id"]) == (USERNAME, register["id"])
    assert [o["name"] for o in got["outcalls"]] == ["provider-out"]
    peer = legacy.ok_get(f"endpoints/sip/{endpoint['id']}")
    assert ["qualify", "yes"] in peer["options"]
    assert ["qualifyfreq", "60"] in peer["options"]
    line = legacy.ok_get(f"registers/sip/{register['id']}")
    assert (line["sip_username"], line["auth_password"], line["remote_host"]) == (
        USERNAME,
        PASSWORD,
        PROVIDER,
    )
    dial = legacy.ok_get(f"outcalls/{outcall['id']}")
    assert [(e["exten"], e["strip_digits"]) for e in dial["extensions"]] == [("418.", None)]
    routed = legacy.ok_get(f"incalls/{incall['id']}")
    assert [e["exten"] for e in routed["extensions"]] == [PUBLIC_NUMBER]
    assert routed["destination"]["user_id"] == ALICE


def test_a_json_typed_empty_body_is_still_refused(legacy: Api):
    """Flask's get_json() at 20.12: a JSON Content-Type with nothing behind it is a 400."""
    outcall = legacy.create("outcalls", {"name": "o"})
    pattern = legacy.create("extensions", {"exten": "_0X.", "context": OUTCALL})
    response = legacy.request(
        "PUT",
        f"outcalls/{outcall['id']}/extensions/{pattern['id']}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
