"""The error tree of the HTTP layer (confd, wazo-auth, wazo-calld): every failure is one of these.

    ConfdError                      status, confd's messages, method, path
     +-- ConfdConfigError           settings missing or unsafe (raised before any connection)
     +-- ConfdConnectionError       no answer: timed out or dropped after the request was sent
     |    +-- ConfdNotSent          the request never left: refused, DNS failure, TLS not trusted
     +-- ConfdAuthError             wazo-auth refused the credentials, or confd refused the token (401)
     +-- ConfdNotFound              404
     +-- ConfdValidationError       400 (confd's messages say why)
     |    +-- ConfdAlreadyExists    400 "... already exists"
     +-- ConfdServerError           5xx
     +-- ConfdRedirect              3xx: nothing was done; the answer names where it points
     +-- ConfdUncertainWrite        a POST whose outcome cannot be known; nothing adopted
     +-- ConfdMismatch              confd accepted a write but did not store what was sent

No error ever carries a header, a token, a password or a 401 body (confd echoes the token there).
"""

from __future__ import annotations

from collections.abc import Sequence


class ConfdError(Exception):
    """A failed exchange with wazo-confd, wazo-auth or wazo-calld (`service` names which answered)."""

    def __init__(
        self,
        summary: str,
        *,
        status: int | None = None,
        messages: Sequence[str] = (),
        method: str | None = None,
        path: str | None = None,
        service: str = "confd",
    ) -> None:
        self.summary = summary
        self.service = service
        self.status = status
        self.messages = list(messages)
        self.method = method
        self.path = path
        super().__init__(self._text())

    def __str__(self) -> str:
        return self._text()

    def _text(self) -> str:
        text = self.summary
        where = " ".join(part for part in (self.method, self.path) if part)
        if where:
            text += f" [{where}" + (f" -> HTTP {self.status}" if self.status is not None else "") + "]"
        if self.messages:
            text += f"\n{self.service} said: " + " | ".join(self.messages)
        return text


class ConfdConfigError(ConfdError):
    """The provider settings are missing or would be unsafe to use."""


class ConfdConnectionError(ConfdError):
    """No usable answer to a request that was sent: it timed out or the connection was dropped.

    `in_flight` is true when the server may still be working on it (a timeout).
    """

    in_flight: bool = False


class ConfdNotSent(ConfdConnectionError):
    """The request never left this machine (refused connection, DNS failure, untrusted TLS)."""


class ConfdAuthError(ConfdError):
    """Authentication or authorization failed."""


class ConfdNotFound(ConfdError):
    """The object in the URL does not exist (or is outside the tenant)."""


class ConfdValidationError(ConfdError):
    """confd refused the request (HTTP 400)."""


class ConfdAlreadyExists(ConfdValidationError):
    """An object with the same unique key already exists."""


class ConfdServerError(ConfdError):
    """confd or wazo-auth failed (HTTP 5xx)."""


class ConfdRedirect(ConfdError):
    """A 3xx answer: the server did nothing and points elsewhere (`location`)."""

    location: str | None = None


class ConfdUncertainWrite(ConfdError):
    """A POST may or may not have landed, and nothing can prove which object it made: none adopted."""


class ConfdMismatch(ConfdError):
    """confd answered success but stored something other than what was sent."""
