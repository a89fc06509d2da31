"""Adoption from a stack file written by hand, through the program (engine double, sandbox): what it
may not take it refuses before writing, naming the object and the setting to fix; with `adopt` a
new DID is still created, and without it nothing existing is taken over.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from providers.confd import Settings, connect
from providers.confd.auth import forget_tokens
from sandbox.seed import ACME_TENANT
from stacks.export import export_tenant, read_tenant
from tests.component.test_program import acme_dev_config
from tests.support.brownfield import NEEDS, Confd, run_readme_walkthrough
from tests.support.engine import EngineDouble
from tests.support.sandbox import SandboxProcess

pytestmark = NEEDS

CONFD = "/api/confd/1.1"
ID = re.compile(r"/[0-9]+(?=/|$)")


def exported_config(sandbox: SandboxProcess) -> dict[str, Any]:
    """The README tenant's export, as the program's config once the CLI holds its secrets."""
    forget_tokens()
    client = connect(ACME_TENANT, Settings(url=sandbox.url, username="acme-admin", password="acme-secret"))
    result = export_tenant(
        read_tenant(client, ACME_TENANT), {"url": sandbox.url, "tenant": ACME_TENANT}, "acme-dev"
    )
    forget_tokens()
    config = {f"wazo-voip:{key}": copy.deepcopy(value) for key, value in result.values.items()}
    config["wazo-voip:username"] = "acme-admin"
    config["wazo-voip:password"] = "acme-secret"
    for secret in result.secrets:
        index = int(secret.key.removeprefix("providers[").split("]")[0])
        config["wazo-voip:providers"][index]["password"] = secret.value
    return config


def writes(sandbox: SandboxProcess, since: int) -> Counter[str]:
    return Counter(
        r["method"]
        for r in sandbox.requests(since=since)
        if r["path"].startswith(CONFD) and r["method"] != "GET"
    )


@pytest.fixture
def readme(clean_sandbox: SandboxProcess, tmp_path: Path) -> dict[str, Any]:
    run_readme_walkthrough(clean_sandbox, tmp_path)
    return exported_config(clean_sandbox)


def test_adopt_without_the_recorded_ids_refuses_before_any_write_and_names_them(readme, clean_sandbox):
    (provider,) = readme["wazo-voip:providers"]
    del provider["trunk_id"]
    del provider["incoming"][0]["incall_id"]
    before = Confd(clean_sandbox).snapshot()
    seq = clean_sandbox.last_seq()

    # the first refusal stops the run (the SDK may report it as the step it kept from starting)
    with pytest.raises(Exception, match="refusing to") as caught:
        EngineDouble(readme).run(stack="acme-dev")

    assert writes(clean_sandbox, seq) == {}
    assert Confd(clean_sandbox).snapshot() == before
    # whichever object refused first, it names the id to record
    assert re.search(r"\((trunk_id|incall_id): 1\)", str(caught.value)), str(caught.value)


def test_with_adopt_a_new_did_is_created_and_the_existing_objects_are_adopted(readme, clean_sandbox):
    (provider,) = readme["wazo-voip:providers"]
    provider["incoming"].append({"did": "+15551230042", "destination": {"type": "user", "user_id": 2}})
    seq = clean_sandbox.last_seq()

    EngineDouble(readme).run(stack="acme-dev")

    created = [
        f"{r['method']} {ID.sub('/{id}', r['path'].removeprefix(CONFD))}"
        for r in clean_sandbox.requests(since=seq)
        if r["path"].startswith(CONFD) and r["method"] != "GET"
    ]
    # the new DID's extension, incall and link; the README's objects adopted as they are
    assert sorted(created) == ["POST /extensions", "POST /incalls", "PUT /incalls/{id}/extensions/{id}"]


def test_without_adopt_nothing_existing_is_taken_over(readme, clean_sandbox):
    readme["wazo-voip:adopt"] = False
    endpoint = Confd(clean_sandbox).items("/endpoints/sip")

    with pytest.raises(Exception, match="set `adopt: true` in the stack file"):
        EngineDouble(readme).run(stack="acme-dev")

    assert Confd(clean_sandbox).items("/endpoints/sip") == endpoint


def test_a_provider_may_opt_out_of_the_stacks_adopt(readme, clean_sandbox):
    (provider,) = readme["wazo-voip:providers"]
    provider["adopt"] = False

    with pytest.raises(Exception, match="set `adopt: true` in the stack file"):
        EngineDouble(readme).run(stack="acme-dev")


def test_adopt_on_a_chan_sip_wazo_is_refused_in_the_plan_naming_its_release(clean_legacy_sandbox):
    config = acme_dev_config(clean_legacy_sandbox)
    config["wazo-voip:adopt"] = True
    seq = clean_legacy_sandbox.last_seq()

    with pytest.raises(Exception, match="adopt takes over the objects of the PJSIP API") as caught:
        EngineDouble(config).run(stack="acme-dev")

    assert "Wazo 20.12, chan_sip API (/registers/sip)" in str(caught.value)
    assert "wazo-voip:providers[0]" in str(caught.value)
    assert writes(clean_legacy_sandbox, seq) == {}
