"""SIP transports and the per-tenant SIP templates (CONTRACT 6.3, 6.4, 6.5; transcript #10, #184)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.sandbox._helpers import (
    ACME,
    OTHER,
    Api,
    assert_created,
    assert_error,
    assert_error_startswith,
    assert_list,
    assert_unauthorized,
    template,
    transport,
)

LABELS = {"global", "webrtc", "meeting_guest", "registration_trunk", "twilio_trunk"}


def _contains(options: list[list[str]], expected: list[list[str]]) -> None:
    """Multiset inclusion: the DB gives no order to options (CONTRACT 6.4, 11.7)."""
    missing = Counter(map(tuple, expected)) - Counter(map(tuple, options))
    assert not missing, (missing, options)


# -- transports --------------------------------------------------------------------------------------
def test_transports_seeded_and_shared(acme: Api, other: Api) -> None:
    """CONTRACT 6.3: transport-udp and transport-wss, same for every tenant, default order name."""
    items = assert_list(acme.get("sip/transports"), 2)
    assert [item["name"] for item in items] == ["transport-udp", "transport-wss"]
    udp, wss = items
    _contains(udp["options"], [["protocol", "udp"], ["bind", "0.0.0.0:5060"]])
    _contains(wss["options"], [["protocol", "wss"], ["bind", "0.0.0.0:5060"]])
    assert assert_list(other.get("sip/transports"), 2) == items


def test_transport_get_and_filter(acme: Api) -> None:
    """CONTRACT 6.3: GET by uuid; `?name=` exact filter; unknown uuid -> 404."""
    udp = transport(acme, "transport-udp")
    assert {"uuid", "name", "options"} <= set(udp)
    assert acme.ok_get(f"sip/transports/{udp['uuid']}") == udp
    assert_list(acme.get("sip/transports", params={"name": "transport"}), 0)
    assert_error_startswith(
        acme.get("sip/transports/00000000-0000-4000-8000-000000000000"), 404, "Resource Not Found - "
    )


def test_transport_writes_master_only(acme: Api) -> None:
    """CONTRACT 2.2, 6.3: a non-master token writing transports -> 401."""
    udp = transport(acme, "transport-udp")
    assert_unauthorized(
        acme.post("sip/transports", {"name": "transport-tcp", "options": [["protocol", "tcp"]]})
    )
    assert_unauthorized(acme.put(f"sip/transports/{udp['uuid']}", {"name": "x", "options": []}))
    assert_unauthorized(acme.delete(f"sip/transports/{udp['uuid']}"))
    assert transport(acme, "transport-udp") == udp


def test_master_creates_transport_sharing_endpoint_namespace(master: Api, acme: Api) -> None:
    """CONTRACT 6.3/7: the master may create a transport; its name then collides with endpoints."""
    body = {"name": "transport-tcp", "options": [["protocol", "tcp"], ["bind", "0.0.0.0:5060"]]}
    created = assert_created(master.post("sip/transports", body), master, "sip/transports", key="uuid")
    assert created["name"] == "transport-tcp"
    assert_error_startswith(
        acme.post("endpoints/sip", {"name": "transport-tcp"}),
        400,
        "Resource Error - ",
        "already exists ('name': 'transport-tcp')",
    )
    assert_error_startswith(
        master.post("sip/transports", {"name": "transport-udp", "options": []}),
        400,
        "Resource Error - ",
        "already exists ('name': 'transport-udp')",
    )


# -- default templates ------------------------------------------------------------------------------
def test_five_templates_per_tenant(acme: Api, other: Api) -> None:
    """CONTRACT 6.5; transcript #10: five templates with these labels, per tenant, not shared."""
    mine = assert_list(acme.get("endpoints/sip/templates"), 5)
    theirs = assert_list(other.get("endpoints/sip/templates"), 5)
    assert {item["label"] for item in mine} == LABELS
    assert {item["label"] for item in theirs} == LABELS
    assert {item["tenant_uuid"] for item in mine} == {ACME}
    assert {item["tenant_uuid"] for item in theirs} == {OTHER}
    assert not {item["uuid"] for item in mine} & {item["uuid"] for item in theirs}
    assert not {item["name"] for item in mine} & {item["name"] for item in theirs}
    for item in mine:
        assert item["links"] == [
            {"rel": "endpoint_sip_templates", "href": acme.url(f"endpoints/sip/templates/{item['uuid']}")}
        ]


def test_global_template_content(acme: Api) -> None:
    """CONTRACT 6.5: `global` has transport-udp, qualify_frequency=60 and the listed options."""
    glob = template(acme, "global")
    assert glob["templates"] == []
    assert glob["transport"] == {"uuid": transport(acme, "transport-udp")["uuid"]}
    _contains(
        glob["aor_section_options"],
        [
            ["maximum_expiration", "3600"],
            ["default_expiration", "120"],
            ["minimum_expiration", "60"],
            ["qualify_frequency", "60"],
            ["remove_existing", "true"],
            ["max_contacts", "1"],
        ],
    )
    _contains(
        glob["endpoint_section_options"],
        [
            ["rtp_timeout", "7200"],
            ["allow_transfer", "yes"],
            ["use_ptime", "yes"],
            ["callerid", "wazo"],
            ["direct_media", "no"],
            ["dtmf_mode", "rfc4733"],
            ["language", "en_US"],
            ["inband_progress", "no"],
            ["rtp_timeout_hold", "0"],
            ["timers_sess_expires", "600"],
            ["timers_min_se", "90"],
            ["trust_id_inbound", "no"],
            ["allow_subscribe", "yes"],
            ["allow", "!all,ulaw"],
            ["set_var", "TIMEOUT(absolute)=36000"],
            ["set_var", "DYNAMIC_FEATURES=togglerecord"],
            ["notify_early_inuse_ringing", "yes"],
        ],
    )


def test_registration_trunk_template_content(acme: Api) -> None:
    """CONTRACT 6.5: `registration_trunk` inherits `global`, no transport, the retry settings."""
    reg = template(acme, "registration_trunk")
    glob = template(acme, "global")
    assert reg["templates"] == [{"uuid": glob["uuid"], "label": "global"}]
    assert reg["transport"] is None
    assert Counter(map(tuple, reg["registration_section_options"])) == Counter(
        [
            ("forbidden_retry_interval", "30"),
            ("retry_interval", "20"),
            ("max_retries", "10000"),
            ("auth_rejection_permanent", "no"),
            ("fatal_retry_interval", "30"),
        ]
    )


def test_other_default_templates(acme: Api) -> None:
    """CONTRACT 6.5: webrtc <- global (wss); meeting_guest <- webrtc; twilio <- registration_trunk."""
    webrtc = template(acme, "webrtc")
    assert webrtc["templates"] == [{"uuid": template(acme, "global")["uuid"], "label": "global"}]
    assert webrtc["transport"] == {"uuid": transport(acme, "transport-wss")["uuid"]}
    guest = template(acme, "meeting_guest")
    assert guest["templates"] == [{"uuid": webrtc["uuid"], "label": "webrtc"}]
    assert guest["transport"] is None
    twilio = template(acme, "twilio_trunk")
    reg = template(acme, "registration_trunk")
    assert twilio["templates"] == [{"uuid": reg["uuid"], "label": "registration_trunk"}]
    assert len(twilio["identify_section_options"]) == 32
    assert {key for key, _ in twilio["identify_section_options"]} == {"match"}


def test_template_search(acme: Api) -> None:
    """Transcript #184: `search=registration` finds the template by label."""
    items = assert_list(acme.get("endpoints/sip/templates", params={"search": "registration"}), 1)
    assert items[0]["label"] == "registration_trunk"


# -- templates are endpoints of their own kind ------------------------------------------------------
def test_template_and_endpoint_urls_do_not_mix(acme: Api) -> None:
    """CONTRACT 6.4: a template uuid is 404 on /endpoints/sip/{uuid} and vice versa."""
    glob = template(acme, "global")
    assert_error(
        acme.get(f"endpoints/sip/{glob['uuid']}"),
        404,
        f"Resource Not Found - SIPEndpoint was not found ('uuid': UUID('{glob['uuid']}'))",
    )
    endpoint = acme.create("endpoints/sip", {"name": "plain"})
    assert_error_startswith(
        acme.get(f"endpoints/sip/templates/{endpoint['uuid']}"),
        404,
        "Resource Not Found - SIPEndpointTemplate was not found (",
    )
    assert endpoint["uuid"] not in {item["uuid"] for item in acme.items("endpoints/sip/templates")}
    assert glob["uuid"] not in {item["uuid"] for item in acme.items("endpoints/sip")}


def test_template_crud(acme: Api) -> None:
    """CONTRACT 6.4: templates take the same body; 201 + Location; PUT partial; DELETE 204."""
    body: dict[str, Any] = {
        "name": "my_template",
        "label": "mine",
        "endpoint_section_options": [["allow", "!all,alaw"]],
        "templates": [{"uuid": template(acme, "global")["uuid"]}],
    }
    created = assert_created(
        acme.post("endpoints/sip/templates", body), acme, "endpoints/sip/templates", "uuid"
    )
    assert created["endpoint_section_options"] == [["allow", "!all,alaw"]]
    assert created["templates"] == [{"uuid": template(acme, "global")["uuid"], "label": "global"}]
    acme.ok_put(f"endpoints/sip/templates/{created['uuid']}", {"label": "renamed"})
    got = acme.ok_get(f"endpoints/sip/templates/{created['uuid']}")
    assert got["label"] == "renamed"
    assert got["endpoint_section_options"] == [["allow", "!all,alaw"]]
    acme.ok_delete(f"endpoints/sip/templates/{created['uuid']}")
    assert_error_startswith(
        acme.get(f"endpoints/sip/templates/{created['uuid']}"),
        404,
        "Resource Not Found - SIPEndpointTemplate",
    )


def test_template_cannot_use_itself(acme: Api) -> None:
    """CONTRACT 6.4: a template cannot include itself."""
    created = acme.create("endpoints/sip/templates", {"label": "self"})
    response = acme.put(
        f"endpoints/sip/templates/{created['uuid']}", {"templates": [{"uuid": created["uuid"]}]}
    )
    assert_error(response, 400, "Resource Error - Operation not permitted. Cannot use itself as template")


def test_deleting_template_detaches_children(acme: Api) -> None:
    """CONTRACT 6.4: deleting a template removes it from its children's `templates`."""
    parent = acme.create("endpoints/sip/templates", {"label": "parent"})
    child = acme.create(
        "endpoints/sip",
        {
            "name": "child",
            "templates": [{"uuid": parent["uuid"]}, {"uuid": template(acme, "global")["uuid"]}],
        },
    )
    acme.ok_delete(f"endpoints/sip/templates/{parent['uuid']}")
    assert acme.ok_get(f"endpoints/sip/{child['uuid']}")["templates"] == [
        {"uuid": template(acme, "global")["uuid"], "label": "global"}
    ]


def test_deleting_default_template_nulls_tenant_pointer(acme: Api) -> None:
    """CONTRACT 6.5: deleting a default template sets the tenant's pointer to null."""
    webrtc = template(acme, "meeting_guest")
    acme.ok_delete(f"endpoints/sip/templates/{webrtc['uuid']}")
    assert acme.ok_get(f"tenants/{ACME}")["meeting_guest_sip_template_uuid"] is None


@pytest.mark.parametrize("label", sorted(LABELS))
def test_template_label_filter(acme: Api, label: str) -> None:
    """CONTRACT 6.5: find the defaults with `GET /endpoints/sip/templates?label=<label>`."""
    items = assert_list(acme.get("endpoints/sip/templates", params={"label": label}), 1)
    assert items[0]["label"] == label
