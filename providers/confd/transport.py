"""What a transport failure proves: whether the request left this machine, and why not.

A refused connection, a name that does not resolve, a connect timeout or a TLS handshake that
failed (an untrusted certificate above all) all happen before the first byte of the request is
written: such a request is certain not to have reached the server, so it can be retried like a
GET, whatever its method, and it must be reported as what it is. Any other transport failure
(a read timeout, a dropped connection) leaves the outcome unknown.
"""

from __future__ import annotations

import ssl

import httpx

from providers.confd.settings import key_names

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
IN_FLIGHT = (httpx.ReadTimeout, httpx.WriteTimeout)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _certificate_problem(error: BaseException) -> str | None:
    for item in _chain(error):
        if isinstance(item, ssl.SSLCertVerificationError):
            return str(item.verify_message or item.reason or "certificate verify failed")
    for item in _chain(error):
        text = str(item)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            problem = text.split("certificate verify failed:", 1)[-1]
            return problem.split("(_ssl.c", 1)[0].strip() or "certificate verify failed"
    return None


def _tls_problem(error: BaseException) -> str | None:
    for item in _chain(error):
        if isinstance(item, ssl.SSLError):
            return str(item.reason or item)
    return None


def where(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.host}{port}"


def not_sent_reason(error: httpx.TransportError, url: httpx.URL) -> str | None:
    """Why `error` proves that the request never left, or None when it may have been sent."""
    if not isinstance(error, NOT_SENT):
        return None
    host = where(url)
    certificate = _certificate_problem(error)
    if certificate is not None:
        return (
            f"the TLS certificate of {host} is not trusted ({certificate}); nothing was sent. If the "
            f"Wazo uses a self-signed certificate or its own CA, give that CA's PEM file in "
            f"{key_names('ca_bundle')}"
        )
    tls = _tls_problem(error)
    if tls is not None:
        return (
            f"the TLS handshake with {host} failed ({tls}); nothing was sent. Check that "
            f"{key_names('url')} names the https port of the Wazo"
        )
    if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
        return f"no connection to {host} could be opened in time; nothing was sent. Check {key_names('url')}"
    if isinstance(error, httpx.UnsupportedProtocol):
        return f"{url.scheme!r} is not http or https; nothing was sent. Check {key_names('url')}"
    reason = str(error).strip() or type(error).__name__
    return f"cannot connect to {host} ({reason}); nothing was sent. Check {key_names('url')}"
