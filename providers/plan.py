"""From a provider's settings to confd bodies: the pure part of the component (no HTTP, no Pulumi)."""

from __future__ import annotations

from dataclasses import dataclass

from providers.model import Did, IncallRange, Provider

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
