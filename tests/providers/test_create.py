"""create: adoption only when asked, clear conflicts, fields confd ignored, cascades, threads."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, ClassVar

import pytest

from providers._base import ObjectSpec
from providers.confd import ConfdAlreadyExists, ConfdMismatch
from providers.endpoint_sip import EndpointSipProvider
from providers.extension import ExtensionProvider
from providers.outcall import OutcallProvider
from providers.trunk import SPEC as TRUNK_SPEC
from providers.trunk import TrunkArgs, TrunkProvider
from providers.trunk_endpoint import TrunkEndpointSipProvider
from tests.providers.conftest import aim
from tests.providers.support import (
    ACME,
    CONFD,
    INCALL_CTX,
    OUTCALL_CTX,
    SIP_PASSWORD,
    TOKEN_PATH,
    VALID,
    endpoint_inputs,
    writes,
)

EXISTING: list[tuple[str, type, str, dict[str, Any]]] = [
    ("outcall", OutcallProvider, "/outcalls", {"name": "acme-out"}),
    ("extension", ExtensionProvider, "/extensions", {"exten": "_418.", "context": OUTCALL_CTX}),
    ("endpoint_sip", EndpointSipProvider, "/endpoints/sip", {"name": "acme-provider"}),
]


@pytest.mark.parametrize(("resource", "cls", "path", "body"), EXISTING, ids=[e[0] for e in EXISTING])
def test_an_existing_object_is_reported_with_its_id_and_how_to_adopt_it(
    acme, admin, resource, cls, path, body
):
    existing = admin.post(path, body)
    key = "uuid" if resource == "endpoint_sip" else "id"
    with pytest.raises(ConfdAlreadyExists) as caught:
        cls().create(cls().check({}, VALID[resource]).inputs)
    text = str(caught.value)
    assert f"{key} {existing[key]}" in text
    assert "adopt=True" in text
    assert admin.count(path) == 1


@pytest.mark.parametrize(("resource", "cls", "path", "body"), EXISTING, ids=[e[0] for e in EXISTING])
def test_adopt_takes_over_the_existing_object_and_makes_it_match(acme, admin, resource, cls, path, body):
    existing = admin.post(path, body)
    key = "uuid" if resource == "endpoint_sip" else "id"
    provider = cls()
    inputs = provider.check({}, {**VALID[resource], "adopt": True}).inputs
    seq = acme.last_seq()
    created = provider.create(inputs)
    assert created.id == str(existing[key])
    methods = [m for m, p in writes(acme.requests(since=seq)) if p != TOKEN_PATH]
    assert methods == ["GET", "PUT", "GET"]  # found, updated to match, read back to verify
    assert admin.count(path) == 1
    read = provider.read(created.id, (created.outs or {}))
    assert (read.outs or {}) == (created.outs or {})
    assert provider.diff(created.id, (read.outs or {}), inputs).changes is False


def test_an_endpoint_name_taken_in_another_tenant_is_explained(acme, sandbox):
    aim(sandbox, "other-admin", "other-secret")
    other = {"tenant_uuid": "22222222-2222-4222-8222-222222222222", "name": "acme-provider"}
    EndpointSipProvider().create(EndpointSipProvider().check({}, other).inputs)
    aim(sandbox)
    with pytest.raises(ConfdAlreadyExists) as caught:
        EndpointSipProvider().create({**endpoint_inputs(), "adopt": True})
    assert f"not in tenant {ACME}" in str(caught.value)
    assert "unique across all tenants" in str(caught.value)


class _Misspelled(TrunkProvider):
    """A trunk spec that sends a key confd does not know, as an outdated client would."""

    spec: ClassVar[ObjectSpec] = replace(
        TRUNK_SPEC,
        to_body=lambda args: {
            "context": args.context,
            "outgoing_callerid_format": args.outgoing_caller_id_format,
        },
    )


def test_a_field_confd_silently_dropped_fails_the_create_and_leaves_nothing(acme, admin):
    inputs = TrunkArgs.model_validate(
        {**VALID["trunk"], "outgoing_caller_id_format": "national"}
    ).normalized()
    with pytest.raises(ConfdMismatch) as caught:
        _Misspelled().create(inputs)
    text = str(caught.value)
    assert "outgoing_caller_id_format (sent 'national', stored '+E164')" in text
    assert "silently drops" in text
    assert admin.count("/trunks") == 0


def test_deleting_a_trunk_takes_its_endpoint_and_the_endpoint_delete_accepts_that(acme, admin):
    trunk = TrunkProvider().create(VALID["trunk"])
    endpoint = EndpointSipProvider().create(endpoint_inputs())
    link_inputs = {"tenant_uuid": ACME, "trunk_id": int(trunk.id), "endpoint_uuid": endpoint.id}
    link = TrunkEndpointSipProvider().create(link_inputs)
    TrunkProvider().delete(trunk.id, trunk.outs or {})
    assert admin.count("/endpoints/sip") == 0  # confd's cascade
    assert TrunkEndpointSipProvider().read(link.id, link.outs or {}).id == ""
    TrunkEndpointSipProvider().delete(link.id, link.outs or {})
    EndpointSipProvider().delete(endpoint.id, endpoint.outs or {})


def test_outcall_trunk_list_delete_is_safe_once_the_outcall_is_gone(acme, admin):
    from providers.outcall_trunk import OutcallTrunksProvider

    outcall = OutcallProvider().create(VALID["outcall"])
    trunk = TrunkProvider().create(VALID["trunk"])
    routes = OutcallTrunksProvider().create(
        {"tenant_uuid": ACME, "outcall_id": int(outcall.id), "trunk_ids": [int(trunk.id)]}
    )
    OutcallProvider().delete(outcall.id, outcall.outs or {})
    seq = acme.last_seq()
    OutcallTrunksProvider().delete(routes.id, routes.outs or {})
    log = acme.requests(since=seq)
    assert [(i["method"], i["status"]) for i in log] == [("PUT", 404)]  # nothing else touched
    assert admin.count("/trunks") == 1


def test_passwords_come_back_from_read_in_the_outputs_marked_secret_by_the_resource(acme):
    provider = EndpointSipProvider()
    created = provider.create(endpoint_inputs())
    read = provider.read(created.id, (created.outs or {}))
    assert ["password", SIP_PASSWORD] in (read.outs or {})["registration_outbound_auth_section_options"]


def test_four_threads_share_one_token(acme, admin):
    provider = TrunkProvider()
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait()
            provider.create(VALID["trunk"])
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    log = writes(acme.requests())
    assert log.count(("POST", TOKEN_PATH)) == 2  # one for the test's admin client, one shared by 4 threads
    assert log.count(("POST", f"{CONFD}/trunks")) == 4


def test_confd_refusals_say_what_was_refused_and_keep_confds_words(acme, admin):
    from providers.confd import ConfdValidationError
    from providers.incall_extension import IncallExtensionProvider

    extension = ExtensionProvider().create(
        {"tenant_uuid": ACME, "exten": "15551230007", "context": INCALL_CTX}
    )
    incall = admin.post("/incalls", {"destination": {"type": "none"}})
    IncallExtensionProvider().create(
        {"tenant_uuid": ACME, "incall_id": incall["id"], "extension_id": int(extension.id)}
    )
    with pytest.raises(ConfdValidationError) as caught:
        ExtensionProvider().delete(extension.id, extension.outs or {})
    assert f"confd refused to delete the extension {extension.id}" in str(caught.value)
    assert "is associated with a incall" in str(caught.value)

    trunk = TrunkProvider().create(VALID["trunk"])
    first = EndpointSipProvider().create(endpoint_inputs("first"))
    second = EndpointSipProvider().create(endpoint_inputs("second"))
    TrunkEndpointSipProvider().create(
        {"tenant_uuid": ACME, "trunk_id": int(trunk.id), "endpoint_uuid": first.id}
    )
    with pytest.raises(ConfdValidationError) as caught:
        TrunkEndpointSipProvider().create(
            {"tenant_uuid": ACME, "trunk_id": int(trunk.id), "endpoint_uuid": second.id}
        )
    assert "confd refused the trunk/SIP endpoint link" in str(caught.value)
    assert "Trunk is associated with a Endpoint" in str(caught.value)
