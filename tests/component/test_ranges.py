"""Incall ranges as confd understands them: written in full or with the delivered digits only.

confd checks an incall extension against a range with xivo-dao's `ContextNumbers.in_range`
(wazo-platform/xivo-dao, xivo_dao/alchemy/contextnumbers.py): the exten as an integer, between the
integers of the last `did_length` digits of the bounds (whole bounds with 0). The product gives a
DID the exten its provider delivers (its last `did_length` digits) and refuses one that no range
takes, since confd would then refuse every later update of its extension.
"""

from __future__ import annotations

import httpx
import pytest

from providers.model import Did, IncallRange
from providers.plan import ContextInfo, PlanError, confd_in_range, did_exten
from sandbox import seed
from tests.component.test_examples import example_config
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

FULL = IncallRange(start="15551230000", end="15551239999", did_length=10)
SHORT = IncallRange(start="0000", end="9999", did_length=4)
SHORT_PART = IncallRange(start="9000", end="9099", did_length=4)
WHOLE = IncallRange(start="1000", end="1999")
LONGER_THAN_BOUNDS = IncallRange(start="1000", end="1999", did_length=10)


def exten(did: str, *ranges: IncallRange, explicit: str | None = None) -> str:
    context = ContextInfo("ctx-test", "", "incall", ranges)
    return did_exten(Did(did=did, exten=explicit, destination={"type": "none"}), context)


@pytest.mark.parametrize(
    ("exten_", "incall_range", "inside"),
    [
        ("5551239999", FULL, True),  # last 10 digits of the bounds: 5551230000..5551239999
        ("15551239999", FULL, False),  # the whole number is above the last 10 digits of the end
        ("9000", SHORT, True),
        ("0000", SHORT, True),
        ("9100", SHORT_PART, False),
        ("1500", WHOLE, True),
        ("2000", WHOLE, False),
        ("1500", LONGER_THAN_BOUNDS, True),  # "1000"[-10:] is "1000"
        ("12*4", SHORT, False),
    ],
)
def test_confd_in_range_is_xivo_daos_rule(exten_, incall_range, inside):
    assert confd_in_range(exten_, incall_range) is inside


@pytest.mark.parametrize(
    ("did", "incall_range", "expected"),
    [
        ("+15551239000", FULL, "5551239000"),
        ("5551239000", FULL, "5551239000"),  # already the delivered digits
        ("+15551239000", SHORT, "9000"),
        ("9000", SHORT, "9000"),
        ("+15551239050", SHORT_PART, "9050"),
        ("1500", WHOLE, "1500"),
        ("1500", LONGER_THAN_BOUNDS, "1500"),
    ],
    ids=["full", "full-national", "short", "short-delivered", "short-part", "whole", "longer-than-bounds"],
)
def test_a_did_gets_the_digits_its_provider_delivers_in_each_form_of_range(did, incall_range, expected):
    assert exten(did, incall_range) == expected


@pytest.mark.parametrize(
    ("did", "incall_range"),
    [
        ("+15559999000", FULL),
        # ends like a number of the range, but is another number: as long as the bounds, and outside them
        ("+25551239000", FULL),
        ("+15551239100", SHORT_PART),
        ("+15551231500", WHOLE),
        ("+15551231500", LONGER_THAN_BOUNDS),
    ],
)
def test_a_did_no_range_takes_is_refused(did, incall_range):
    with pytest.raises(PlanError, match=f"DID \\{did} is outside the incall ranges of context 'ctx-test'"):
        exten(did, incall_range)


def test_the_first_range_that_takes_the_did_gives_its_exten():
    assert exten("+15551239000", SHORT_PART, FULL) == "9000"
    assert exten("+15551238000", SHORT_PART, FULL) == "5551238000"


def test_an_explicit_exten_is_checked_with_did_length():
    # inside only through the last 10 digits of the bounds
    assert exten("+15551230042", FULL, explicit="5551230042") == "5551230042"
    # inside the whole bounds, outside their last 10 digits: confd would refuse its updates
    with pytest.raises(PlanError, match="exten '15551230042' is outside the incall ranges"):
        exten("+15551230042", FULL, explicit="15551230042")
    assert exten("+15551239042", SHORT, explicit="0042") == "0042"


def test_a_short_form_stack_deploys_and_confd_accepts_updates_of_its_extensions(
    clean_sandbox: SandboxProcess,
):
    config = example_config("bare-dev", clean_sandbox)  # 0000-9999, did_length 4
    EngineDouble(config).run(stack="bare-dev")
    token = clean_sandbox.token("bare-admin", "bare-secret")
    headers = {"X-Auth-Token": token, "Wazo-Tenant": seed.BARE_TENANT}
    with httpx.Client(base_url=clean_sandbox.confd_url, headers=headers, timeout=10) as confd:
        incalls = confd.get("/incalls").json()["items"]
        assert sorted(i["extensions"][0]["exten"] for i in incalls) == ["0000", "0001"]
        for incall in incalls:
            # confd range-checks every update of an extension attached to an incall
            answer = confd.put(f"/extensions/{incall['extensions'][0]['id']}", json={"enabled": True})
            assert answer.status_code == 204, answer.text
