"""Authentication and settings: token renewal, clear refusals, no secret anywhere, safe transport."""

from __future__ import annotations

import logging
import time

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from providers.confd import (
    ConfdAlreadyExists,
    ConfdAuthError,
    ConfdConfigError,
    ConfdError,
    Settings,
    configure,
    current_settings,
)
from providers.confd.auth import TOKENS, forget_tokens
from providers.endpoint_sip import EndpointSipProvider
from providers.trunk import TrunkProvider
from tests.providers.conftest import aim
from tests.providers.support import ACME, SIP_PASSWORD, TOKEN_PATH, VALID, endpoint_inputs, writes

TRUNK = VALID["trunk"]


def test_an_expired_token_is_renewed_once_mid_run(acme):
    provider = TrunkProvider()
    created = provider.create(TRUNK)
    acme.expire_tokens()
    seq = acme.last_seq()
    read = provider.read(created.id, (created.outs or {}))
    assert read.id == created.id
    log = acme.requests(since=seq)
    assert [
        (m, p.split("/")[-2] if p != TOKEN_PATH else "token", s)
        for (m, p), s in zip(writes(log), [i["status"] for i in log], strict=True)
    ] == [
        ("GET", "trunks", 401),
        ("POST", "token", 200),
        ("GET", "trunks", 200),
    ]
    # and the renewed token serves the rest of the run
    seq = acme.last_seq()
    provider.delete(created.id, (created.outs or {}))
    assert [m for m, _ in writes(acme.requests(since=seq))] == ["DELETE"]


def test_a_token_is_renewed_before_it_expires(acme):
    configure(Settings(url=acme.url, username="acme-admin", password="acme-secret", token_lifetime=2))
    provider = TrunkProvider()
    created = provider.create(TRUNK)
    time.sleep(2.0)
    provider.read(created.id, (created.outs or {}))
    log = acme.requests()
    assert [(i["method"], i["status"]) for i in log] == [
        ("POST", 200),
        ("GET", 200),  # the look before the POST (what proves, after a lost answer, what it made)
        ("POST", 201),
        ("POST", 200),
        ("GET", 200),
    ]
    assert log[3]["path"] == TOKEN_PATH  # renewed ahead of time: confd never saw the old token expire


def test_a_bad_ca_bundle_is_reported_before_any_connection():
    configure(Settings(url="https://127.0.0.1:1", token="t", ca_bundle="/nonexistent/ca.pem"))
    try:
        with pytest.raises(ConfdError, match=r"cannot load the CA bundle .*wazo-voip:caBundle"):
            TrunkProvider().read("1", TRUNK)
    finally:
        configure(None)


def test_one_token_serves_a_whole_run(acme):
    trunk, endpoint = TrunkProvider(), EndpointSipProvider()
    seq = acme.last_seq()
    made = [trunk.create(TRUNK), trunk.create(TRUNK), endpoint.create(endpoint_inputs())]
    for result, provider in zip(made, (trunk, trunk, endpoint), strict=True):
        provider.read(result.id, (result.outs or {}))
    log = writes(acme.requests(since=seq))
    assert log.count(("POST", TOKEN_PATH)) == 1
    assert log[0] == ("POST", TOKEN_PATH)
    assert len(log) == 1 + 3 * 2 + 3  # the token, a look and a POST per create, a GET per read


def test_wrong_password_is_a_clear_error(acme):
    aim(acme, "acme-admin", "not-the-password")
    with pytest.raises(ConfdAuthError) as caught:
        TrunkProvider().create(TRUNK)
    text = str(caught.value)
    assert "wazo-auth refused the credentials of user 'acme-admin'" in text
    assert "wazo-voip:password (or WAZO_PASSWORD)" in text
    assert "not-the-password" not in text
    assert [m for m, _ in writes(acme.requests())] == ["POST"]  # no confd call without a token


def test_a_token_without_permission_is_a_clear_error(acme):
    aim(acme, "acme-noacl", "noacl-secret")
    with pytest.raises(ConfdAuthError) as caught:
        TrunkProvider().create(TRUNK)
    text = str(caught.value)
    assert "confd refused user 'acme-noacl' (401)" in text
    assert "confd.trunks.read" in text  # the look before the POST is the first confd request
    assert ACME in text
    log = acme.requests()
    # renewed once, then refused again: never a loop
    assert [(i["method"], i["status"]) for i in log] == [
        ("POST", 200),
        ("GET", 401),
        ("POST", 200),
        ("GET", 401),
    ]


def test_a_static_token_is_used_as_is_and_not_renewed(acme):
    token = acme.token("acme-admin", "acme-secret")
    configure(Settings(url=acme.url, token=token))
    forget_tokens()
    seq = acme.last_seq()
    created = TrunkProvider().create(TRUNK)
    assert writes(acme.requests(since=seq)) == [
        ("GET", "/api/confd/1.1/trunks"),
        ("POST", "/api/confd/1.1/trunks"),
    ]
    acme.expire_tokens()
    with pytest.raises(ConfdAuthError) as caught:
        TrunkProvider().read(created.id, (created.outs or {}))
    assert "the static token" in str(caught.value)
    assert token not in str(caught.value)


@pytest.mark.parametrize("url", ["http://192.0.2.1", "http://wazo.example.com:8080/base"])
def test_plain_http_to_a_remote_host_is_refused_before_any_connection(url):
    configure(Settings(url=url, username="acme-admin", password="acme-secret"))
    try:
        with pytest.raises(ConfdConfigError) as caught:
            TrunkProvider().create(TRUNK)
        assert "refusing to send credentials over plain http" in str(caught.value)
        assert "wazo-voip:insecure (or WAZO_INSECURE)" in str(caught.value)
        # explicitly allowed: the settings pass (nothing is sent here)
        Settings(url=url, username="u", password="p", insecure=True).validate()
    finally:
        configure(None)


def test_loopback_and_https_are_accepted():
    for url in ("http://127.0.0.1:9486", "http://localhost", "http://[::1]:80", "https://wazo.example.com"):
        Settings(url=url, token="t").validate()


def test_settings_come_from_stack_config_with_env_fallback(monkeypatch):
    for name in ("WAZO_URL", "WAZO_USERNAME", "WAZO_PASSWORD", "WAZO_TOKEN", "WAZO_INSECURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAZO_PASSWORD", "from-env")
    config = Config({"wazo-voip:url": "https://wazo.example.com", "wazo-voip:username": "admin"}, "wazo-voip")
    TrunkProvider().configure(ConfigureRequest(config))
    try:
        settings = current_settings()
        assert settings.url == "https://wazo.example.com"
        assert settings.username == "admin"
        assert settings.password == "from-env"
        assert settings.confd_base == "https://wazo.example.com/api/confd/1.1"
        assert settings.auth_base == "https://wazo.example.com/api/auth/0.1"
        assert "from-env" not in repr(settings)
        # explicit config wins over the environment
        config = Config({"wazo-voip:url": "https://a.example", "wazo-voip:token": "tok"}, "wazo-voip")
        TrunkProvider().configure(ConfigureRequest(config))
        assert current_settings().token == "tok"
        # nothing at all: the error names the config key and the variable
        monkeypatch.delenv("WAZO_PASSWORD")
        TrunkProvider().configure(ConfigureRequest(Config({}, "wazo-voip")))
        with pytest.raises(ConfdConfigError, match=r"wazo-voip:url \(or WAZO_URL\)"):
            current_settings()
        TrunkProvider().configure(
            ConfigureRequest(Config({"wazo-voip:url": "https://a.example"}, "wazo-voip"))
        )
        with pytest.raises(ConfdConfigError, match=r"wazo-voip:token \(or WAZO_TOKEN\)"):
            current_settings()
    finally:
        configure(None)


def test_no_secret_in_any_log_line_or_error(acme, caplog):
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    endpoint = EndpointSipProvider()
    created = endpoint.create(endpoint_inputs())
    endpoint.read(created.id, (created.outs or {}))
    news = endpoint_inputs()
    news["auth_section_options"] = [["username", "in"], ["password", SIP_PASSWORD + "-in"]]
    endpoint.update(created.id, (created.outs or {}), news)
    with pytest.raises(ConfdAlreadyExists) as exists:
        endpoint.create(endpoint_inputs())
    texts.append(str(exists.value))
    tokens = [issued.token for issued in TOKENS._issued.values()]
    acme.expire_tokens()
    endpoint.read(created.id, (created.outs or {}))
    tokens += [issued.token for issued in TOKENS._issued.values()]
    aim(acme, "acme-noacl", "noacl-secret")
    with pytest.raises(ConfdError) as noacl:
        endpoint.read(created.id, (created.outs or {}))
    texts.append(str(noacl.value))
    tokens += [issued.token for issued in TOKENS._issued.values()]
    aim(acme, "acme-admin", "wrong-secret")
    with pytest.raises(ConfdError) as wrong:
        endpoint.read(created.id, (created.outs or {}))
    texts.append(str(wrong.value))
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert len(set(tokens)) >= 3
    everything = "\n".join(texts)
    assert "HTTP Request" in everything  # the scan did see httpx's own lines
    for secret in ("acme-secret", "noacl-secret", "wrong-secret", SIP_PASSWORD, *tokens):
        assert secret not in everything
