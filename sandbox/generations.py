"""The confd API generations the sandbox speaks: one set of rules, and the facts that differ.

A generation is chosen at startup (`python -m sandbox --api 20.12`) and recorded in the state
file, as a real Wazo's version lives in its database. Rules that differ between generations read
the fact they need from here instead of forking: a legacy server is a variant, not a second copy.

Sources (wazo-platform repositories, tag `wazo-20.12` unless said otherwise):
  wazo-confd CHANGELOG.md, sections 20.13, 20.14, 23.12, 24.15, 25.15 (at HEAD);
  wazo-confd wazo_confd/plugins/*/ (the plugin list and schemas at 20.12 and at HEAD);
  xivo-dao xivo_dao/alchemy/usersip.py, staticsip.py, trunkfeatures.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Generation:
    """What one confd release answers, as far as the rules that differ are concerned."""

    # `GET /infos` answers it as `wazo_version`
    version: str
    # from 25.15 a body is JSON whatever its Content-Type and a missing one is a 400; before, a
    # body without a JSON Content-Type was not read at all (Flask's `get_json()`: None, then `{}`)
    # and only a JSON-typed empty or broken body was a 400 (CHANGELOG 25.15; helpers/restful.py)
    body_json_forced: bool
    # <= 20.12: `/endpoints/sip` is chan_sip style (integer id, username/secret/type/host/options),
    # `/registers/sip` and `/trunks/{id}/registers/sip/{id}` exist; >= 20.13: PJSIP sections,
    # SIP templates, uuid ids (CHANGELOG 20.13)
    chan_sip: bool
    # `/tenants` appeared in 20.14 (CHANGELOG 20.14)
    tenants_api: bool
    # trunks gained `outgoing_caller_id_format` in 24.15 (CHANGELOG 24.15)
    trunk_caller_id_format: bool
    # from 23.12 confd generates a context's name; before, the client chose it, 1..39 characters of
    # [a-zA-Z0-9_-] and not a reserved word, and contexts had no `uuid` field
    # (plugins/context/schema.py ContextSchema at 20.12; CHANGELOG 23.12)
    context_names_generated: bool
    # the longest `preprocess_subroutine` of outcalls and incalls: 39 at 20.12, 79 at HEAD
    # (plugins/outcall/schema.py, plugins/incall/schema.py)
    subroutine_max: int
    # a user destination's `moh_uuid` came after 20.12 (dropped as an unknown key before); an
    # `extension` destination's context was 1..39 characters at 20.12, 1..79 at HEAD
    # (helpers/destination.py)
    user_destination_moh: bool
    destination_context_max: int

    @property
    def api(self) -> str:
        return "chan_sip" if self.chan_sip else "pjsip"


LEGACY = Generation(
    version="20.12",
    body_json_forced=False,
    chan_sip=True,
    tenants_api=False,
    trunk_caller_id_format=False,
    context_names_generated=False,
    subroutine_max=39,
    user_destination_moh=False,
    destination_context_max=39,
)

CURRENT = Generation(
    version="26.08",
    body_json_forced=True,
    chan_sip=False,
    tenants_api=True,
    trunk_caller_id_format=True,
    context_names_generated=True,
    subroutine_max=79,
    user_destination_moh=True,
    destination_context_max=79,
)

GENERATIONS = {generation.version: generation for generation in (LEGACY, CURRENT)}


def by_version(version: str) -> Generation:
    """The generation `--api` names; a KeyError names the choices."""
    try:
        return GENERATIONS[version]
    except KeyError:
        raise KeyError(f"unknown API version {version!r}: choose one of {', '.join(GENERATIONS)}") from None
