"""Every incall destination type confd accepts: created, read back with no diff, then replaced."""

from __future__ import annotations

from typing import Any

import pytest

from providers.incall import IncallProvider
from sandbox.seed import target_id, target_uuid
from tests.providers.support import ACME, INTERNAL_CTX

DESTINATIONS: dict[str, dict[str, Any]] = {
    "none": {"type": "none"},
    "user": {"type": "user", "user_id": 1, "ring_time": 25, "moh_uuid": target_uuid("moh", "acme")},
    "group": {"type": "group", "group_id": target_id("group", "acme"), "ring_time": 10},
    "queue": {
        "type": "queue",
        "queue_id": target_id("queue", "acme"),
        "ring_time": 30,
        "skill_rule_id": target_id("skill_rule", "acme"),
        "skill_rule_variables": {"lang": "fr"},
    },
    "ivr": {"type": "ivr", "ivr_id": target_id("ivr", "acme")},
    "voicemail": {
        "type": "voicemail",
        "voicemail_id": target_id("voicemail", "acme"),
        "skip_instructions": True,
        "greeting": "busy",
    },
    "conference": {"type": "conference", "conference_id": target_id("conference", "acme")},
    "switchboard": {
        "type": "switchboard",
        "switchboard_uuid": target_uuid("switchboard", "acme"),
        "ring_time": 5,
    },
    "outcall": {"type": "outcall", "outcall_id": 0, "exten": "33123456789"},  # id filled in below
    "extension": {"type": "extension", "exten": "1001", "context": INTERNAL_CTX},
    "sound": {"type": "sound", "filename": "closed", "skip": True, "no_answer": False},
    "custom": {"type": "custom", "command": "Playback(hello-world)"},
    "hangup-normal": {"type": "hangup", "cause": "normal"},
    "hangup-busy": {"type": "hangup", "cause": "busy", "timeout": 10},
    "hangup-congestion": {"type": "hangup", "cause": "congestion"},
    "app-callback_disa": {
        "type": "application",
        "application": "callback_disa",
        "context": "default",
        "pin": "1234",
    },
    "app-custom": {
        "type": "application",
        "application": "custom",
        "application_uuid": target_uuid("application", "acme"),
    },
    "app-directory": {"type": "application", "application": "directory", "context": "default"},
    "app-disa": {"type": "application", "application": "disa", "context": "default"},
    "app-fax_to_mail": {"type": "application", "application": "fax_to_mail", "email": "fax@acme.example"},
    "app-voicemail": {"type": "application", "application": "voicemail", "context": "default"},
}


@pytest.mark.parametrize("kind", list(DESTINATIONS))
def test_destination_round_trip(acme, admin, kind):
    destination = dict(DESTINATIONS[kind])
    if kind == "outcall":
        destination["outcall_id"] = admin.post("/outcalls", {"name": "for-incall"})["id"]
    provider = IncallProvider()
    checked = provider.check({}, {"tenant_uuid": ACME, "destination": destination, "description": kind})
    assert checked.failures == []
    inputs = checked.inputs
    created = provider.create(inputs)
    read = provider.read(created.id, (created.outs or {}))
    assert (read.outs or {}) == (created.outs or {})
    assert provider.diff(created.id, (read.outs or {}), inputs).changes is False
    # any destination is replaced whole by an update
    news = {**inputs, "destination": {"type": "hangup", "cause": "normal"}}
    updated = provider.update(created.id, (read.outs or {}), provider.check({}, news).inputs)
    assert provider.read(created.id, updated.outs or {}).outs == (updated.outs or {})
