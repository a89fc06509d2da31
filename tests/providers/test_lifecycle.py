"""One lifecycle scenario for every resource, against the sandbox over HTTP.

create (an object: one look by its key or among its candidates, then its POST, no read-back; an
association: its PUT) -> read (one GET, no diff) -> update each mutable field (an object: one PUT and
the GET that verifies it; an association: one PUT; complete outputs) -> out-of-band change seen by
read -> out-of-band delete reported gone -> delete twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi.dynamic import ResourceProvider

from providers._base import PROVIDER_KEY, ObjectProvider
from sandbox.seed import TRANSPORT_WSS
from tests.providers.support import (
    ACME,
    CONFD,
    GLOBAL_TEMPLATE,
    INCALL_CTX,
    INTERNAL_CTX,
    OUTCALL_CTX,
    PROVIDERS,
    REGISTRATION_TEMPLATE,
    TOKEN_PATH,
    VALID,
    Admin,
    endpoint_inputs,
    writes,
)
from tests.support.sandbox import SandboxProcess


@dataclass
class Scenario:
    """How to exercise one resource."""

    resource: str
    inputs: dict[str, Any]
    create_writes: list[tuple[str, str]]  # (method, path regex)
    updates: list[tuple[str, Any]] = field(default_factory=list)
    drift: Callable[[str, dict[str, Any]], None] | None = None  # out-of-band change
    drift_field: str = ""
    gone: Callable[[str, dict[str, Any]], None] | None = None  # out-of-band delete
    delete_writes: list[tuple[str, str]] = field(default_factory=list)


def _trunk(admin: Admin) -> int:
    return int(admin.post("/trunks", {"context": admin.context_name("incall")})["id"])


def _endpoint(admin: Admin, name: str) -> str:
    return str(admin.post("/endpoints/sip", {"name": name})["uuid"])


def _outcall(admin: Admin, name: str) -> int:
    return int(admin.post("/outcalls", {"name": name})["id"])


def _extension(admin: Admin, exten: str, context: str) -> int:
    return int(admin.post("/extensions", {"exten": exten, "context": context})["id"])


def context_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "context",
        dict(VALID["context"]),
        [("GET", "/contexts"), ("POST", "/contexts")],
        updates=[
            ("label", "Acme extra incall (renamed)"),
            ("description", "DIDs of the second provider"),
            ("enabled", False),
            ("incall_ranges", [{"start": "15559990000", "end": "15559990999", "did_length": 10}]),
            ("user_ranges", [{"start": "1000", "end": "1099"}]),
            ("group_ranges", [{"start": "2000"}]),
            ("queue_ranges", [{"start": "3000", "end": "3009"}]),
            ("conference_room_ranges", [{"start": "4000", "end": "4009"}]),
            ("type", "others"),
        ],
        drift=lambda id_, outs: admin.put(f"/contexts/{id_}", {"label": "changed by hand"}),
        drift_field="label",
        gone=lambda id_, outs: admin.delete(f"/contexts/{id_}"),
        delete_writes=[("DELETE", r"/contexts/\d+")],
    )


def trunk_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "trunk",
        {**VALID["trunk"], "context": admin.context_name("incall")},
        [("GET", "/trunks"), ("POST", "/trunks")],
        updates=[
            ("outgoing_caller_id_format", "national"),
            ("context", admin.context_name("outcall")),
            ("twilio_incoming", True),
        ],
        drift=lambda id_, outs: admin.put(f"/trunks/{id_}", {"outgoing_caller_id_format": "E164"}),
        drift_field="outgoing_caller_id_format",
        gone=lambda id_, outs: admin.delete(f"/trunks/{id_}"),
        delete_writes=[("DELETE", r"/trunks/\d+")],
    )


def endpoint_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "endpoint_sip",
        endpoint_inputs(),
        [("GET", "/endpoints/sip"), ("POST", "/endpoints/sip")],
        updates=[
            ("name", "acme-provider-2"),
            ("label", "ACME provider, second line"),
            ("templates", [REGISTRATION_TEMPLATE, GLOBAL_TEMPLATE]),
            ("transport_uuid", TRANSPORT_WSS),
            ("aor_section_options", [["contact", "sip:sip2.provider.example"], ["qualify_frequency", "30"]]),
            ("auth_section_options", [["username", "in"], ["password", "inbound-s3cret"]]),
            ("endpoint_section_options", [["dtmf_mode", "inband"]]),
            ("identify_section_options", [["match", "192.0.2.10"], ["match", "192.0.2.0/28"]]),
            ("registration_section_options", [["server_uri", "sip:sip2.provider.example:5080"]]),
            ("registration_outbound_auth_section_options", [["username", "u9"], ["password", "n3w-s3cret"]]),
            ("outbound_auth_section_options", [["username", "u9"], ["password", "n3w-s3cret"]]),
        ],
        drift=lambda id_, outs: admin.put(
            f"/endpoints/sip/{id_}", {"aor_section_options": [["contact", "sip:elsewhere.example"]]}
        ),
        drift_field="aor_section_options",
        gone=lambda id_, outs: admin.delete(f"/endpoints/sip/{id_}"),
        delete_writes=[("DELETE", r"/endpoints/sip/[-0-9a-f]+")],
    )


def outcall_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "outcall",
        dict(VALID["outcall"]),
        [("GET", "/outcalls"), ("POST", "/outcalls")],
        updates=[
            ("name", "acme-out-2"),
            ("description", None),
            ("enabled", False),
            ("internal_caller_id", True),
            ("preprocess_subroutine", "pre-outcall"),
            ("ring_time", 30),
        ],
        drift=lambda id_, outs: admin.put(f"/outcalls/{id_}", {"description": "changed by hand"}),
        drift_field="description",
        gone=lambda id_, outs: admin.delete(f"/outcalls/{id_}"),
        delete_writes=[("DELETE", r"/outcalls/\d+")],
    )


def extension_scenario(admin: Admin) -> Scenario:
    first = admin.context_name("outcall")
    # 20.12 wants a name, later releases generate it and drop the one sent
    second = admin.post("/contexts", {"name": "acme-outcall-2", "label": "Acme outcall 2", "type": "outcall"})
    return Scenario(
        "extension",
        {**VALID["extension"], "context": first},
        [("GET", "/extensions"), ("POST", "/extensions")],
        updates=[("exten", "_+1NXXNXXXXXX"), ("enabled", False), ("context", second["name"])],
        drift=lambda id_, outs: admin.put(f"/extensions/{id_}", {"exten": "_419."}),
        drift_field="exten",
        gone=lambda id_, outs: admin.delete(f"/extensions/{id_}"),
        delete_writes=[("DELETE", r"/extensions/\d+")],
    )


def incall_scenario(admin: Admin) -> Scenario:
    return Scenario(
        "incall",
        dict(VALID["incall"]),
        [("GET", "/incalls"), ("POST", "/incalls")],
        updates=[
            ("destination", {"type": "hangup", "cause": "busy", "timeout": 5}),
            ("caller_id_mode", "prepend"),
            ("caller_id_name", "ACME: "),
            ("greeting_sound", "welcome"),
            ("description", "main DID"),
            ("preprocess_subroutine", "pre-incall"),
        ],
        drift=lambda id_, outs: admin.put(f"/incalls/{id_}", {"destination": {"type": "none"}}),
        drift_field="destination",
        gone=lambda id_, outs: admin.delete(f"/incalls/{id_}"),
        delete_writes=[("DELETE", r"/incalls/\d+")],
    )


def trunk_endpoint_scenario(admin: Admin) -> Scenario:
    trunk, endpoint = _trunk(admin), _endpoint(admin, "linked-endpoint")
    return Scenario(
        "trunk_endpoint",
        {"tenant_uuid": ACME, "trunk_id": trunk, "endpoint_uuid": endpoint},
        [("PUT", rf"/trunks/{trunk}/endpoints/sip/{endpoint}")],
        gone=lambda id_, outs: admin.delete(f"/trunks/{trunk}/endpoints/sip/{endpoint}"),
        delete_writes=[("DELETE", rf"/trunks/{trunk}/endpoints/sip/{endpoint}")],
    )


def outcall_trunk_scenario(admin: Admin) -> Scenario:
    outcall, first, second = _outcall(admin, "routed"), _trunk(admin), _trunk(admin)
    return Scenario(
        "outcall_trunk",
        {"tenant_uuid": ACME, "outcall_id": outcall, "trunk_ids": [first]},
        [("PUT", rf"/outcalls/{outcall}/trunks")],
        updates=[("trunk_ids", [first, second]), ("trunk_ids", [second, first])],
        drift=lambda id_, outs: admin.put(f"/outcalls/{outcall}/trunks", {"trunks": [{"id": second}]}),
        drift_field="trunk_ids",
        gone=lambda id_, outs: admin.delete(f"/outcalls/{outcall}"),
        delete_writes=[("PUT", rf"/outcalls/{outcall}/trunks")],
    )


def outcall_extension_scenario(admin: Admin) -> Scenario:
    outcall = _outcall(admin, "patterned")
    extension = _extension(admin, "_0XXXXXXXXX", admin.context_name("outcall"))
    return Scenario(
        "outcall_extension",
        {"tenant_uuid": ACME, "outcall_id": outcall, "extension_id": extension, "strip_digits": 1},
        [("PUT", rf"/outcalls/{outcall}/extensions/{extension}")],
        updates=[
            ("strip_digits", 0),
            ("prefix", "9"),
            ("external_prefix", "+33"),
            ("caller_id", '"ACME" <+33123456789>'),
            ("prefix", None),
        ],
        drift=lambda id_, outs: admin.put(f"/outcalls/{outcall}/extensions/{extension}", {"strip_digits": 4}),
        drift_field="strip_digits",
        gone=lambda id_, outs: admin.delete(f"/outcalls/{outcall}/extensions/{extension}"),
        delete_writes=[("DELETE", rf"/outcalls/{outcall}/extensions/{extension}")],
    )


def incall_extension_scenario(admin: Admin) -> Scenario:
    incall = int(admin.post("/incalls", {"destination": {"type": "none"}})["id"])
    extension = _extension(admin, "15551230042", admin.context_name("incall"))
    return Scenario(
        "incall_extension",
        {"tenant_uuid": ACME, "incall_id": incall, "extension_id": extension},
        [("PUT", rf"/incalls/{incall}/extensions/{extension}")],
        gone=lambda id_, outs: admin.delete(f"/incalls/{incall}/extensions/{extension}"),
        delete_writes=[("DELETE", rf"/incalls/{incall}/extensions/{extension}")],
    )


SCENARIOS: dict[str, Callable[[Admin], Scenario]] = {
    "context": context_scenario,
    "trunk": trunk_scenario,
    "endpoint_sip": endpoint_scenario,
    "trunk_endpoint": trunk_endpoint_scenario,
    "outcall": outcall_scenario,
    "outcall_trunk": outcall_trunk_scenario,
    "extension": extension_scenario,
    "outcall_extension": outcall_extension_scenario,
    "incall": incall_scenario,
    "incall_extension": incall_extension_scenario,
}
assert set(SCENARIOS) == set(PROVIDERS)
_ = INTERNAL_CTX, INCALL_CTX, OUTCALL_CTX


def _assert_calls(log: list[dict[str, Any]], expected: list[tuple[str, str]]) -> None:
    import re

    got = writes(log)
    assert len(got) == len(expected), got
    for (method, path), (want_method, pattern) in zip(got, expected, strict=True):
        assert method == want_method, got
        assert re.fullmatch(re.escape(CONFD) + pattern, path), got


@pytest.mark.parametrize("resource", list(SCENARIOS))
def test_lifecycle(acme, admin, resource):
    exercise(acme, PROVIDERS[resource](), SCENARIOS[resource](admin))


def exercise(sandbox: SandboxProcess, provider: ResourceProvider, scenario: Scenario) -> None:
    """The lifecycle, with its exact request counts, for one resource's provider and scenario."""
    # check and diff send nothing
    seq = sandbox.last_seq()
    checked = provider.check({}, {**scenario.inputs, PROVIDER_KEY: "x"})
    assert checked.failures == []
    inputs = checked.inputs
    assert sandbox.requests(since=seq) == []

    # create: the token, then exactly the look and the minimal write, no read-back
    created = provider.create({**inputs, PROVIDER_KEY: "x"})
    log = sandbox.requests(since=seq)
    assert writes(log)[0] == ("POST", TOKEN_PATH)
    _assert_calls(log[1:], scenario.create_writes)
    assert created.id
    outs = created.outs or {}
    for name, value in inputs.items():
        assert outs[name] == value, name

    # read: one GET, the same outputs, no diff
    seq = sandbox.last_seq()
    read = provider.read(created.id, {**outs, PROVIDER_KEY: "x"})
    assert [item["method"] for item in sandbox.requests(since=seq)] == ["GET"]
    assert read.id == created.id
    assert (read.outs or {}) == outs
    seq = sandbox.last_seq()
    result = provider.diff(created.id, (read.outs or {}), inputs)
    assert result.changes is False
    assert sandbox.requests(since=seq) == []

    # update each mutable field: one PUT (and, for an object, the GET that verifies what confd
    # stored), complete outputs, then read agrees and diff is quiet
    update_calls = ["PUT", "GET"] if isinstance(provider, ObjectProvider) else ["PUT"]
    for name, value in scenario.updates:
        news = provider.check({}, {**inputs, name: value}).inputs
        result = provider.diff(created.id, outs, news)
        assert result.changes is True, name
        assert result.replaces == [], name
        seq = sandbox.last_seq()
        updated = provider.update(created.id, outs, news)
        assert [item["method"] for item in sandbox.requests(since=seq)] == update_calls, name
        assert set(updated.outs or {}) == set(outs), name
        outs, inputs = (updated.outs or {}), news
        read = provider.read(created.id, {**outs, PROVIDER_KEY: "x"})
        assert (read.outs or {}) == outs, name
        assert provider.diff(created.id, (read.outs or {}), inputs).changes is False, name

    # an out-of-band change is seen by read, and diff then wants to put it back
    if scenario.drift is not None:
        scenario.drift(created.id, outs)
        read = provider.read(created.id, outs)
        assert read.id == created.id
        assert (read.outs or {})[scenario.drift_field] != outs[scenario.drift_field]
        result = provider.diff(created.id, (read.outs or {}), inputs)
        assert result.changes is True
        assert result.replaces == []
        provider.update(created.id, (read.outs or {}), inputs)
        assert provider.read(created.id, outs).outs == outs

    # delete, twice: the second finds nothing and is still a success
    seq = sandbox.last_seq()
    provider.delete(created.id, outs)
    _assert_calls(sandbox.requests(since=seq), scenario.delete_writes)
    provider.delete(created.id, outs)

    # an out-of-band delete is reported gone (empty id) by read
    again = provider.create({**inputs, PROVIDER_KEY: "x"})
    assert scenario.gone is not None
    scenario.gone(again.id, again.outs or {})
    gone = provider.read(again.id, again.outs or {})
    assert gone.id == ""

    # every confd request carried the tenant
    confd = [item for item in sandbox.requests() if item["path"].startswith(CONFD)]
    assert confd
    assert {item["tenant"] for item in confd} == {ACME}
