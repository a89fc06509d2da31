"""Wazo 20.12's trunk links: a chan_sip endpoint by integer id, and a register (CONTRACT 9.3).

Sources, wazo-platform repositories at tag wazo-20.12: wazo-confd
wazo_confd/plugins/trunk_endpoint/ (resource.py lines 18-30, service.py 17-33, validator.py
18-119), wazo_confd/plugins/trunk_register/ (resource.py 15-25, service.py 35-50, validator.py
40-68), wazo_confd/plugins/trunk/schema.py; integration_tests/suite/base/test_trunk_endpoint_sip.py
and test_trunk_register_sip.py; xivo-dao xivo_dao/resources/trunk/persistor.py (delete lines
61-90), xivo_dao/alchemy/trunkfeatures.py (foreign keys ON DELETE SET NULL, lines 69-73).
"""

from __future__ import annotations

from typing import Any

from sandbox import seed
from tests.sandbox._helpers import Api, assert_error, assert_no_content, not_found

INCALL = seed.CONTEXTS[("acme", "incall")].legacy_name


def trunk(api: Api) -> dict[str, Any]:
    return api.create("trunks", {"context": INCALL})


def endpoint(api: Api, name: str = "provider") -> dict[str, Any]:
    return api.create("endpoints/sip", {"name": name, "username": "u1", "secret": "s3cret", "type": "peer"})


def register(api: Api, user: str = "u1") -> dict[str, Any]:
    return api.create("registers/sip", {"sip_username": user, "remote_host": "sip.example"})


def test_the_trunk_shows_its_endpoint_and_register(legacy: Api):
    """plugins/trunk/schema.py: endpoint_sip `id, username, name, links`; register_sip `id, links`;
    the endpoint shows its trunk (SipSchema.trunk)."""
    t, e, r = trunk(legacy), endpoint(legacy), register(legacy)
    assert_no_content(legacy.put(f"trunks/{t['id']}/endpoints/sip/{e['id']}"))
    assert_no_content(legacy.put(f"trunks/{t['id']}/registers/sip/{r['id']}"))
    got = legacy.ok_get(f"trunks/{t['id']}")
    assert got["endpoint_sip"] == {
        "id": e["id"],
        "username": "u1",
        "name": "provider",
        "links": [{"rel": "endpoint_sip", "href": legacy.url(f"endpoints/sip/{e['id']}")}],
    }
    assert got["register_sip"] == {
        "id": r["id"],
        "links": [{"rel": "register_sip", "href": legacy.url(f"registers/sip/{r['id']}")}],
    }
    link = [{"rel": "trunks", "href": legacy.url(f"trunks/{t['id']}")}]
    assert legacy.ok_get(f"endpoints/sip/{e['id']}")["trunk"] == {"id": t["id"], "links": link}
    assert legacy.ok_get(f"registers/sip/{r['id']}")["trunk"] == {"id": t["id"], "links": link}


def test_endpoint_link_rules(legacy: Api, legacy_other: Api):
    """trunk_endpoint: 404s by integer id, re-PUT is a no-op, one endpoint per trunk and one trunk
    per endpoint, same tenant (IT test_trunk_endpoint_sip.py)."""
    t1, t2, e1, e2 = trunk(legacy), trunk(legacy), endpoint(legacy), endpoint(legacy, "second")
    assert_error(
        legacy.put(f"trunks/999999/endpoints/sip/{e1['id']}"), 404, not_found("Trunk", "'id': 999999")
    )
    assert_error(
        legacy.put(f"trunks/{t1['id']}/endpoints/sip/999999"), 404, not_found("SIPEndpoint", "'id': 999999")
    )
    legacy.ok_put(f"trunks/{t1['id']}/endpoints/sip/{e1['id']}")
    legacy.ok_put(f"trunks/{t1['id']}/endpoints/sip/{e1['id']}")
    assert_error(
        legacy.put(f"trunks/{t1['id']}/endpoints/sip/{e2['id']}"),
        400,
        f"Resource Error - Trunk is associated with a Endpoint ('trunk_id': {t1['id']}, 'endpoint': 'sip',"
        f" 'endpoint_id': {e1['id']})",
    )
    assert_error(
        legacy.put(f"trunks/{t2['id']}/endpoints/sip/{e1['id']}"),
        400,
        f"Resource Error - Trunk is associated with a Endpoint ('trunk_id': {t1['id']}, 'endpoint': 'sip',"
        f" 'endpoint_id': {e1['id']})",
    )
    foreign = legacy_other.create("endpoints/sip", {"name": "foreign"})
    assert legacy.put(f"trunks/{t2['id']}/endpoints/sip/{foreign['id']}").status_code == 404
    legacy.ok_delete(f"trunks/{t1['id']}/endpoints/sip/{e2['id']}")
    assert legacy.ok_get(f"trunks/{t1['id']}")["endpoint_sip"]["id"] == e1["id"]
    legacy.ok_delete(f"trunks/{t1['id']}/endpoints/sip/{e1['id']}")
    assert legacy.ok_get(f"trunks/{t1['id']}")["endpoint_sip"] is None


def test_register_link_rules(legacy: Api):
    """trunk_register validator.py lines 46-62: one register per trunk, one trunk per register;
    service.py line 36-38: re-PUT of the same pair is a no-op."""
    t1, t2, r1, r2 = trunk(legacy), trunk(legacy), register(legacy), register(legacy, "u2")
    assert_error(
        legacy.put(f"trunks/{t1['id']}/registers/sip/999999"), 404, not_found("SIPRegister", "'id': 999999")
    )
    legacy.ok_put(f"trunks/{t1['id']}/registers/sip/{r1['id']}")
    legacy.ok_put(f"trunks/{t1['id']}/registers/sip/{r1['id']}")
    assert_error(
        legacy.put(f"trunks/{t1['id']}/registers/sip/{r2['id']}"),
        400,
        f"Resource Error - Trunk is associated with a SIPRegister ('trunk_id': {t1['id']},"
        f" 'register_sip_id': {r1['id']})",
    )
    assert_error(
        legacy.put(f"trunks/{t2['id']}/registers/sip/{r1['id']}"),
        400,
        f"Resource Error - Trunk is associated with a SIPRegister ('trunk_id': {t1['id']},"
        f" 'register_sip_id': {r1['id']})",
    )


def test_register_link_ignores_tenants(legacy: Api, legacy_other: Api):
    """trunk_register/resource.py line 16: `trunk_dao.get(trunk_id)` with no tenant list."""
    t = trunk(legacy)
    r = register(legacy_other)
    legacy_other.ok_put(f"trunks/{t['id']}/registers/sip/{r['id']}")
    assert legacy.ok_get(f"trunks/{t['id']}")["register_sip"]["id"] == r["id"]


def test_unlinking_a_register_changes_nothing(legacy: Api):
    """At 20.12 TrunkRegisterSIPService.dissociate calls the IAX dissociation (trunk_register/
    service.py line 49), which finds no IAX register: 204 and the link stays."""
    t, r = trunk(legacy), register(legacy)
    legacy.ok_put(f"trunks/{t['id']}/registers/sip/{r['id']}")
    assert_no_content(legacy.delete(f"trunks/{t['id']}/registers/sip/{r['id']}"))
    assert legacy.ok_get(f"trunks/{t['id']}")["register_sip"]["id"] == r["id"]
    assert legacy.delete(f"trunks/999999/registers/sip/{r['id']}").status_code == 404


def test_deleting_the_register_or_endpoint_unlinks_it(legacy: Api):
    """trunkfeatures.register_sip_id and endpoint_sip_id are ON DELETE SET NULL: the trunk stays."""
    t, e, r = trunk(legacy), endpoint(legacy), register(legacy)
    legacy.ok_put(f"trunks/{t['id']}/endpoints/sip/{e['id']}")
    legacy.ok_put(f"trunks/{t['id']}/registers/sip/{r['id']}")
    legacy.ok_delete(f"registers/sip/{r['id']}")
    legacy.ok_delete(f"endpoints/sip/{e['id']}")
    got = legacy.ok_get(f"trunks/{t['id']}")
    assert (got["register_sip"], got["endpoint_sip"]) == (None, None)


def test_deleting_the_trunk_deletes_its_endpoint_and_register(legacy: Api):
    """TrunkPersistor.delete (xivo-dao persistor.py lines 61-90) deletes both."""
    t, e, r = trunk(legacy), endpoint(legacy), register(legacy)
    legacy.ok_put(f"trunks/{t['id']}/endpoints/sip/{e['id']}")
    legacy.ok_put(f"trunks/{t['id']}/registers/sip/{r['id']}")
    other = register(legacy, "kept")
    legacy.ok_delete(f"trunks/{t['id']}")
    assert legacy.get(f"endpoints/sip/{e['id']}").status_code == 404
    assert legacy.get(f"registers/sip/{r['id']}").status_code == 404
    assert [item["id"] for item in legacy.items("registers/sip")] == [other["id"]]
