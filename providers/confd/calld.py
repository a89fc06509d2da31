"""wazo-calld, read only: the live status of a tenant's trunks (`GET /1.0/trunks`).

Same settings, TLS setup and tokens as the confd client; only the base URL differs
(`<url>/api/calld/1.0`, or `calldUrl`). calld's 401 body repeats the token, so only its `reason`
is ever read from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from providers.confd.auth import token_source
from providers.confd.client import POOL, TenantSession
from providers.confd.errors import (
    ConfdAuthError,
    ConfdConnectionError,
    ConfdError,
    ConfdNotFound,
    ConfdServerError,
)
from providers.confd.settings import Settings, current_settings, key_names

SERVICE = "wazo-calld"
TRUNKS_ACL = "calld.trunks.read"
MISSING_PERMISSION = "missing_permission_or_invalid_tenant"


@dataclass(frozen=True)
class TrunkStatus:
    """One item of calld's list: a confd trunk, its Asterisk endpoint and what Asterisk last said of it.

    `registered` and `current_call_count` are None when calld holds no Asterisk state for the
    endpoint (a custom trunk, or one absent from Asterisk when calld started).
    """

    id: int
    name: str
    technology: str
    registered: bool | None
    current_call_count: int | None


def calld_client(tenant_uuid: str | None, settings: Settings | None = None) -> CalldClient:
    """A calld client for one tenant (validated settings, calld's URL included, before any request)."""
    settings = (settings or current_settings()).validate(calld=True)
    http = POOL.get(settings)
    return CalldClient(settings, http, token_source(settings, http), tenant_uuid)


class CalldClient(TenantSession):
    """`GET /trunks` for one tenant, `Wazo-Tenant` on the request; retried like confd's reads."""

    @property
    def base(self) -> str:
        return self._settings.calld_base

    def trunks(self) -> list[TrunkStatus]:
        """Every trunk of the tenant that calld knows of, with an endpoint (calld lists no other)."""
        response = self._get("/trunks")
        try:
            items = response.json()["items"]
            return [_status(item) for item in items]
        except (ValueError, KeyError, TypeError):
            raise self._error(
                "wazo-calld answered with something that is not its trunk list", response.status_code
            ) from None

    def _error(self, summary: str, status: int | None, messages: list[str] | None = None) -> ConfdError:
        kind: type[ConfdError] = ConfdError
        if status in (401, 403):
            kind = ConfdAuthError
        elif status == 404:
            kind = ConfdNotFound
        elif status is not None and status >= 500:
            kind = ConfdServerError
        return kind(
            summary,
            status=status,
            messages=messages or [],
            method="GET",
            path=self._path("/trunks"),
            service=SERVICE,
        )

    def _get(self, path: str) -> httpx.Response:
        def no_answer(error: httpx.TransportError, reason: str | None) -> ConfdError:
            return ConfdConnectionError(
                f"no answer from wazo-calld at {self.base} ({type(error).__name__}): "
                f"check {self._url_keys()}",
                method="GET",
                path=self._path(path),
                service=SERVICE,
            )

        # an expired token is worth renewing once; a missing ACL or tenant is not
        response = self._exchange(
            "GET", path, retry=True, renewable=lambda r: _reason(r) != MISSING_PERMISSION, no_answer=no_answer
        )
        if response.status_code >= 400:
            raise self._refusal(response)
        return response

    def _url_keys(self) -> str:
        return key_names("calld_url") if self._settings.calld_url else key_names("url")

    def _refusal(self, response: httpx.Response) -> ConfdError:
        status = response.status_code
        source = "the static token" if self._settings.token else f"user {self._settings.username!r}"
        if status == 401:
            reason = _reason(response)
            if reason == "not_found_or_expired":
                why = "the token is invalid or expired"
            else:
                why = f"the token lacks the ACL {TRUNKS_ACL}, or cannot reach tenant {self.tenant_uuid}"
            return self._error(f"wazo-calld refused {source} (401): {why}", status)
        if status == 403:
            return self._error(f"wazo-calld refused {source} (403)", status)
        if status == 404:
            return self._error(
                f"no wazo-calld trunk list at {self.base} (404): set {key_names('calld_url')} to "
                "calld's base URL (e.g. https://wazo.example.com/api/calld/1.0)",
                status,
            )
        if status >= 500:
            return self._error("wazo-calld failed", status, _message(response))
        return self._error("unexpected answer from wazo-calld", status, _message(response))


def _status(item: Any) -> TrunkStatus:
    registered = item.get("registered")
    count = item.get("current_call_count")
    return TrunkStatus(
        id=int(item["id"]),
        name=str(item["name"]),
        technology=str(item.get("technology") or "unknown"),
        registered=None if registered is None else bool(registered),
        current_call_count=None if count is None else int(count),
    )


def _reason(response: httpx.Response) -> str | None:
    """The `reason` of calld's 401 details; nothing else of that body (it holds the token)."""
    try:
        reason = response.json()["details"]["reason"]
    except (ValueError, KeyError, TypeError):
        return None
    return reason if isinstance(reason, str) else None


def _message(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [text[:300]] if text else []
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return [body["message"]]
    return [str(body)[:300]]
