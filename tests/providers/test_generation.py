"""Which API a Wazo speaks, asked as docs/confd-contract.md 9.5 says: api.yml's paths and `GET /infos`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from providers.confd import ConfdClient, Settings, configure, connect
from providers.confd.auth import forget_tokens
from providers.confd.generation import ConfdUnknownGeneration, ServerGeneration, _decide, detect
from sandbox.seed import ACME_TENANT
from tests.support.sandbox import SandboxProcess

SPEC = "/api/confd/1.1/api/api.yml"
INFOS = "/api/confd/1.1/infos"


def client_for(
    sandbox: SandboxProcess,
    username: str = "acme-admin",
    password: str = "acme-secret",  # noqa: S107
) -> ConfdClient:
    settings = Settings(url=sandbox.url, username=username, password=password, backoff=0.01)
    configure(settings)
    forget_tokens()
    return connect(ACME_TENANT, settings)


@pytest.fixture(autouse=True)
def _clean_process() -> Iterator[None]:
    yield
    configure(None)
    forget_tokens()


def confd_reads(sandbox: SandboxProcess, since: int) -> list[str]:
    return [
        entry["path"] for entry in sandbox.requests(since=since) if entry["path"].startswith("/api/confd")
    ]


def test_a_current_wazo_speaks_pjsip_which_its_spec_alone_tells(clean_sandbox: SandboxProcess):
    """One request: the paths settle what to send, and no PJSIP message names the release."""
    client = client_for(clean_sandbox)
    seq = clean_sandbox.last_seq()
    found = detect(client)
    assert found == ServerGeneration(None, "pjsip")
    assert found.describe() == "Wazo 20.13 or later, PJSIP API (/endpoints/sip/templates)"
    assert confd_reads(clean_sandbox, seq) == [SPEC]


def test_its_release_is_read_when_asked(clean_sandbox: SandboxProcess):
    client = client_for(clean_sandbox)
    seq = clean_sandbox.last_seq()
    found = detect(client, with_version=True)
    assert found == ServerGeneration("26.08", "pjsip")
    assert found.describe() == "Wazo 26.08, PJSIP API (/endpoints/sip/templates)"
    assert confd_reads(clean_sandbox, seq) == [SPEC, INFOS]


def test_a_20_12_wazo_speaks_chan_sip(clean_legacy_sandbox: SandboxProcess):
    client = client_for(clean_legacy_sandbox)
    seq = clean_legacy_sandbox.last_seq()
    found = detect(client)
    assert found == ServerGeneration("20.12", "chan_sip")
    assert found.describe() == "Wazo 20.12, chan_sip API (/registers/sip)"
    assert confd_reads(clean_legacy_sandbox, seq) == [SPEC, INFOS]


def test_a_token_without_confd_infos_read_still_tells_the_api(clean_legacy_sandbox: SandboxProcess):
    """api.yml needs no credentials (CONTRACT 1); /infos does (confd.infos.read)."""
    client = client_for(clean_legacy_sandbox, "acme-noacl", "noacl-secret")
    found = detect(client)
    assert found == ServerGeneration(None, "chan_sip")
    assert found.describe() == "Wazo 20.12 or older, chan_sip API (/registers/sip)"


def test_a_server_with_neither_api_is_refused_with_its_version(clean_sandbox: SandboxProcess):
    """Something else answers on confd's spec path (here the sandbox's injected 200 whose body is
    not a spec): neither API, so nothing may be written; the message names the reported version."""
    clean_sandbox.fault(path=SPEC, status=200, times=1)
    with pytest.raises(ConfdUnknownGeneration) as caught:
        detect(client_for(clean_sandbox))
    text = str(caught.value)
    assert "reports wazo_version '26.08'" in text
    assert "serves neither of the chan_sip API (/registers/sip" in text
    assert "nothing was written" in text


@pytest.mark.parametrize(
    ("version", "paths", "expected"),
    [
        ("20.12", {"/registers/sip"}, ServerGeneration("20.12", "chan_sip")),
        ("19.17", {"/registers/sip"}, ServerGeneration("19.17", "chan_sip")),
        ("20.13", {"/endpoints/sip/templates"}, ServerGeneration("20.13", "pjsip")),
        ("25.16.1", {"/endpoints/sip/templates"}, ServerGeneration("25.16.1", "pjsip")),
        (None, {"/endpoints/sip/templates"}, ServerGeneration(None, "pjsip")),
    ],
)
def test_version_and_paths_that_agree(version, paths, expected):
    assert _decide(version, paths, "https://wazo.example") == expected


@pytest.mark.parametrize(
    ("version", "paths", "says"),
    [
        ("20.12", set(), "serves neither"),
        ("20.12", {"/registers/sip", "/endpoints/sip/templates"}, "serves both"),
        ("21.01", {"/registers/sip"}, "serves the chan_sip API, which ended with 20.12"),
        ("20.12", {"/endpoints/sip/templates"}, "serves the pjsip API, which began with 20.13"),
        ("nightly", {"/registers/sip"}, "which is not a Wazo release"),
    ],
)
def test_version_and_paths_that_do_not(version, paths, says):
    with pytest.raises(ConfdUnknownGeneration) as caught:
        _decide(version, paths, "https://wazo.example")
    assert says in str(caught.value)
    assert "https://wazo.example" in str(caught.value)
