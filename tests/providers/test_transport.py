"""Transport and answers: TLS, requests that never left, redirects, updates verified, messages scrubbed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from providers._base import ObjectSpec
from providers.confd import (
    ConfdConfigError,
    ConfdMismatch,
    ConfdNotSent,
    ConfdRedirect,
    ConfdValidationError,
    Settings,
    configure,
    connect,
)
from providers.confd.auth import forget_tokens
from providers.confd.client import POOL
from providers.outcall import OutcallProvider
from providers.trunk import SPEC as TRUNK_SPEC
from providers.trunk import TrunkProvider
from tests.providers.support import ACME, CONFD, SIP_PASSWORD, TOKEN_PATH, VALID, writes
from tests.support.sandbox import SandboxProcess
from tests.support.tls import TlsFront, make_certificate

TRUNK = VALID["trunk"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls(acme: SandboxProcess, certificate: tuple[Path, Path]) -> Iterator[TlsFront]:
    port = int(acme.url.rsplit(":", 1)[1])
    front = TlsFront(port, *certificate)
    yield front
    front.stop()
    POOL.close_all()


def test_an_untrusted_certificate_is_reported_as_such_and_nothing_was_sent(acme, tls):
    configure(Settings(url=tls.url, username="acme-admin", password="acme-secret", backoff=0.0))
    forget_tokens()
    with pytest.raises(ConfdNotSent) as caught:
        TrunkProvider().create(TRUNK)
    text = str(caught.value)
    assert "TLS certificate of 127.0.0.1" in text
    assert "self-signed certificate" in text  # the certificate problem, in the TLS library's words
    assert "wazo-voip:caBundle (or WAZO_CA_BUNDLE)" in text
    assert "nothing was sent" in text
    assert "may or may not" not in text
    assert "orphan" not in text
    assert acme.requests() == []  # no request reached the sandbox
    assert tls.handshake_failures == Settings(url="").retries + 1  # retried like any safe request


def test_with_the_right_ca_bundle_the_same_front_works(acme, admin, tls, certificate):
    configure(
        Settings(url=tls.url, username="acme-admin", password="acme-secret", ca_bundle=str(certificate[0]))
    )
    forget_tokens()
    provider = TrunkProvider()
    created = provider.create(TRUNK)
    assert admin.get(f"/trunks/{created.id}")["context"] == TRUNK["context"]
    assert provider.read(created.id, created.outs or {}).id == created.id
    assert tls.handshake_failures == 0


def test_a_refused_connection_is_retried_even_for_a_post_and_called_certain(acme):
    configure(Settings(url="http://127.0.0.1:9", token="t", backoff=0.0))
    with pytest.raises(ConfdNotSent) as caught:
        connect(ACME).post("/trunks", {}, recover=None, what="a trunk")
    text = str(caught.value)
    assert "cannot connect to 127.0.0.1:9" in text
    assert "nothing was sent" in text
    assert "wazo-voip:url (or WAZO_URL)" in text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "GET"])
def test_a_redirect_is_an_error_that_names_its_location(acme, admin, method):
    provider = OutcallProvider()
    created = provider.create(VALID["outcall"]) if method != "POST" else None
    where = "https://elsewhere.example/api/confd/1.1/outcalls"
    path = re.escape(CONFD) + "/outcalls.*"
    acme.fault(method=method, path=path, times=5, action="status", status=302, location=where)
    checked = provider.check({}, {**VALID["outcall"], "description": "moved"}).inputs
    id_, outs = (created.id, created.outs or {}) if created is not None else ("", {})
    calls = {
        "POST": lambda: provider.create(checked),
        "PUT": lambda: provider.update(id_, outs, checked),
        "DELETE": lambda: provider.delete(id_, outs),
        "GET": lambda: provider.read(id_, outs),
    }
    with pytest.raises(ConfdRedirect) as caught:
        calls[method]()
    assert caught.value.location == where
    assert f"redirect to {where}" in str(caught.value)
    assert "nothing was changed" in str(caught.value)
    fired = [f["fired"] for f in acme.faults()]
    assert fired == [1]  # a redirect is not retried, nor followed
    acme.clear_faults()
    if created is not None:
        assert admin.get(f"/outcalls/{created.id}")["description"] == VALID["outcall"]["description"]


def test_a_redirect_from_wazo_auth_names_its_location(acme):
    acme.fault(method="POST", path=re.escape(TOKEN_PATH), action="status", status=307, location="/login")
    with pytest.raises(ConfdRedirect, match="redirect to /login"):
        TrunkProvider().create(TRUNK)


class _DropsOnUpdate(TrunkProvider):
    """A trunk spec whose PUT misspells a key, as an outdated client would: confd drops it."""

    spec: ClassVar[ObjectSpec] = replace(
        TRUNK_SPEC,
        to_body=lambda args: {
            "context": args.context,
            "outgoing_callerid_format": args.outgoing_caller_id_format,
        },
    )


def test_a_field_confd_dropped_on_update_fails_the_update_naming_it(acme, admin):
    created = TrunkProvider().create(TRUNK)
    news = TrunkProvider().check({}, {**TRUNK, "outgoing_caller_id_format": "national"}).inputs
    seq = acme.last_seq()
    with pytest.raises(ConfdMismatch) as caught:
        _DropsOnUpdate().update(created.id, created.outs or {}, news)
    assert "outgoing_caller_id_format (sent 'national', stored '+E164')" in str(caught.value)
    assert f"update of the trunk {created.id}" in str(caught.value)
    # one PUT, then the GET that shows what confd kept
    assert [m for m, _ in writes(acme.requests(since=seq))] == ["PUT", "GET"]


def test_plain_http_to_a_remote_wazo_auth_is_refused_though_confd_is_https():
    settings = Settings(
        url="https://wazo.example.com",
        auth_url="http://auth.example.com/api/auth/0.1",
        token=None,
        username="u",
        password="p",
    )
    with pytest.raises(ConfdConfigError, match=r"plain http to auth\.example\.com"):
        settings.validate()
    Settings(
        url="https://wazo.example.com", auth_url="https://auth.example.com", username="u", password="p"
    ).validate()


def echo_context(value: str) -> dict[str, Any]:
    # confd names an unknown context in its refusal: the value comes back in its message
    return {"context": value, "outgoing_caller_id_format": "+E164"}


def test_credentials_are_scrubbed_from_confds_messages(acme):
    created = TrunkProvider().create(TRUNK)
    client = connect(ACME)
    for secret, redact in (("acme-secret", ()), (SIP_PASSWORD, (SIP_PASSWORD,))):
        with pytest.raises(ConfdValidationError) as caught:
            client.put(f"/trunks/{created.id}", echo_context(secret), redact=redact)
        text = str(caught.value)
        assert "Context was not found" in text  # confd's message is kept...
        assert "***" in text  # ...with the credential it echoed masked
        assert secret not in text
