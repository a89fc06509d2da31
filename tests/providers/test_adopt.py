"""Adoption: an existing object is taken over only with `adopt`, read, compared and written only where
it differs; by its natural key or by the id the stack records; never another tenant's, never one
attached to something the stack does not declare, never a duplicate of one the stack could adopt.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import ResourceProvider

from providers.confd import AdoptionRefused, ConfdAlreadyExists
from providers.endpoint_sip import SPEC as ENDPOINT_SPEC
from providers.endpoint_sip import EndpointSipArgs, EndpointSipProvider
from providers.extension import ExtensionProvider
from providers.incall import IncallProvider
from providers.incall_extension import IncallExtensionProvider
from providers.outcall import OutcallProvider
from providers.outcall_extension import OutcallExtensionProvider
from providers.outcall_trunk import OutcallTrunksProvider
from providers.trunk import TrunkProvider
from providers.trunk_endpoint import TrunkEndpointSipProvider
from sandbox.seed import MASTER_TENANT, OTHER_TENANT
from tests.providers.conftest import aim
from tests.providers.support import (
    ACME,
    CONFD,
    INCALL_CTX,
    OUTCALL_CTX,
    VALID,
    Admin,
    endpoint_inputs,
)
from tests.support.sandbox import SandboxProcess

DID = "5551234567"


def confd_calls(sandbox: SandboxProcess, since: int) -> list[str]:
    """The confd requests since `since`, as "METHOD /path" (wazo-auth's left out)."""
    return [
        f"{r['method']} {r['path'].removeprefix(CONFD)}"
        for r in sandbox.requests(since=since)
        if r["path"].startswith(CONFD)
    ]


def writes_since(sandbox: SandboxProcess, since: int) -> list[str]:
    return [call for call in confd_calls(sandbox, since) if not call.startswith("GET ")]


def create(provider: ResourceProvider, inputs: dict[str, Any]) -> Any:
    checked = provider.check({}, inputs)
    assert not checked.failures, checked.failures
    return provider.create(checked.inputs)


def make_trunk(admin: Admin, endpoint: str = "acme-provider") -> tuple[int, str]:
    """A trunk of acme's incall context with a SIP endpoint, as an operator made them."""
    trunk = admin.post("/trunks", {"context": INCALL_CTX})
    body = ENDPOINT_SPEC.to_body(EndpointSipArgs.model_validate(endpoint_inputs(endpoint)))
    uuid = admin.post("/endpoints/sip", body)["uuid"]
    admin.put(f"/trunks/{trunk['id']}/endpoints/sip/{uuid}")
    return int(trunk["id"]), str(uuid)


def trunk_adoption(trunk_id: int | None, **links: list[str]) -> dict[str, Any]:
    declared = {"endpoint_sip": ["acme-provider"], "outcall": [], **links}
    adoption: dict[str, Any] = {"adopt": True, "declared_links": declared}
    if trunk_id is not None:
        adoption["adopt_id"] = trunk_id
    return {**VALID["trunk"], **adoption}


# -- by the recorded id: trunks and incalls ----------------------------------------------------


def test_a_recorded_trunk_equal_to_the_inputs_is_adopted_with_reads_only(acme, admin):
    trunk_id, _ = make_trunk(admin)
    seq = acme.last_seq()

    created = create(TrunkProvider(), trunk_adoption(trunk_id))

    assert created.id == str(trunk_id)
    assert confd_calls(acme, seq) == [f"GET /trunks/{trunk_id}"]
    read = TrunkProvider().read(created.id, created.outs)
    assert read.outs == created.outs
    assert TrunkProvider().diff(created.id, read.outs or {}, VALID["trunk"]).changes is False


def test_a_recorded_trunk_that_differs_is_updated_in_place(acme, admin):
    trunk_id, _ = make_trunk(admin)
    admin.put(f"/trunks/{trunk_id}", {"outgoing_caller_id_format": "national"})
    seq = acme.last_seq()

    created = create(TrunkProvider(), trunk_adoption(trunk_id))

    assert created.id == str(trunk_id)
    assert writes_since(acme, seq) == [f"PUT /trunks/{trunk_id}"]
    assert admin.get(f"/trunks/{trunk_id}")["outgoing_caller_id_format"] == "+E164"


def test_a_recorded_id_the_tenant_does_not_have_is_refused_and_nothing_is_created(acme, admin):
    seq = acme.last_seq()

    with pytest.raises(AdoptionRefused) as caught:
        create(TrunkProvider(), trunk_adoption(4242))

    assert f"cannot adopt the trunk 4242: tenant {ACME} has no trunk with that id" in str(caught.value)
    assert writes_since(acme, seq) == []
    assert admin.count("/trunks") == 0


def test_another_tenants_trunk_is_never_adopted_even_where_confd_lets_the_item_url_reach_it(
    acme, admin, sandbox
):
    # confd's item URLs reach the sub-tenants' objects: the master tenant's admin sees acme's trunk
    trunk_id, _ = make_trunk(admin)
    aim(sandbox, "root", "root-secret")
    seq = sandbox.last_seq()
    inputs = {**trunk_adoption(trunk_id), "tenant_uuid": MASTER_TENANT, "context": None}

    with pytest.raises(AdoptionRefused) as caught:
        create(TrunkProvider(), inputs)

    assert f"it belongs to tenant {ACME}, not to this stack's tenant {MASTER_TENANT}" in str(caught.value)
    assert writes_since(sandbox, seq) == []


def test_a_trunk_of_another_tenant_that_confd_hides_is_refused_as_unknown(acme, admin, sandbox):
    trunk_id, _ = make_trunk(admin)
    aim(sandbox, "other-admin", "other-secret")
    inputs = {**trunk_adoption(trunk_id), "tenant_uuid": OTHER_TENANT, "context": None}

    with pytest.raises(AdoptionRefused) as caught:
        create(TrunkProvider(), inputs)

    assert f"tenant {OTHER_TENANT} has no trunk with that id" in str(caught.value)


def test_a_trunk_with_another_endpoint_is_refused_naming_it(acme, admin):
    trunk_id, _ = make_trunk(admin, endpoint="someone-else")
    seq = acme.last_seq()

    with pytest.raises(AdoptionRefused) as caught:
        create(TrunkProvider(), trunk_adoption(trunk_id))

    text = str(caught.value)
    assert f"refusing to adopt the trunk id {trunk_id}" in text
    assert "attached to the SIP endpoint someone-else, which this stack does not declare" in text
    assert writes_since(acme, seq) == []


def test_a_trunk_that_an_undeclared_outcall_lists_is_refused_naming_the_outcall(acme, admin):
    trunk_id, _ = make_trunk(admin)
    outcall = admin.post("/outcalls", {"name": "legacy-route"})
    admin.put(f"/outcalls/{outcall['id']}/trunks", {"trunks": [{"id": trunk_id}]})

    with pytest.raises(AdoptionRefused) as caught:
        create(TrunkProvider(), trunk_adoption(trunk_id))
    declared = create(TrunkProvider(), trunk_adoption(trunk_id, outcall=["legacy-route"]))

    assert "attached to the outcall legacy-route" in str(caught.value)
    assert declared.id == str(trunk_id)


def test_adopting_without_the_trunk_id_refuses_to_duplicate_the_trunk_of_the_endpoint(acme, admin):
    trunk_id, _ = make_trunk(admin)
    seq = acme.last_seq()

    with pytest.raises(AdoptionRefused) as caught:
        create(TrunkProvider(), trunk_adoption(None))

    text = str(caught.value)
    assert f"the SIP endpoint 'acme-provider' is already the SIP side of trunk {trunk_id}" in text
    assert f"trunk_id: {trunk_id}" in text
    assert writes_since(acme, seq) == []
    assert admin.count("/trunks") == 1


def test_without_adopt_a_recorded_id_takes_nothing_over(acme, admin):
    trunk_id, _ = make_trunk(admin)
    inputs = {**VALID["trunk"], "adopt_id": trunk_id}

    created = create(TrunkProvider(), inputs)

    assert created.id != str(trunk_id)
    assert admin.count("/trunks") == 2


def _did(admin: Admin, destination: dict[str, Any] | None = None) -> tuple[int, int]:
    extension = admin.post("/extensions", {"exten": DID, "context": INCALL_CTX})
    incall = admin.post("/incalls", {"destination": destination or {"type": "user", "user_id": 1}})
    admin.put(f"/incalls/{incall['id']}/extensions/{extension['id']}")
    return int(incall["id"]), int(extension["id"])


def incall_adoption(incall_id: int | None, exten: str = DID) -> dict[str, Any]:
    adoption: dict[str, Any] = {"adopt": True, "declared_links": {"extension": [f"{exten}@{INCALL_CTX}"]}}
    if incall_id is not None:
        adoption["adopt_id"] = incall_id
    return {**VALID["incall"], **adoption}


def test_a_recorded_incall_is_adopted_as_it_is_and_its_link_is_not_made_again(acme, admin):
    incall_id, extension_id = _did(admin)
    seq = acme.last_seq()

    incall = create(IncallProvider(), incall_adoption(incall_id))
    extension = create(
        ExtensionProvider(),
        {
            "tenant_uuid": ACME,
            "exten": DID,
            "context": INCALL_CTX,
            "adopt": True,
            "declared_links": {"incall": [str(incall_id)]},
        },
    )
    link = create(
        IncallExtensionProvider(),
        {"tenant_uuid": ACME, "incall_id": incall_id, "extension_id": extension_id, "adopt": True},
    )

    assert (incall.id, extension.id) == (str(incall_id), str(extension_id))
    assert link.id == f"{incall_id}/{extension_id}"
    assert writes_since(acme, seq) == []


def test_an_incall_whose_did_the_stack_does_not_declare_is_refused(acme, admin):
    incall_id, _ = _did(admin)

    with pytest.raises(AdoptionRefused) as caught:
        create(IncallProvider(), incall_adoption(incall_id, exten="5551230001"))

    assert f"attached to the DID (exten@context) {DID}@{INCALL_CTX}" in str(caught.value)


def test_adopting_without_the_incall_id_refuses_to_duplicate_the_incall_of_the_did(acme, admin):
    incall_id, _ = _did(admin)
    seq = acme.last_seq()

    with pytest.raises(AdoptionRefused) as caught:
        create(IncallProvider(), incall_adoption(None))

    assert f"already reaches incall {incall_id}" in str(caught.value)
    assert f"incall_id: {incall_id}" in str(caught.value)
    assert writes_since(acme, seq) == []
    assert admin.count("/incalls") == 1


# -- by natural key: endpoints, outcalls, extensions -------------------------------------------


def test_an_endpoint_on_an_undeclared_trunk_is_refused_naming_the_trunk(acme, admin):
    trunk_id, _ = make_trunk(admin)
    seq = acme.last_seq()
    inputs = {**endpoint_inputs(), "adopt": True, "declared_links": {"trunk": []}}

    with pytest.raises(AdoptionRefused) as caught:
        create(EndpointSipProvider(), inputs)
    declared = create(EndpointSipProvider(), {**inputs, "declared_links": {"trunk": [str(trunk_id)]}})

    assert f"attached to trunk {trunk_id}, which this stack does not declare" in str(caught.value)
    assert declared.outs["name"] == "acme-provider"
    assert writes_since(acme, seq) == []  # the endpoint equals the inputs: adopted as it is


def test_an_extension_on_another_outcall_is_refused_naming_the_outcall(acme, admin):
    extension = admin.post("/extensions", {"exten": "_418.", "context": OUTCALL_CTX})
    outcall = admin.post("/outcalls", {"name": "legacy-route"})
    admin.put(f"/outcalls/{outcall['id']}/extensions/{extension['id']}", {})
    inputs = {**VALID["extension"], "adopt": True, "declared_links": {"outcall": ["acme-out"]}}

    with pytest.raises(AdoptionRefused) as caught:
        create(ExtensionProvider(), inputs)

    assert "attached to the outcall legacy-route, which this stack does not declare" in str(caught.value)


def test_a_did_extension_on_an_undeclared_incall_is_refused(acme, admin):
    incall_id, _ = _did(admin)
    inputs = {"tenant_uuid": ACME, "exten": DID, "context": INCALL_CTX, "adopt": True}

    with pytest.raises(AdoptionRefused) as caught:
        create(ExtensionProvider(), inputs)

    assert f"attached to the incall of id {incall_id}" in str(caught.value)


def test_an_outcall_with_an_undeclared_pattern_is_refused(acme, admin):
    outcall = admin.post("/outcalls", {"name": "acme-out", "description": "to the provider"})
    extension = admin.post("/extensions", {"exten": "_9.", "context": OUTCALL_CTX})
    admin.put(f"/outcalls/{outcall['id']}/extensions/{extension['id']}", {})
    declared = {"extension": [f"_418.@{OUTCALL_CTX}"]}

    with pytest.raises(AdoptionRefused) as caught:
        create(OutcallProvider(), {**VALID["outcall"], "adopt": True, "declared_links": declared})

    assert f"the dial pattern (exten@context) _9.@{OUTCALL_CTX}" in str(caught.value)


def test_without_adopt_an_existing_object_is_still_refused(acme, admin):
    admin.post("/outcalls", {"name": "acme-out"})
    with pytest.raises(ConfdAlreadyExists) as caught:
        create(OutcallProvider(), {**VALID["outcall"], "declared_links": {"extension": []}})
    assert "set `adopt: true` in the stack file" in str(caught.value)


# -- links --------------------------------------------------------------------------------------


def test_links_in_place_are_not_made_again_and_links_that_differ_are(acme, admin):
    first, _ = make_trunk(admin)
    second, _ = make_trunk(admin, endpoint="acme-backup")
    outcall = admin.post("/outcalls", {"name": "acme-out"})
    admin.put(f"/outcalls/{outcall['id']}/trunks", {"trunks": [{"id": second}, {"id": first}]})
    extension = admin.post("/extensions", {"exten": "_418.", "context": OUTCALL_CTX})
    admin.put(f"/outcalls/{outcall['id']}/extensions/{extension['id']}", {"strip_digits": 1})
    trunks = {"tenant_uuid": ACME, "outcall_id": outcall["id"], "adopt": True}
    pattern = {**trunks, "extension_id": extension["id"], "strip_digits": 1}
    seq = acme.last_seq()

    create(OutcallTrunksProvider(), {**trunks, "trunk_ids": [second, first]})
    create(OutcallExtensionProvider(), pattern)
    same = writes_since(acme, seq)
    create(OutcallTrunksProvider(), {**trunks, "trunk_ids": [first, second]})
    create(OutcallExtensionProvider(), {**pattern, "strip_digits": 2})
    changed = writes_since(acme, seq)

    assert same == []
    assert changed == [
        f"PUT /outcalls/{outcall['id']}/trunks",
        f"PUT /outcalls/{outcall['id']}/extensions/{extension['id']}",
    ]
    assert [t["id"] for t in admin.get(f"/outcalls/{outcall['id']}")["trunks"]] == [first, second]


def test_a_trunk_endpoint_link_in_place_is_not_made_again(acme, admin):
    trunk_id, uuid = make_trunk(admin)
    seq = acme.last_seq()

    create(
        TrunkEndpointSipProvider(),
        {"tenant_uuid": ACME, "trunk_id": trunk_id, "endpoint_uuid": uuid, "adopt": True},
    )

    assert confd_calls(acme, seq) == [f"GET /trunks/{trunk_id}"]
