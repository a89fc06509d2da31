"""Property-based checks of every resource's check and diff (hypothesis, a fixed-seed profile).

Generated inputs start from a valid set and have fields replaced by anything JSON can carry (and
preview unknowns), extra keys added, and a secret placed anywhere in a secret input: in a key, a
value, a pair of the wrong shape, a nested list. Whatever comes in, check and diff:
- never raise: a bad input is a check failure, never an exception;
- never send a request: the providers are aimed at a port that refuses, where any request would
  raise (ConfdNotSent), and the process's HTTP pool must stay empty;
- never echo a secret: no failure, no diff field holds the secret's text.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from providers._base import AssociationProvider, ObjectProvider
from providers.confd import Settings, configure
from providers.confd.client import POOL
from providers.endpoint_sip import AUTH_SECTIONS, EndpointSipProvider
from tests.providers.support import LEGACY_PROVIDERS, LEGACY_VALID, PROVIDERS, VALID

# the resources of both APIs: PJSIP (20.13 and later) and chan_sip (20.12 and before)
ALL_PROVIDERS = {**PROVIDERS, **LEGACY_PROVIDERS}
ALL_VALID = {**VALID, **LEGACY_VALID}

settings.register_profile(
    "wazo-voip",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "wazo-voip"))

SECRET_MARK = "Qz7"  # no message, option name or valid input of these tests contains it

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "+", "_", "ctx-acme-incall", "password", "username", "sip:host"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=10), inner, max_size=4),
    ),
    max_leaves=12,
)
secrets = st.text(alphabet="abcdefghijkLMNOP0123456789-_!@", min_size=4, max_size=20).map(
    lambda tail: f"{SECRET_MARK}{tail}"
)


def anything(resource: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid input set with some fields replaced by anything, some unknown, some extra keys."""
    base = ALL_VALID[resource]
    provider = ALL_PROVIDERS[resource]()
    assert isinstance(provider, ObjectProvider | AssociationProvider)
    names = sorted(set(base) | set(provider.spec.args.model_fields))
    return st.builds(
        _mix,
        st.just(base),
        st.dictionaries(st.sampled_from(names), values, max_size=4),
        st.sets(st.sampled_from(names), max_size=2),
        st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=2),
    )


def _mix(
    base: dict[str, Any], replaced: dict[str, Any], unknown: set[str], extra: dict[str, Any]
) -> dict[str, Any]:
    out = {**extra, **base, **replaced}
    for name in unknown:
        out[name] = Unknown()
    return out


@st.composite
def secret_sections(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """Endpoint inputs with a secret somewhere in a secret section: any position, any shape."""
    secret = draw(secrets)
    section = draw(st.sampled_from(sorted(AUTH_SECTIONS)))
    pairs: list[Any] = [list(p) for p in draw(st.sampled_from([[], [["username", "u1"]]]))]
    shape = draw(
        st.sampled_from(
            [
                ["password", secret],  # right
                [secret, "password"],  # reversed
                [secret, secret],
                [secret],
                [secret, "password", "x"],
                ["password", [secret]],
                ["password", {"value": secret}],
                ["passwd", secret],  # a misspelt key
                [secret.lower(), "u1"],
                ["auth_type", secret],  # a value that is not one of the choices
                ["md5_cred", secret],
                ["password", secret + " " * 5000],  # too long
                secret,  # not a pair at all
            ]
        )
    )
    position = draw(st.integers(min_value=0, max_value=len(pairs)))
    pairs.insert(position, shape)
    inputs = {**VALID["endpoint_sip"], section: pairs}
    if draw(st.booleans()):
        inputs[section] = secret  # the whole section given as a string
    return inputs, secret


@pytest.fixture(scope="module", autouse=True)
def nowhere():
    """Providers aimed at a port that refuses: any request raises instead of reaching anything."""
    configure(Settings(url="http://127.0.0.1:9", token="not-used", retries=0, backoff=0.0))
    POOL.close_all()
    yield
    configure(None)
    assert POOL._clients == {}  # no client was ever made: no request was even prepared


def _reasons(failures: list[CheckFailure]) -> str:
    assert all(isinstance(f, CheckFailure) for f in failures)
    assert all(isinstance(f.property, str) and isinstance(f.reason, str) for f in failures)
    return "\n".join(f"{f.property}: {f.reason}" for f in failures)


@pytest.mark.parametrize("resource", sorted(ALL_PROVIDERS))
def test_check_and_diff_take_anything_and_never_raise_nor_send(resource):
    provider = ALL_PROVIDERS[resource]()
    assert isinstance(provider, ObjectProvider | AssociationProvider)
    olds = provider.check({}, dict(ALL_VALID[resource])).inputs

    @given(news=anything(resource), stale=anything(resource))
    def run(news: dict[str, Any], stale: dict[str, Any]) -> None:
        result = provider.check(olds, news)
        _reasons(result.failures)
        if not result.failures:
            # what passes check is canonical: checked again, it comes back the same
            assert provider.check(olds, result.inputs).inputs == result.inputs
        diffed = provider.diff("1", stale, result.inputs)
        assert isinstance(diffed.changes, bool)
        assert set(diffed.replaces or []) <= set(provider.spec.replace_on)
        diffed = provider.diff("1", olds, news)  # the engine may hand anything from an old state
        assert isinstance(diffed.changes, bool)

    run()
    assert POOL._clients == {}


@given(case=secret_sections())
def test_a_secret_anywhere_in_a_secret_input_is_never_echoed(case):
    inputs, secret = case
    provider = EndpointSipProvider()
    result = provider.check({}, inputs)
    text = _reasons(result.failures)
    assert secret not in text
    assert secret.lower() not in text.lower()
    if result.failures:
        # and the error create/update would raise with the same inputs says no more
        with pytest.raises(ValueError, match="invalid SIP endpoint inputs") as raised:
            provider._args(inputs)
        assert secret not in str(raised.value)
    olds = provider.check({}, dict(VALID["endpoint_sip"])).inputs
    diffed = provider.diff("1", olds, inputs)
    assert secret not in repr(diffed.replaces) + repr(diffed.stables)
    assert POOL._clients == {}


# The chan_sip API's secrets are plain strings: the endpoint's `secret`, the register's
# `auth_password`. Each shape below breaks one of their rules (length, printable ASCII, the register
# line's separators) or is not a string at all.
LEGACY_SECRETS = {"endpoint_sip_legacy": "secret", "register_sip": "auth_password"}


@st.composite
def legacy_secret_inputs(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """A chan_sip resource's inputs with a secret in its secret input, in any shape."""
    secret = draw(secrets)
    resource = draw(st.sampled_from(sorted(LEGACY_SECRETS)))
    shape = draw(
        st.sampled_from(
            [
                secret,  # right
                secret + "é",  # not printable ASCII
                secret + "\n",
                secret * 20,  # too long
                secret + ":x",  # a register line separator
                secret + " x",
                "/" + secret,
                [secret],
                ["password", secret],
                {"value": secret},
                "",
            ]
        )
    )
    return resource, {**LEGACY_VALID[resource], LEGACY_SECRETS[resource]: shape}, secret


@given(case=legacy_secret_inputs())
def test_a_chan_sip_secret_in_any_shape_is_never_echoed(case):
    resource, inputs, secret = case
    provider = LEGACY_PROVIDERS[resource]()
    assert isinstance(provider, ObjectProvider)
    result = provider.check({}, inputs)
    text = _reasons(result.failures)
    # not even a part of it: no message of these resources holds the mark a secret starts with
    assert SECRET_MARK.lower() not in text.lower()
    if result.failures:
        with pytest.raises(ValueError, match=f"invalid {provider.spec.kind} inputs") as raised:
            provider._args(inputs)
        assert SECRET_MARK not in str(raised.value)
    olds = provider.check({}, dict(LEGACY_VALID[resource])).inputs
    diffed = provider.diff("1", olds, inputs)
    assert secret not in repr(diffed.replaces) + repr(diffed.stables)
    assert POOL._clients == {}
