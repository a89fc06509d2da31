"""How the export maps what confd holds, including what the sandbox cannot produce (IAX trunks, a
destination type this project does not know, an incall with two numbers, a pattern under two
outcalls): the tenant made by hand is read from the sandbox once, then each test changes a copy of
what was read, as another Wazo would have answered, and maps it with `export_tenant`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from providers.confd import Settings, connect
from providers.confd.auth import forget_tokens
from sandbox.seed import ACME_TENANT
from stacks.export import Export, ExportError, Tenant, export_tenant, read_tenant, summary
from tests.support.brownfield import INCALL_CTX, NEEDS, OUTCALL_CTX, PASSWORDS, build_tenant
from tests.support.sandbox import SandboxProcess

pytestmark = NEEDS

Items = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def read(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenant]:
    sandbox.clean()
    build_tenant(sandbox, tmp_path_factory.mktemp("mapping"))
    forget_tokens()
    client = connect(ACME_TENANT, Settings(url=sandbox.url, username="acme-admin", password="acme-secret"))
    yield read_tenant(client, ACME_TENANT)
    forget_tokens()


def mapped(read: Tenant, change: Callable[[Items], None] = lambda items: None) -> Export:
    items = copy.deepcopy(read.items)
    change(items)
    return export_tenant(
        Tenant(ACME_TENANT, items), {"url": "https://wazo.example", "tenant": ACME_TENANT}, "acme-dev"
    )


def one(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    (found,) = [item for item in items if all(item.get(k) == v for k, v in match.items())]
    return found


def lines(result: Export) -> list[str]:
    return [str(f) for f in result.findings]


def endpoint(items: Items, name: str) -> dict[str, Any]:
    return one(items["/endpoints/sip"], name=name)


def test_the_tenant_as_read_maps_with_nothing_left_out(read):
    result = mapped(read)
    assert result.findings == []
    assert [s.key for s in result.secrets] == ["providers[0].password", "providers[1].password"]
    assert [s.value for s in result.secrets] == [PASSWORDS["acme_provider"], PASSWORDS["acme-backup"]]


def test_an_iax_trunk_is_left_out_by_name(read):
    def iax(items: Items) -> None:
        one(items["/trunks"], id=2)["endpoint_iax"] = {"id": 7}

    result = mapped(read, iax)

    assert lines(result) == [
        "trunk 2 (acme-backup): it has an IAX endpoint: a provider of the stack is a SIP trunk only",
        # its outcall's other trunk already declares an outcall, and a provider declares one
        "outcall 'acme-intl': every provider of the stack already declares an outcall (one each)",
    ]
    assert [p["name"] for p in result.values["providers"]] == ["acme_provider"]


def test_an_outcall_that_also_lists_a_trunk_left_out_says_the_first_up_would_drop_it(read):
    def iax(items: Items) -> None:
        one(items["/trunks"], id=2)["register_iax"] = {"id": 7}
        one(items["/outcalls"], name="acme-provider-out")["trunks"].append({"id": 2})

    assert lines(mapped(read, iax))[1] == (
        "outcall 'acme-provider-out': it also lists trunk 2, which is not exported: the first up would "
        "remove it from its list"
    )


def test_a_destination_type_the_stack_does_not_know_is_left_out_by_name(read):
    def paging(items: Items) -> None:
        incall = one(items["/incalls"], id=7)
        incall["destination"] = {"type": "paging", "paging_id": 1}

    result = mapped(read, paging)

    (finding,) = result.findings
    assert str(finding).startswith("incall 7 (DID 5551230006): its destination (paging) is not one the stack")
    assert finding.left_out


def test_an_incall_with_two_numbers_is_left_out(read):
    def two(items: Items) -> None:
        incall = one(items["/incalls"], id=7)
        incall["extensions"].append({"id": 99, "exten": "5551239999", "context": INCALL_CTX})

    assert "incall 7 (DID 5551230006, 5551239999): it has several numbers" in lines(mapped(read, two))


def test_a_pattern_under_two_outcalls_is_left_out_from_the_second(read):
    def twice(items: Items) -> None:
        readme = one(items["/outcalls"], name="acme-provider-out")
        intl = one(items["/outcalls"], name="acme-intl")
        intl["extensions"].append(copy.deepcopy(one(readme["extensions"], exten="_418.")))

    assert (
        "dial pattern '_418.' of outcall 'acme-intl': it is also a dial pattern of outcall "
        "'acme-provider-out', and an exten of the outcall context belongs to one outcall; adopting the "
        "outcall will be refused while it holds it" in lines(mapped(read, twice))
    )


def test_a_secret_option_is_named_by_its_key_and_its_value_never_shown(read):
    def md5(items: Items) -> None:
        endpoint(items, "acme-backup")["outbound_auth_section_options"].append(["md5_cred", "0123abcd-hash"])

    result = mapped(read, md5)

    assert lines(result) == [
        "provider 'acme-backup' (trunk 2): outbound_auth holds md5_cred, which the stack file cannot hold "
        "(the first up would rewrite the SIP endpoint)"
    ]
    assert "0123abcd-hash" not in "\n".join(summary(result))
    assert "0123abcd-hash" not in repr(result.values)


def test_a_registration_through_another_transport_is_a_change_the_first_up_would_make(read):
    def tcp(items: Items) -> None:
        endpoint(items, "acme_provider")["registration_section_options"].append(
            ["transport", "transport-tcp"]
        )

    assert lines(mapped(read, tcp)) == [
        "provider 'acme_provider' (trunk 1): registration transport transport-tcp is not the endpoint's "
        "transport (none) (the first up would rewrite the SIP endpoint)",
    ]


def test_sections_that_would_not_round_trip_are_named_with_their_options(read):
    def contact(items: Items) -> None:
        endpoint(items, "acme-backup")["aor_section_options"].append(["contact", "sip:other.example"])

    def qualify(items: Items) -> None:
        endpoint(items, "acme-backup")["aor_section_options"].append(["qualify_timeout", "3.0"])
        endpoint(items, "acme-backup")["endpoint_section_options"].append(["context", INCALL_CTX])

    assert lines(mapped(read, contact)) == [
        "provider 'acme-backup' (trunk 2): aor contact given several times (the first up would rewrite "
        "the SIP endpoint)",
    ]
    assert lines(mapped(read, qualify)) == [
        "provider 'acme-backup' (trunk 2): endpoint option context given besides the provider's own "
        "setting (the first up would rewrite the SIP endpoint)",
    ]


def test_what_the_mapping_does_not_see_the_comparison_of_the_sections_does(read):
    def client_uri(items: Items) -> None:
        sections = endpoint(items, "acme_provider")["registration_section_options"]
        sections[:] = [
            p if p[0] != "client_uri" else ["client_uri", "sip:someone@elsewhere.example"] for p in sections
        ]

    assert lines(mapped(read, client_uri)) == [
        "provider 'acme_provider' (trunk 1): registration section would be rewritten (options client_uri)"
    ]


def test_a_trunk_that_delivers_elsewhere_and_an_outcall_without_trunk_are_left_out(read):
    def elsewhere(items: Items) -> None:
        one(items["/trunks"], id=2)["context"] = "ctx-acme-internal-somewhere"
        one(items["/outcalls"], name="acme-provider-out")["trunks"] = []

    result = mapped(read, elsewhere)

    assert lines(result)[:2] == [
        "trunk 2 (acme-backup): its calls land in context ctx-acme-internal-somewhere, not in the "
        f"stack's incall context {INCALL_CTX}",
        "outcall 'acme-provider-out': none of its trunks is a provider of the stack (it has no trunk)",
    ]


def test_contexts_are_named_only_when_the_tenant_has_several_of_a_kind(read):
    def second(items: Items) -> None:
        items["/contexts"].append(
            {"id": 90, "name": "ctx-acme-incall-spare", "type": "incall", "label": "Spare"}
        )
        items["/contexts"].append(
            {"id": 91, "name": "ctx-acme-outcall-spare", "type": "outcall", "label": "x"}
        )

    assert "contexts" not in mapped(read).values
    assert mapped(read, second).values["contexts"] == {"incall": INCALL_CTX, "outcall": OUTCALL_CTX}


def test_a_tenant_whose_trunks_are_all_left_out_has_nothing_to_export(read):
    def none(items: Items) -> None:
        for trunk in items["/trunks"]:
            trunk["endpoint_custom"] = {"id": 1}

    with pytest.raises(ExportError) as caught:
        mapped(read, none)

    assert "has no SIP trunk to export as a provider" in str(caught.value)
    assert "trunk 1 (acme_provider): it has a custom endpoint" in str(caught.value)


def test_the_file_written_for_a_tenant_validates_offline(read, tmp_path: Path):
    from stacks.export import render
    from stacks.stackfile import StackRef, check_fleet

    path = tmp_path / "Pulumi.acme-dev.yaml"
    path.write_text(render(mapped(read), "acme-dev", "https://wazo.example", ACME_TENANT, [], {}))

    check = check_fleet([StackRef.from_path(path)])

    assert check.errors == []


def test_a_tenant_the_program_could_not_deploy_is_refused_with_the_programs_own_words(read):
    def no_template(items: Items) -> None:
        items["/endpoints/sip/templates"] = [
            t for t in items["/endpoints/sip/templates"] if t.get("label") != "registration_trunk"
        ]

    with pytest.raises(ExportError) as caught:
        mapped(read, no_template)

    assert "would not pass the checks the program runs before any write" in str(caught.value)
    assert "SIP template labelled 'registration_trunk'" in str(caught.value)
