"""Token sources: a static token, or a username and password exchanged with wazo-auth.

A password source keeps one token per process and credential set, shared by every thread behind
a lock: the provider server runs four calls at once and they must not each log in.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from providers.confd.errors import (
    ConfdAuthError,
    ConfdConnectionError,
    ConfdError,
    ConfdNotSent,
    ConfdRedirect,
    ConfdServerError,
)
from providers.confd.retry import sleep_before_retry
from providers.confd.settings import Settings, key_names
from providers.confd.transport import not_sent_reason

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    """Where the X-Auth-Token of a request comes from."""

    def token(self) -> str:
        """A token believed valid now."""
        ...

    def renew(self, rejected: str) -> bool:
        """confd refused `rejected` with a 401: get a fresh one; False when that is impossible."""
        ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line or an error message."""
        ...


class StaticToken:
    """A token given in the settings: used as is, never renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def renew(self, rejected: str) -> bool:
        return False

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._token,)


@dataclass
class _Issued:
    token: str
    renew_at: float  # time.monotonic() after which a new token is requested


class PasswordTokenSource:
    """Username and password exchanged with wazo-auth for a token, renewed before it expires."""

    def __init__(self, settings: Settings, http: httpx.Client, cache: _TokenCache) -> None:
        assert settings.username is not None
        assert settings.password is not None
        self._settings = settings
        self._http = http
        self._cache = cache
        self._key = _credential_key(settings)

    @property
    def secrets(self) -> tuple[str, ...]:
        issued = self._cache.peek(self._key)
        values = [self._settings.password or ""]
        if issued is not None:
            values.append(issued.token)
        return tuple(v for v in values if v)

    def token(self) -> str:
        with self._cache.lock(self._key):
            issued = self._cache.peek(self._key)
            if issued is None or time.monotonic() >= issued.renew_at:
                issued = self._login()
                self._cache.store(self._key, issued)
            return issued.token

    def renew(self, rejected: str) -> bool:
        with self._cache.lock(self._key):
            issued = self._cache.peek(self._key)
            # another thread may already have replaced the rejected token: use that one
            if issued is None or issued.token == rejected:
                self._cache.store(self._key, self._login())
        return True

    def _login(self) -> _Issued:
        settings = self._settings
        url = settings.auth_base + "/token"
        path = httpx.URL(url).path
        lifetime = settings.token_lifetime
        attempts = settings.retries + 1
        for attempt in range(attempts):
            started = time.monotonic()
            try:
                response = self._http.post(
                    url,
                    auth=(settings.username or "", settings.password or ""),
                    json={"expiration": lifetime},
                    headers={"Accept": "application/json"},
                )
            except httpx.TransportError as error:
                reason = not_sent_reason(error, httpx.URL(url))
                if attempt + 1 < attempts:
                    _sleep_backoff(settings, attempt)
                    continue
                if reason is not None:
                    raise ConfdNotSent(f"wazo-auth: {reason}", method="POST", path=path) from None
                raise ConfdConnectionError(
                    f"wazo-auth did not answer ({type(error).__name__}): check {key_names('url')}",
                    method="POST",
                    path=path,
                ) from None
            if response.status_code >= 500 and attempt + 1 < attempts:
                _sleep_backoff(settings, attempt)
                continue
            break
        log.debug("POST %s -> %s", path, response.status_code)
        if response.status_code in (401, 403):
            raise ConfdAuthError(
                f"wazo-auth refused the credentials of user {settings.username!r}: check "
                f"{key_names('username')} and {key_names('password')}",
                status=response.status_code,
                method="POST",
                path=path,
            )
        if response.status_code >= 500:
            raise ConfdServerError(
                "wazo-auth failed to issue a token", status=response.status_code, method="POST", path=path
            )
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location") or "(no Location header)"
            redirect = ConfdRedirect(
                f"wazo-auth answered with a redirect to {location} instead of issuing a token: point "
                f"{key_names('url')} (or {key_names('auth_url')}) at the address it names if that is "
                f"the Wazo",
                status=response.status_code,
                method="POST",
                path=path,
            )
            redirect.location = location
            raise redirect
        if response.status_code != 200:
            raise ConfdError(
                "wazo-auth did not issue a token (unexpected answer)",
                status=response.status_code,
                method="POST",
                path=path,
            )
        try:
            data = response.json()["data"]
            token = str(data["token"])
            granted = _lifetime(data) or lifetime
        except (ValueError, KeyError, TypeError):
            raise ConfdError(
                "wazo-auth answered 200 without a token: is the URL a Wazo?", method="POST", path=path
            ) from None
        # renew with a margin, measured on our own clock (the server's clock may be off)
        margin = min(60.0, granted / 10)
        return _Issued(token=token, renew_at=started + granted - margin)


def _lifetime(data: dict[str, object]) -> float | None:
    try:
        issued = datetime.fromisoformat(str(data["utc_issued_at"]))
        expires = datetime.fromisoformat(str(data["utc_expires_at"]))
    except (KeyError, ValueError):
        return None
    seconds = (expires - issued).total_seconds()
    return seconds if seconds > 0 else None


def _credential_key(settings: Settings) -> str:
    material = "\0".join((settings.auth_base, settings.username or "", settings.password or ""))
    return hashlib.sha256(material.encode()).hexdigest()


def _sleep_backoff(settings: Settings, attempt: int) -> None:
    sleep_before_retry(settings.backoff, attempt)


class _TokenCache:
    """Tokens by credential set, one lock per set."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._issued: dict[str, _Issued] = {}

    def lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def peek(self, key: str) -> _Issued | None:
        return self._issued.get(key)

    def store(self, key: str, issued: _Issued) -> None:
        self._issued[key] = issued

    def clear(self) -> None:
        with self._guard:
            self._issued.clear()


TOKENS = _TokenCache()


def token_source(settings: Settings, http: httpx.Client) -> TokenSource:
    if settings.token:
        return StaticToken(settings.token)
    return PasswordTokenSource(settings, http, TOKENS)


def forget_tokens() -> None:
    """Drop every cached token (tests; a new credential set gets a new token anyway)."""
    TOKENS.clear()
