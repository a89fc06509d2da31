"""From a provider's settings to confd bodies: the pure part of the component (no HTTP, no Pulumi)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from providers.endpoint_sip_legacy import NAME, NAME_RULE, SECRET_MAX, check_options
from providers.model import Did, IncallRange, Provider
from providers.register_sip import EXTENSION, HOST, LINE_MAX, NO_SEPARATOR

# Keys the component writes itself; extra options may not override them silently.
MANAGED_KEYS: dict[str, frozenset[str]] = {
    "outbound_auth": frozenset({"username", "password"}),
    "registration_outbound_auth": frozenset({"username", "password"}),
    "registration": frozenset({"server_uri", "client_uri", "contact_user", "expiration", "transport"}),
    "aor": frozenset({"contact", "qualify_frequency"}),
    "identify": frozenset({"match"}),
    "auth": frozenset(),
    "endpoint": frozenset({"context"}),
}


class PlanError(ValueError):
    """A stack that cannot be turned into confd objects; the message names the setting to fix."""


@dataclass(frozen=True)
class ContextInfo:
    """What the component needs to know of a context."""

    name: str
    label: str
    type: str
    incall_ranges: tuple[IncallRange, ...] = ()


def endpoint_sections(provider: Provider) -> dict[str, list[tuple[str, str]]]:
    """The seven PJSIP sections of the provider's SIP endpoint (CONTRACT.md 8.2)."""
    if provider.password is None:
        raise PlanError(
            f"providers {provider.name!r} has no password: run "
            f"`pulumi config set --secret --path 'providers[N].password' <password>`"
        )
    password = provider.password.get_secret_value()
    credentials = [("username", provider.username), ("password", password)]
    sections: dict[str, list[tuple[str, str]]] = {
        "aor_section_options": [("contact", provider.contact_uri)],
        "auth_section_options": [],
        "endpoint_section_options": [],
        "identify_section_options": [("match", host) for host in (provider.match or [provider.host])],
        "registration_section_options": [],
        "registration_outbound_auth_section_options": [],
        "outbound_auth_section_options": list(credentials),
    }
    # The tenant's `global` template qualifies every 60 s; "0" turns the keepalive off explicitly.
    frequency = str(provider.keepalive.frequency) if provider.keepalive.enabled else "0"
    sections["aor_section_options"].append(("qualify_frequency", frequency))
    if provider.registration.enabled:
        registration = [
            ("server_uri", provider.server_uri),
            ("client_uri", provider.client_uri),
            ("expiration", str(provider.registration.expiration)),
            ("transport", provider.transport),
        ]
        if provider.registration.contact_user is not None:
            registration.append(("contact_user", provider.registration.contact_user))
        sections["registration_section_options"] = registration
        sections["registration_outbound_auth_section_options"] = list(credentials)
    for section, options in provider.options.items():
        managed = MANAGED_KEYS[section]
        for key, _ in options:
            if key in managed:
                raise PlanError(
                    f"providers {provider.name!r}: options.{section} sets {key!r}, which the component "
                    f"manages; use the provider's own setting for it"
                )
        sections[f"{section}_section_options"].extend(options)
    return sections


def _in_range(digits: str, incall_range: IncallRange) -> bool:
    end = incall_range.end or incall_range.start
    if len(digits) != len(incall_range.start):
        return False
    return int(incall_range.start) <= int(digits) <= int(end)


def _exten_in_range(exten: str, incall_range: IncallRange) -> bool:
    """confd's own test on extension update (CONTRACT.md 6.10): last `did_length` digits of the bounds."""
    if not exten.isdigit():
        return False
    end = incall_range.end or incall_range.start
    n = incall_range.did_length
    low, high = (incall_range.start[-n:], end[-n:]) if n else (incall_range.start, end)
    return int(low) <= int(exten) <= int(high)


def describe_ranges(ranges: tuple[IncallRange, ...]) -> str:
    if not ranges:
        return "none"
    return ", ".join(
        f"{r.start}-{r.end or r.start}" + (f" (did_length {r.did_length})" if r.did_length else "")
        for r in ranges
    )


def did_exten(did: Did, context: ContextInfo) -> str:
    """The exten a DID gets in the incall context, checked against the context's incall ranges.

    With `did_length` N, the provider delivers the last N digits of the number, and confd compares
    an extension with the last N digits of the range bounds (transcript #101). A DID outside every
    range is refused here: confd would accept it at creation but refuse every later update.
    """
    if did.exten is not None:
        exten = did.exten
        if not any(_exten_in_range(exten, r) for r in context.incall_ranges):
            raise PlanError(
                f"DID {did.did}: exten {exten!r} is outside the incall ranges of context "
                f"{context.name!r} ({describe_ranges(context.incall_ranges)}); confd would refuse every "
                f"later update of that extension. Add a range to the context or fix the DID"
            )
        return exten
    for incall_range in context.incall_ranges:
        if _in_range(did.digits, incall_range):
            n = incall_range.did_length
            return did.digits[-n:] if n else did.digits
        if _exten_in_range(did.digits, incall_range):
            return did.digits
    raise PlanError(
        f"DID {did.did} is outside the incall ranges of context {context.name!r} "
        f"({describe_ranges(context.incall_ranges)}); confd would accept it at creation but refuse every "
        f"later update of that extension. Add a range to the context or fix the DID"
    )


def pick_context(kind: str, found: list[ContextInfo], setting: str) -> ContextInfo | None:
    """One context of a type, or None when the tenant has none; several is an error."""
    if len(found) > 1:
        names = ", ".join(f"{c.name} ({c.label})" for c in found)
        raise PlanError(
            f"the tenant has {len(found)} {kind} contexts ({names}); name the one to use with "
            f"`pulumi config set --path {setting} <name>`"
        )
    return found[0] if found else None


# -- Wazo 20.12 and before: the chan_sip API ---------------------------------------------------------

# PJSIP endpoint options confgend reads back from a chan_sip column (wazo-confgend
# plugins/pjsip_conf.py at wazo-20.12, _convert_dtmfmode and _convert_nat): written as that column
DTMF_MODES = {"rfc4733": "rfc2833", "inband": "inband", "info": "info"}
NAT_FLAGS = ("force_rport", "rewrite_contact", "rtp_symmetric")
# options a chan_sip endpoint can carry: confgend at 20.12 copies PJSIP endpoint and aor option
# names from an endpoint's options into those sections; identify holds only the host, and
# registration and the auth sections come from the register line and username/secret
CHAN_SIP_SECTIONS = frozenset({"endpoint", "aor"})
DEFAULT_CALLER_ID_FORMAT = "+E164"


def legacy_notes(provider: Provider, server: str) -> list[str]:
    """Settings a chan_sip server cannot show but that change nothing in how calls flow."""
    if provider.label:
        return [
            f"providers {provider.name!r}: label {provider.label!r} is not deployed: {server} has no label "
            f"on a SIP endpoint (the trunk shows as {provider.name!r})"
        ]
    return []


def legacy_problems(provider: Provider, server: str) -> list[str]:
    """Every setting of a provider that has no equivalent on a chan_sip-era Wazo (20.12 and before)."""
    where = f"providers {provider.name!r}"
    problems: list[str] = []
    for key, value in (("name", provider.name), ("username", provider.username)):
        if not NAME.match(value):
            problems.append(f"{where}: {key} {value!r} {NAME_RULE.removeprefix('must be ')} on {server}")
    password = provider.password.get_secret_value() if provider.password else ""
    if password and (len(password) > SECRET_MAX or any(ch not in string.printable for ch in password)):
        problems.append(f"{where}: password must be 1..{SECRET_MAX} printable ASCII characters on {server}")
    if provider.outgoing_caller_id_format != DEFAULT_CALLER_ID_FORMAT:
        problems.append(
            f"{where}: outgoing_caller_id_format {provider.outgoing_caller_id_format!r} has no equivalent on "
            f"{server} (trunks have that setting from 24.15); remove it or set +E164"
        )
    extra_matches = [entry for entry in provider.match if entry != provider.host]
    if extra_matches:
        problems.append(
            f"{where}: match {', '.join(extra_matches)} has no equivalent on {server}: calls are recognised "
            f"by the trunk's host ({provider.host}) only; remove those entries"
        )
    for section in sorted(set(provider.options) - CHAN_SIP_SECTIONS):
        if provider.options[section]:
            problems.append(
                f"{where}: options.{section} has no equivalent on {server} (a chan_sip endpoint takes "
                f"PJSIP endpoint and aor options only)"
            )
    try:
        check_options([list(pair) for pair in chan_sip_options(provider)])
    except (ValueError, PlanError) as error:
        problems.append(f"{where}: options: {error} on {server}")
    if provider.registration.enabled:
        if password and not NO_SEPARATOR.match(password):
            problems.append(
                f"{where}: password must not contain ':', '/' or spaces on {server}: the register line "
                f"separates its fields with them"
            )
        if not HOST.match(provider.host):
            problems.append(
                f"{where}: host {provider.host!r} cannot be written in a register line on {server}"
            )
        contact = provider.registration.contact_user
        if contact is not None and not EXTENSION.match(contact):
            problems.append(f"{where}: registration.contact_user must not contain '~' on {server}")
        line = register_line(provider)
        if line is not None and len(_line_text(line)) > LINE_MAX:
            problems.append(
                f"{where}: the register line would be longer than {LINE_MAX} characters on {server}"
            )
    for did in provider.incoming:
        if did.destination.get("moh_uuid") is not None:
            problems.append(
                f"{where}: DID {did.did}: destination.moh_uuid has no equivalent on {server} (a user "
                f"destination's music on hold came later)"
            )
    return problems


def _line_text(line: dict[str, Any]) -> str:
    text = f"{line['transport']}://" if line.get("transport") else ""
    text += f"{line['sip_username']}:{line['auth_password']}:{line['auth_username']}@{line['remote_host']}"
    text += f":{line['remote_port']}" if line.get("remote_port") else ""
    text += f"/{line['callback_extension']}" if line.get("callback_extension") else ""
    return text + f"~{line['expiration']}"


def chan_sip_options(provider: Provider) -> list[tuple[str, str]]:
    """The options of the provider's chan_sip peer: what the PJSIP endpoint says, in 20.12's terms."""
    options: list[tuple[str, str]] = [("insecure", "port,invite")]  # no challenge of the provider's calls
    if provider.keepalive.enabled:
        options += [("qualify", "yes"), ("qualifyfreq", str(provider.keepalive.frequency))]
    else:
        # confgend at 20.12 skips a qualifyfreq of 0 (the general value applies) but copies this
        options += [("qualify", "no"), ("qualify_frequency", "0")]
    if provider.port != 5060:
        options.append(("port", str(provider.port)))
    endpoint = list(provider.options.get("endpoint", []))
    flags = {key: value for key, value in endpoint if key in NAT_FLAGS}
    nat = None
    if flags == {"force_rport": "yes", "rewrite_contact": "yes"}:
        nat = "force_rport"
    elif flags == {"rtp_symmetric": "yes"}:
        nat = "comedia"
    if nat is not None:
        endpoint = [(key, value) for key, value in endpoint if key not in NAT_FLAGS]
        options.append(("nat", nat))
    for section in ("endpoint", "aor"):
        pairs = endpoint if section == "endpoint" else list(provider.options.get("aor", []))
        for key, value in pairs:
            if key in MANAGED_KEYS[section]:
                raise PlanError(
                    f"providers {provider.name!r}: options.{section} sets {key!r}, which the component "
                    f"manages; use the provider's own setting for it"
                )
            if section == "endpoint" and key == "dtmf_mode" and value in DTMF_MODES:
                options.append(("dtmfmode", DTMF_MODES[value]))
            else:
                options.append((key, value))
    return options


def chan_sip_endpoint(provider: Provider) -> dict[str, Any]:
    """The chan_sip peer (POST /endpoints/sip at 20.12) for a provider; the secret still in clear."""
    if provider.password is None:
        raise PlanError(
            f"providers {provider.name!r} has no password: run "
            f"`pulumi config set --secret --path 'providers[N].password' <password>`"
        )
    return {
        "name": provider.name,
        "username": provider.username,
        "secret": provider.password.get_secret_value(),
        "type": "peer",
        "host": provider.host,
        "options": [list(pair) for pair in chan_sip_options(provider)],
    }


def register_line(provider: Provider) -> dict[str, Any] | None:
    """The register (POST /registers/sip at 20.12) that registers the account, or None."""
    if not provider.registration.enabled or provider.password is None:
        return None
    return {
        "transport": provider.transport,
        "sip_username": provider.username,
        "auth_username": provider.username,
        "auth_password": provider.password.get_secret_value(),
        "remote_host": provider.host,
        "remote_port": provider.port if provider.port != 5060 else None,
        "callback_extension": provider.registration.contact_user,
        "expiration": provider.registration.expiration,
    }
