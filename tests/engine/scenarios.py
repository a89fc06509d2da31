"""One scenario per resource type: valid inputs, one in-place change, one replacing change, and how
to see (or remove) the object in confd directly, without the code under test."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pulumi

from providers.context import Context
from providers.endpoint_sip import AUTH_SECTIONS, EndpointSip
from providers.extension import Extension
from providers.incall import Incall
from providers.incall_extension import IncallExtension
from providers.outcall import Outcall
from providers.outcall_extension import OutcallExtension
from providers.outcall_trunk import OutcallTrunks
from providers.trunk import Trunk
from providers.trunk_endpoint import TrunkEndpointSip
from sandbox.seed import ACME_TENANT, CONTEXTS, OTHER_TENANT, TRANSPORT_UDP, template_uuid
from tests.support.sandbox import SandboxProcess

ACME = ACME_TENANT
OTHER = OTHER_TENANT
INCALL_CTX = CONTEXTS[("acme", "incall")].name
OUTCALL_CTX = CONTEXTS[("acme", "outcall")].name
STACK_USERNAME = "acme-admin"
STACK_PASSWORD = "acme-secret"
SIP_PASSWORD = "sip-Pr0vider-engine"
SIP_PASSWORD_2 = "sip-R0tated-engine"
TOKEN_PATH = "/api/auth/0.1/token"
CONFD = "/api/confd/1.1"

# The import path of each resource's provider class, as pickled into every resource's state.
# Changing one breaks refresh and destroy of existing stacks: see docs/architecture.md.
PINNED: dict[str, str] = {
    "Context": "providers.context:ContextProvider",
    "Trunk": "providers.trunk:TrunkProvider",
    "EndpointSip": "providers.endpoint_sip:EndpointSipProvider",
    "TrunkEndpointSip": "providers.trunk_endpoint:TrunkEndpointSipProvider",
    "Outcall": "providers.outcall:OutcallProvider",
    "OutcallTrunks": "providers.outcall_trunk:OutcallTrunksProvider",
    "Extension": "providers.extension:ExtensionProvider",
    "OutcallExtension": "providers.outcall_extension:OutcallExtensionProvider",
    "Incall": "providers.incall:IncallProvider",
    "IncallExtension": "providers.incall_extension:IncallExtensionProvider",
}

_numbers = itertools.count(1)


def unique() -> int:
    """A number no other test of this process used (names, extens and ranges stay distinct)."""
    return next(_numbers)


class Admin:
    """Direct confd calls for setup, checks and out-of-band changes (never the code under test)."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self._base = sandbox.confd_url
        self._token = sandbox.token(STACK_USERNAME, STACK_PASSWORD)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"X-Auth-Token": self._token, "Wazo-Tenant": ACME}
        response = httpx.request(method, self._base + path, json=body, headers=headers, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def find(self, path: str) -> Any | None:
        """GET, or None on 404."""
        try:
            return self.call("GET", path)
        except httpx.HTTPStatusError as error:
            if error.response.status_code == 404:
                return None
            raise

    def trunk(self) -> int:
        return int(self.call("POST", "/trunks", {"context": INCALL_CTX})["id"])

    def endpoint(self, name: str) -> str:
        return str(self.call("POST", "/endpoints/sip", {"name": name})["uuid"])

    def outcall(self, name: str) -> int:
        return int(self.call("POST", "/outcalls", {"name": name})["id"])

    def extension(self, exten: str, context: str) -> int:
        return int(self.call("POST", "/extensions", {"exten": exten, "context": context})["id"])

    def incall(self) -> int:
        return int(self.call("POST", "/incalls", {"destination": {"type": "none"}})["id"])


Observe = Callable[[Admin, str, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    """Concrete inputs of one scenario, with its prerequisites made in confd."""

    inputs: dict[str, Any]
    update: tuple[str, Any] | None  # an in-place change
    replace: tuple[str, Any] | None  # a change that forces a replacement (besides tenant_uuid)
    preview_unknowns: tuple[str, ...]  # inputs a program takes from other resources' outputs


@dataclass(frozen=True)
class Scenario:
    """How to exercise one resource type through the engine."""

    kind: str
    resource: type[pulumi.CustomResource]
    computed: tuple[str, ...]  # outputs the server adds
    delete_before_replace: bool
    build: Callable[[Admin, int], Case]
    # what confd shows now, under the inputs' names (None: the object or link is gone)
    observe: Observe
    # an out-of-band delete
    remove: Callable[[Admin, str, dict[str, Any]], None]

    def register(self, name: str, inputs: dict[str, Any]) -> Any:
        from tests.support.provider_server import register

        return register(self.resource, name, **inputs)


def pairs(value: Any) -> list[list[str]]:
    return sorted([list(p) for p in value or []])


# -- objects ------------------------------------------------------------------------------------


def _context_case(admin: Admin, n: int) -> Case:
    return Case(
        {
            "tenant_uuid": ACME,
            "label": f"Engine incall {n}",
            "type": "incall",
            "incall_ranges": [{"start": f"1666{n:03d}0000", "end": f"1666{n:03d}0099", "did_length": 10}],
        },
        update=("label", f"Engine incall {n} (renamed)"),
        replace=None,
        preview_unknowns=("label",),
    )


def _context_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    obj = admin.find(f"/contexts/{id_}")
    return None if obj is None else {"label": obj["label"], "type": obj["type"]}


def _trunk_case(admin: Admin, n: int) -> Case:
    return Case(
        {"tenant_uuid": ACME, "context": INCALL_CTX, "outgoing_caller_id_format": "+E164"},
        update=("outgoing_caller_id_format", "national"),
        replace=None,
        preview_unknowns=("context",),
    )


def _trunk_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    obj = admin.find(f"/trunks/{id_}")
    if obj is None:
        return None
    return {"context": obj["context"], "outgoing_caller_id_format": obj["outgoing_caller_id_format"]}


def endpoint_inputs(name: str, password: Any = SIP_PASSWORD) -> dict[str, Any]:
    """A registering provider trunk endpoint, passwords in two auth sections."""
    return {
        "tenant_uuid": ACME,
        "name": name,
        "label": "Engine provider",
        "templates": [template_uuid("acme", "global"), template_uuid("acme", "registration_trunk")],
        "transport_uuid": TRANSPORT_UDP,
        "outbound_auth_section_options": [["username", "u123"], ["password", password]],
        "registration_section_options": [
            ["server_uri", "sip:sip.provider.example"],
            ["client_uri", "sip:u123@sip.provider.example"],
        ],
        "registration_outbound_auth_section_options": [["username", "u123"], ["password", password]],
        "aor_section_options": [["contact", "sip:sip.provider.example:5060"]],
        "identify_section_options": [["match", "sip.provider.example"]],
        "endpoint_section_options": [["dtmf_mode", "rfc4733"]],
    }


def _endpoint_case(admin: Admin, n: int) -> Case:
    return Case(
        endpoint_inputs(f"engine-ep-{n}"),
        update=("outbound_auth_section_options", [["username", "u123"], ["password", SIP_PASSWORD_2]]),
        replace=None,
        preview_unknowns=("templates", "transport_uuid"),
    )


def _endpoint_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    obj = admin.find(f"/endpoints/sip/{id_}")
    if obj is None:
        return None
    seen = {"name": obj["name"], "label": obj["label"]}
    seen.update({section: pairs(obj.get(section)) for section in AUTH_SECTIONS})
    return seen


def _outcall_case(admin: Admin, n: int) -> Case:
    return Case(
        {"tenant_uuid": ACME, "name": f"engine-out-{n}", "description": "to the provider"},
        update=("description", "to the provider, renamed"),
        replace=None,
        preview_unknowns=("name",),
    )


def _outcall_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    obj = admin.find(f"/outcalls/{id_}")
    return None if obj is None else {"name": obj["name"], "description": obj["description"]}


def _extension_case(admin: Admin, n: int) -> Case:
    return Case(
        {"tenant_uuid": ACME, "exten": f"_9{n:03d}.", "context": OUTCALL_CTX},
        update=("enabled", False),
        replace=None,
        preview_unknowns=("context",),
    )


def _extension_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    obj = admin.find(f"/extensions/{id_}")
    if obj is None:
        return None
    return {"exten": obj["exten"], "context": obj["context"], "enabled": obj["enabled"]}


def _incall_case(admin: Admin, n: int) -> Case:
    return Case(
        {"tenant_uuid": ACME, "destination": {"type": "user", "user_id": 1}},
        update=("caller_id_name", "ACME: "),
        replace=None,
        preview_unknowns=("destination",),
    )


def _incall_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    obj = admin.find(f"/incalls/{id_}")
    if obj is None:
        return None
    return {"caller_id_name": obj["caller_id_name"], "destination_type": obj["destination"]["type"]}


# -- associations -------------------------------------------------------------------------------


def _trunk_endpoint_case(admin: Admin, n: int) -> Case:
    trunk = admin.trunk()
    endpoint, other = admin.endpoint(f"engine-link-{n}"), admin.endpoint(f"engine-link-{n}-b")
    return Case(
        {"tenant_uuid": ACME, "trunk_id": trunk, "endpoint_uuid": endpoint},
        update=None,  # every input names the link: any change replaces it
        replace=("endpoint_uuid", other),
        preview_unknowns=("trunk_id", "endpoint_uuid"),
    )


def _trunk_endpoint_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    trunk = admin.find(f"/trunks/{int(outs['trunk_id'])}")
    endpoint = (trunk or {}).get("endpoint_sip") or {}
    if endpoint.get("uuid") != outs["endpoint_uuid"]:
        return None
    return {"endpoint_uuid": endpoint["uuid"]}


def _outcall_trunks_case(admin: Admin, n: int) -> Case:
    outcall, first, second = admin.outcall(f"engine-routed-{n}"), admin.trunk(), admin.trunk()
    return Case(
        {"tenant_uuid": ACME, "outcall_id": outcall, "trunk_ids": [first, second]},
        update=("trunk_ids", [second, first]),
        replace=("outcall_id", admin.outcall(f"engine-routed-{n}-b")),
        preview_unknowns=("outcall_id", "trunk_ids"),
    )


def _outcall_trunks_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    outcall = admin.find(f"/outcalls/{int(outs['outcall_id'])}")
    trunks = [t["id"] for t in (outcall or {}).get("trunks") or []]
    return {"trunk_ids": trunks} if trunks else None


def _outcall_extension_case(admin: Admin, n: int) -> Case:
    outcall = admin.outcall(f"engine-patterned-{n}")
    extension = admin.extension(f"_8{n:03d}.", OUTCALL_CTX)
    return Case(
        {
            "tenant_uuid": ACME,
            "outcall_id": outcall,
            "extension_id": extension,
            "strip_digits": 1,
            "caller_id": "+15551230000",
        },
        update=("strip_digits", 2),
        replace=("extension_id", admin.extension(f"_7{n:03d}.", OUTCALL_CTX)),
        preview_unknowns=("outcall_id", "extension_id"),
    )


def _outcall_extension_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    outcall = admin.find(f"/outcalls/{int(outs['outcall_id'])}") or {}
    for pattern in outcall.get("extensions") or []:
        if pattern["id"] == int(outs["extension_id"]):
            return {"strip_digits": pattern["strip_digits"], "caller_id": pattern["caller_id"]}
    return None


def _incall_extension_case(admin: Admin, n: int) -> Case:
    incall = admin.incall()
    extension = admin.extension(f"1555123{n % 1000:04d}", INCALL_CTX)
    return Case(
        {"tenant_uuid": ACME, "incall_id": incall, "extension_id": extension},
        update=None,  # every input names the link: any change replaces it
        replace=("extension_id", admin.extension(f"15551239{n % 1000:03d}", INCALL_CTX)),
        preview_unknowns=("incall_id", "extension_id"),
    )


def _incall_extension_seen(admin: Admin, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
    incall = admin.find(f"/incalls/{int(outs['incall_id'])}") or {}
    ids = [e["id"] for e in incall.get("extensions") or []]
    return {"extension_id": int(outs["extension_id"])} if int(outs["extension_id"]) in ids else None


def _delete(path: Callable[[str, dict[str, Any]], str]) -> Callable[[Admin, str, dict[str, Any]], None]:
    return lambda admin, id_, outs: admin.call("DELETE", path(id_, outs))


SCENARIOS: dict[str, Scenario] = {
    s.kind: s
    for s in (
        Scenario(
            "Context",
            Context,
            ("context_id", "uuid", "name"),
            False,
            _context_case,
            _context_seen,
            _delete(lambda id_, outs: f"/contexts/{id_}"),
        ),
        Scenario(
            "Trunk",
            Trunk,
            ("trunk_id",),
            False,
            _trunk_case,
            _trunk_seen,
            _delete(lambda id_, outs: f"/trunks/{id_}"),
        ),
        Scenario(
            "EndpointSip",
            EndpointSip,
            ("uuid",),
            True,
            _endpoint_case,
            _endpoint_seen,
            _delete(lambda id_, outs: f"/endpoints/sip/{id_}"),
        ),
        Scenario(
            "TrunkEndpointSip",
            TrunkEndpointSip,
            (),
            True,
            _trunk_endpoint_case,
            _trunk_endpoint_seen,
            _delete(lambda id_, o: f"/trunks/{int(o['trunk_id'])}/endpoints/sip/{o['endpoint_uuid']}"),
        ),
        Scenario(
            "Outcall",
            Outcall,
            ("outcall_id",),
            True,
            _outcall_case,
            _outcall_seen,
            _delete(lambda id_, outs: f"/outcalls/{id_}"),
        ),
        Scenario(
            "OutcallTrunks",
            OutcallTrunks,
            (),
            True,
            _outcall_trunks_case,
            _outcall_trunks_seen,
            # the link goes with its outcall (the provider reports gone only when the outcall is)
            _delete(lambda id_, o: f"/outcalls/{int(o['outcall_id'])}"),
        ),
        Scenario(
            "Extension",
            Extension,
            ("extension_id",),
            True,
            _extension_case,
            _extension_seen,
            _delete(lambda id_, outs: f"/extensions/{id_}"),
        ),
        Scenario(
            "OutcallExtension",
            OutcallExtension,
            (),
            True,
            _outcall_extension_case,
            _outcall_extension_seen,
            _delete(lambda id_, o: f"/outcalls/{int(o['outcall_id'])}/extensions/{int(o['extension_id'])}"),
        ),
        Scenario(
            "Incall",
            Incall,
            ("incall_id",),
            False,
            _incall_case,
            _incall_seen,
            _delete(lambda id_, outs: f"/incalls/{id_}"),
        ),
        Scenario(
            "IncallExtension",
            IncallExtension,
            (),
            True,
            _incall_extension_case,
            _incall_extension_seen,
            _delete(lambda id_, o: f"/incalls/{int(o['incall_id'])}/extensions/{int(o['extension_id'])}"),
        ),
    )
}
assert set(SCENARIOS) == set(PINNED)


def confd_calls(log: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(method, path under confd) of every logged confd request, token requests left out."""
    return [(item["method"], item["path"].removeprefix(CONFD)) for item in log if item["path"] != TOKEN_PATH]


def token_requests(log: list[dict[str, Any]]) -> int:
    return sum(1 for item in log if item["method"] == "POST" and item["path"] == TOKEN_PATH)
