"""The provider object Pulumi pickles into every resource's state: by reference, tiny, no secret."""

from __future__ import annotations

import base64
import pickle

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from providers.confd import Settings, configure
from tests.providers.support import PROVIDERS

PASSWORD = "hunter2-pickle"
TOKEN = "tok-3b1c9a7e-pickle"


@pytest.fixture(autouse=True)
def _credentials_everywhere():
    """Credentials set in the process, where a careless provider could pick them up."""
    configure(Settings(url="https://wazo.example", username="admin", password=PASSWORD, token=TOKEN))
    yield
    configure(None)


@pytest.mark.parametrize("resource", sorted(PROVIDERS))
def test_provider_pickles_by_reference_small_and_without_credentials(resource):
    cls = PROVIDERS[resource]
    provider = cls()
    raw = dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert len(raw) < 200
    assert cls.__module__.encode() in raw
    assert cls.__qualname__.encode() in raw
    assert PASSWORD.encode() not in raw
    assert TOKEN.encode() not in raw
    assert vars(provider) == {}
    loaded = dill.loads(raw)  # noqa: S301 (our own bytes)
    assert type(loaded) is cls  # the class itself, not a copy rebuilt from pickled code


@pytest.mark.parametrize("resource", sorted(PROVIDERS))
def test_the_sdk_serialization_is_the_same_small_reference(resource):
    encoded = serialize_provider(PROVIDERS[resource]())
    raw = base64.b64decode(encoded)
    assert len(raw) < 200
    assert PASSWORD.encode() not in raw
    assert TOKEN.encode() not in raw
