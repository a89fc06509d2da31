"""Shared pieces of the provider tests: seeded identifiers, valid inputs, a direct admin client."""

from __future__ import annotations

from typing import Any

import httpx
from pulumi.dynamic import ResourceProvider

from providers.context import ContextProvider
from providers.endpoint_sip import EndpointSipProvider
from providers.endpoint_sip_legacy import EndpointSipLegacyProvider
from providers.extension import ExtensionProvider
from providers.incall import IncallProvider
from providers.incall_extension import IncallExtensionProvider
from providers.outcall import OutcallProvider
from providers.outcall_extension import OutcallExtensionProvider
from providers.outcall_trunk import OutcallTrunksProvider
from providers.register_sip import RegisterSipProvider
from providers.trunk import TrunkProvider
from providers.trunk_endpoint import TrunkEndpointSipLegacyProvider, TrunkEndpointSipProvider
from providers.trunk_register import TrunkRegisterSipProvider
from sandbox.seed import ACME_TENANT, CONTEXTS, TRANSPORT_UDP, template_uuid
from tests.support.sandbox import SandboxProcess

ACME = ACME_TENANT
INCALL_CTX = CONTEXTS[("acme", "incall")].name
OUTCALL_CTX = CONTEXTS[("acme", "outcall")].name
INTERNAL_CTX = CONTEXTS[("acme", "internal")].name
GLOBAL_TEMPLATE = template_uuid("acme", "global")
REGISTRATION_TEMPLATE = template_uuid("acme", "registration_trunk")
TOKEN_PATH = "/api/auth/0.1/token"
CONFD = "/api/confd/1.1"
SIP_PASSWORD = "pr0vider-s3cret"

PROVIDERS: dict[str, type[ResourceProvider]] = {
    "context": ContextProvider,
    "trunk": TrunkProvider,
    "endpoint_sip": EndpointSipProvider,
    "trunk_endpoint": TrunkEndpointSipProvider,
    "outcall": OutcallProvider,
    "outcall_trunk": OutcallTrunksProvider,
    "extension": ExtensionProvider,
    "outcall_extension": OutcallExtensionProvider,
    "incall": IncallProvider,
    "incall_extension": IncallExtensionProvider,
}


def endpoint_inputs(name: str = "acme-provider") -> dict[str, Any]:
    """A registering provider trunk endpoint, as docs/confd-contract.md 8.2 lays it out."""
    return {
        "tenant_uuid": ACME,
        "name": name,
        "label": "ACME provider",
        "templates": [GLOBAL_TEMPLATE, REGISTRATION_TEMPLATE],
        "transport_uuid": TRANSPORT_UDP,
        "outbound_auth_section_options": [["username", "u123"], ["password", SIP_PASSWORD]],
        "registration_section_options": [
            ["server_uri", "sip:sip.provider.example"],
            ["client_uri", "sip:u123@sip.provider.example"],
            ["contact_user", "u123"],
            ["expiration", "120"],
        ],
        "registration_outbound_auth_section_options": [["username", "u123"], ["password", SIP_PASSWORD]],
        "aor_section_options": [["contact", "sip:sip.provider.example:5060"], ["qualify_frequency", "60"]],
        "identify_section_options": [["match", "sip.provider.example"]],
        "endpoint_section_options": [["dtmf_mode", "rfc4733"], ["allow", "!all,ulaw,alaw"]],
        "auth_section_options": [],
    }


# Valid inputs of every object resource (associations need ids: see test_lifecycle.py).
VALID: dict[str, dict[str, Any]] = {
    "context": {
        "tenant_uuid": ACME,
        "label": "Acme extra incall",
        "type": "incall",
        "incall_ranges": [{"start": "15559990000", "end": "15559990099", "did_length": 10}],
    },
    "trunk": {"tenant_uuid": ACME, "context": INCALL_CTX, "outgoing_caller_id_format": "+E164"},
    "endpoint_sip": endpoint_inputs(),
    "outcall": {"tenant_uuid": ACME, "name": "acme-out", "description": "to the provider"},
    "extension": {"tenant_uuid": ACME, "exten": "_418.", "context": OUTCALL_CTX},
    "incall": {"tenant_uuid": ACME, "destination": {"type": "user", "user_id": 1}},
    "trunk_endpoint": {
        "tenant_uuid": ACME,
        "trunk_id": 1,
        "endpoint_uuid": "0e0e0e0e-0000-4000-8000-000000000001",
    },
    "outcall_trunk": {"tenant_uuid": ACME, "outcall_id": 1, "trunk_ids": [1, 2]},
    "outcall_extension": {
        "tenant_uuid": ACME,
        "outcall_id": 1,
        "extension_id": 1,
        "strip_digits": 1,
        "caller_id": "+15551230000",
    },
    "incall_extension": {"tenant_uuid": ACME, "incall_id": 1, "extension_id": 2},
}


# The resources only a chan_sip-era Wazo (20.12 and before) has, and valid inputs of each.
LEGACY_PROVIDERS: dict[str, type[ResourceProvider]] = {
    "endpoint_sip_legacy": EndpointSipLegacyProvider,
    "register_sip": RegisterSipProvider,
    "trunk_register": TrunkRegisterSipProvider,
    "trunk_endpoint_legacy": TrunkEndpointSipLegacyProvider,
}
LEGACY_VALID: dict[str, dict[str, Any]] = {
    "endpoint_sip_legacy": {
        "tenant_uuid": ACME,
        "name": "acme-provider",
        "username": "u123",
        "secret": SIP_PASSWORD,
        "type": "peer",
        "host": "sip.provider.example",
        "options": [["insecure", "port,invite"], ["qualify", "yes"], ["qualifyfreq", "60"]],
    },
    "register_sip": {
        "tenant_uuid": ACME,
        "transport": "transport-udp",
        "sip_username": "u123",
        "auth_username": "u123",
        "auth_password": SIP_PASSWORD,
        "remote_host": "sip.provider.example",
        "expiration": 120,
    },
    "trunk_register": {"tenant_uuid": ACME, "trunk_id": 1, "register_id": 1},
    "trunk_endpoint_legacy": {"tenant_uuid": ACME, "trunk_id": 1, "endpoint_id": 1},
}


class Admin:
    """Direct confd calls for the tests' own setup and out-of-band changes (not the code under test)."""

    def __init__(self, sandbox: SandboxProcess, username: str = "acme-admin", password: str = "acme-secret"):  # noqa: S107
        self._base = sandbox.confd_url
        self._headers = {"X-Auth-Token": sandbox.token(username, password), "Wazo-Tenant": ACME}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, self._base + path, json=body, headers=self._headers, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, body)

    def put(self, path: str, body: Any = None) -> None:
        self._call("PUT", path, body)

    def delete(self, path: str) -> None:
        self._call("DELETE", path)

    def count(self, path: str) -> int:
        return int(self.get(path)["total"])

    def context_name(self, type_: str) -> str:
        """The acme tenant's only context of that type (named differently before 23.12)."""
        (context,) = self.get(f"/contexts?type={type_}")["items"]
        return str(context["name"])


def writes(log: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(method, path) of every logged request, in order."""
    return [(item["method"], item["path"]) for item in log]
