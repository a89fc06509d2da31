"""The confd client: the only code that speaks HTTP to wazo-confd (and, through auth, wazo-auth)."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from providers.confd.auth import TokenSource, token_source
from providers.confd.errors import (
    ConfdAlreadyExists,
    ConfdAuthError,
    ConfdConnectionError,
    ConfdError,
    ConfdNotFound,
    ConfdNotSent,
    ConfdRedirect,
    ConfdServerError,
    ConfdUncertainWrite,
    ConfdValidationError,
)
from providers.confd.retry import sleep_before_retry
from providers.confd.settings import Settings, current_settings, key_names
from providers.confd.transport import IN_FLIGHT, not_sent_reason

log = logging.getLogger(__name__)

_ACTIONS = {"GET": "read", "POST": "create", "PUT": "update", "DELETE": "delete"}


@dataclass(frozen=True)
class PostResult:
    """What a POST produced; `recovered` when a lost answer was recovered by a natural-key lookup."""

    body: dict[str, Any]
    recovered: bool = False


class _HttpPool:
    """One httpx.Client per TLS setup, shared by every thread of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str | None, float], httpx.Client] = {}

    def get(self, settings: Settings) -> httpx.Client:
        key = (settings.ca_bundle, settings.timeout)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                verify: ssl.SSLContext | bool = True
                if settings.ca_bundle:
                    try:
                        verify = ssl.create_default_context(cafile=settings.ca_bundle)
                    except (OSError, ssl.SSLError) as error:
                        raise ConfdError(
                            f"cannot load the CA bundle {settings.ca_bundle!r} ({error}): check "
                            f"{key_names('ca_bundle')}"
                        ) from None
                client = httpx.Client(
                    verify=verify,
                    timeout=httpx.Timeout(settings.timeout, connect=min(5.0, settings.timeout)),
                    follow_redirects=False,
                )
                self._clients[key] = client
            return client

    def close_all(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


POOL = _HttpPool()


def connect(tenant_uuid: str | None, settings: Settings | None = None) -> ConfdClient:
    """A client for one tenant, with the process's settings (validated before any connection)."""
    settings = (settings or current_settings()).validate()
    http = POOL.get(settings)
    return ConfdClient(settings, http, token_source(settings, http), tenant_uuid)


class TenantSession:
    """One Wazo service for one tenant: the request loop the confd and calld clients share.

    Each request carries a token and `Wazo-Tenant`. A 401 that `renewable` accepts renews the
    token once. A 5xx, or a transport failure, is retried with backoff when `retry` says it is safe
    (a request that provably never left always is); past the last attempt the 5xx is returned, and
    the transport failure goes to `no_answer`, which builds the error to raise.
    """

    def __init__(
        self, settings: Settings, http: httpx.Client, tokens: TokenSource, tenant_uuid: str | None
    ) -> None:
        self._settings = settings
        self._http = http
        self._tokens = tokens
        self.tenant_uuid = tenant_uuid

    @property
    def base(self) -> str:
        """The service's base URL (no credentials in it)."""
        raise NotImplementedError

    def _path(self, path: str) -> str:
        return httpx.URL(self.base + path).path

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        renewable: Callable[[httpx.Response], bool],
        no_answer: Callable[[httpx.TransportError, str | None], Exception],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        url = self.base + path
        attempts = self._settings.retries + 1
        renewed = False
        attempt = 0
        while True:
            token = self._tokens.token()
            headers = {"X-Auth-Token": token, "Accept": "application/json"}
            if self.tenant_uuid:
                headers["Wazo-Tenant"] = self.tenant_uuid
            try:
                response = self._http.request(
                    method,
                    url,
                    json=json,
                    params=dict(params) if params else None,
                    headers=headers,
                )
            except httpx.TransportError as error:
                log.debug("%s %s -> no answer (%s)", method, self._path(path), type(error).__name__)
                reason = not_sent_reason(error, httpx.URL(url))
                attempt += 1
                if (retry or reason is not None) and attempt < attempts:
                    sleep_before_retry(self._settings.backoff, attempt - 1)
                    continue
                raise no_answer(error, reason) from None
            log.debug("%s %s -> %s", method, self._path(path), response.status_code)
            expired = response.status_code == 401 and not renewed and renewable(response)
            if expired and self._tokens.renew(token):
                renewed = True
                continue
            if response.status_code >= 500:
                attempt += 1
                if retry and attempt < attempts:
                    sleep_before_retry(self._settings.backoff, attempt - 1)
                    continue
            return response


class ConfdClient(TenantSession):
    """confd 1.1 for one tenant: JSON in and out, `Wazo-Tenant` on every request."""

    @property
    def base(self) -> str:
        return self._settings.confd_base

    @property
    def confd_base(self) -> str:
        """The base URL of confd this client talks to (no credentials in it)."""
        return self._settings.confd_base

    # -- public verbs -------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self._send("GET", path, params=params, retry=True)
        return self._json(response, "GET", path)

    def get_document(self, path: str) -> str:
        """GET a document confd serves (its API spec) as text.

        The spec needs no credentials, but the token is sent all the same: the run needs one
        anyway, and a missing wazo-auth then fails first, as every other request of a run does.
        """
        response = self._send("GET", path, retry=True)
        self._check(response, "GET", path, ())
        return response.text

    def find(self, path: str, **filters: Any) -> list[dict[str, Any]]:
        """GET a collection with exact-match filters; only the items that really match every filter."""
        data = self.get(path, params=filters)
        items = data.get("items", []) if isinstance(data, dict) else []
        return [
            item
            for item in items
            if isinstance(item, dict) and all(str(item.get(k)) == str(v) for k, v in filters.items())
        ]

    def put(self, path: str, body: Mapping[str, Any] | None = None, redact: Iterable[str] = ()) -> None:
        response = self._send("PUT", path, json=body, retry=True)
        self._check(response, "PUT", path, redact)

    def delete(self, path: str) -> None:
        response = self._send("DELETE", path, retry=True)
        self._check(response, "DELETE", path, ())

    def post(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        recover: Callable[[], dict[str, Any] | None] | None,
        what: str,
        settle: bool = False,
        redact: Iterable[str] = (),
    ) -> PostResult:
        """POST; after a lost answer, retry only once `recover` proves that the POST did not land.

        `recover` looks for the object the lost attempt may have made. It returns that object when
        it can prove this call made it (the caller then uses it), None when nothing landed (the POST
        is then sent again), and raises when an object is there that is not provably ours. None
        instead of a function: nothing can tell, so a lost answer is reported and never retried.
        `settle`: after a timeout the server may still be working on the request; look only once one
        more client timeout has passed (for objects that no unique key protects from a second
        creation).
        """
        redact = tuple(redact)
        attempts = self._settings.retries + 1
        lost: ConfdError | None = None
        for attempt in range(attempts):
            in_flight = False
            try:
                # a request that provably never left is retried inside _send, whatever its method
                response = self._send("POST", path, json=body, retry=False)
            except ConfdNotSent:
                if lost is None:
                    raise
                raise self._unrecovered(lost, what) from None
            except ConfdConnectionError as error:
                lost, in_flight = error, error.in_flight
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return PostResult(self._json(response, "POST", path, redact))
                refused = self._error(response, "POST", path, redact)
                if status < 500:
                    if lost is not None and isinstance(refused, ConfdAlreadyExists) and recover is not None:
                        # an earlier attempt whose answer was lost may have landed since
                        found = recover()
                        if found is not None:
                            log.info("POST %s: the earlier attempt had landed; using %s", path, what)
                            return PostResult(found, recovered=True)
                    raise refused
                lost, in_flight = refused, status == 504
            if recover is None:
                raise ConfdUncertainWrite(
                    f"confd's answer to the creation of {what} was lost ({lost.summary}); it may or may "
                    f"not have been created, and nothing can tell, so it was not retried",
                    status=lost.status,
                    method="POST",
                    path=self._path(path),
                ) from None
            found = self._look(recover, settle and in_flight)
            if found is not None:
                log.info("POST %s: the lost attempt had landed; using %s", path, what)
                return PostResult(found, recovered=True)
            log.info("POST %s: the lost attempt did not land; retrying", path)
            if attempt + 1 < attempts:
                sleep_before_retry(self._settings.backoff, attempt)
        assert lost is not None
        raise self._unrecovered(lost, what)

    def _look(self, recover: Callable[[], dict[str, Any] | None], settle: bool) -> dict[str, Any] | None:
        """`recover()`; when `settle`, only after the server has had one more client timeout.

        A request that timed out may still be running on the server: looking at once could miss
        what it is about to make, and looking as soon as something shows could take another
        client's object for ours before ours lands. Waiting the whole time first lets the look
        see both, and refuse to choose.
        """
        if settle:
            time.sleep(self._settings.timeout)
        return recover()

    def _unrecovered(self, lost: ConfdError, what: str) -> ConfdError:
        lost.summary = (
            f"confd did not create {what} ({lost.summary}); each lost answer was checked and nothing "
            f"had landed, so nothing is left behind"
        )
        return lost

    def full_path(self, path: str) -> str:
        """The URL path of a confd path, as errors and request logs show it."""
        return self._path(path)

    # -- plumbing -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        retry: bool,
    ) -> httpx.Response:
        """One request, retried when that is safe: always when it never left, else only if `retry`."""

        def no_answer(error: httpx.TransportError, reason: str | None) -> ConfdError:
            if reason is not None:
                return ConfdNotSent(reason, method=method, path=self._path(path))
            lost = ConfdConnectionError(
                f"no answer from confd ({type(error).__name__})", method=method, path=self._path(path)
            )
            lost.in_flight = isinstance(error, IN_FLIGHT)
            return lost

        # confd's 401 body echoes the token: never read; any 401 is worth one renewal
        response = self._exchange(
            method, path, retry=retry, renewable=lambda _: True, no_answer=no_answer, json=json, params=params
        )
        if response.status_code == 401:
            # still refused after one renewal, or none was possible (a static token): give up
            raise self._auth_error(method, path)
        return response

    def _auth_error(self, method: str, path: str) -> ConfdAuthError:
        # confd's 401 body echoes the token: never read it. Name the ACL from the path instead.
        segments = [s for s in path.strip("/").split("/") if s]
        acl = "confd." + ".".join([*segments, _ACTIONS.get(method, method.lower())])
        source = "the static token" if self._settings.token else f"user {self._settings.username!r}"
        return ConfdAuthError(
            f"confd refused {source} (401): the token is invalid or expired, lacks the ACL "
            f"(about {acl}), or cannot reach tenant {self.tenant_uuid}",
            status=401,
            method=method,
            path=self._path(path),
        )

    def _json(self, response: httpx.Response, method: str, path: str, redact: Iterable[str] = ()) -> Any:
        self._check(response, method, path, redact)
        try:
            return response.json()
        except ValueError:
            raise ConfdError(
                "confd answered with something that is not JSON",
                status=response.status_code,
                method=method,
                path=self._path(path),
            ) from None

    def _check(self, response: httpx.Response, method: str, path: str, redact: Iterable[str]) -> None:
        if 200 <= response.status_code < 300:
            return
        raise self._error(response, method, path, redact)

    def _error(self, response: httpx.Response, method: str, path: str, redact: Iterable[str]) -> ConfdError:
        status = response.status_code
        if 300 <= status < 400:
            return self._redirect(response, method, path)
        messages = self._scrub(_messages(response), redact)
        kind: type[ConfdError] = ConfdError
        summary = "unexpected answer from confd"
        if status == 404:
            kind, summary = ConfdNotFound, "not found"
        elif status == 400:
            kind, summary = ConfdValidationError, "confd refused the request"
            if any("already exists" in m for m in messages):
                kind, summary = ConfdAlreadyExists, "already exists"
        elif status >= 500:
            kind, summary = ConfdServerError, "confd failed"
        return kind(summary, status=status, messages=messages, method=method, path=self._path(path))

    def _redirect(self, response: httpx.Response, method: str, path: str) -> ConfdRedirect:
        # a redirect is never followed (the credentials would go with it) nor taken for success
        location = self._scrub([response.headers.get("Location", "")], ())[0] or "(no Location header)"
        error = ConfdRedirect(
            f"confd answered with a redirect to {location} instead of doing the {method}: nothing was "
            f"changed. Point {key_names('url')} (or {key_names('confd_url')}) at the address it names "
            f"if that is the Wazo",
            status=response.status_code,
            method=method,
            path=self._path(path),
        )
        error.location = location
        return error

    def _scrub(self, messages: list[str], redact: Iterable[str]) -> list[str]:
        # longest first: a secret that contains another must not be left half masked
        secrets = sorted({s for s in (*self._tokens.secrets, *redact) if s}, key=len, reverse=True)
        cleaned = []
        for message in messages:
            for secret in secrets:
                message = message.replace(secret, "***")
            cleaned.append(message)
        return cleaned


def _messages(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [text[:500]] if text else []
    if isinstance(body, list):
        return [str(item) for item in body]
    if isinstance(body, dict):
        reason = body.get("reason") or body.get("message")
        if isinstance(reason, list):
            return [str(item) for item in reason]
        if reason:
            return [str(reason)]
    return [str(body)[:500]]
