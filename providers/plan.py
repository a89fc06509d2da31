"""From the stack's settings to what the program declares: every check and lookup before any write.

`plan_stack` reads the tenant through a `Directory` (contexts, templates, transports, users) and
returns a `StackPlan`, or raises one PlanError listing every problem of the whole stack. The program
declares its first resource only after that, so a stack with a bad DID in its last provider sends no
write at all. Nothing here speaks HTTP or Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.model import NAMESPACE, Did, IncallRange, Outgoing, Provider, StackConfig

if TYPE_CHECKING:
    from providers.directory import Directory

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
    """A stack that cannot be turned into confd objects; each line names the setting to fix."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ContextInfo:
    """What the component needs to know of a context."""

    name: str
    label: str
    type: str
    incall_ranges: tuple[IncallRange, ...] = ()


def endpoint_sections(provider: Provider) -> dict[str, list[tuple[str, str]]]:
    """The seven PJSIP sections of the provider's SIP endpoint (docs/confd-contract.md 8.2)."""
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
        ]
        if provider.transport is not None:
            registration.append(("transport", provider.transport))
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


def confd_in_range(exten: str, incall_range: IncallRange) -> bool:
    """confd's own test of an incall extension against one incall range.

    xivo-dao `ContextNumbers.in_range` (wazo-platform/xivo-dao, xivo_dao/alchemy/contextnumbers.py):
    the exten as an integer, between the integers of the last `did_length` digits of the bounds
    (the whole bounds when `did_length` is 0, or when the bounds are not longer than that). confd
    runs it on every update of an extension attached to an incall.
    """
    if not exten.isdigit():
        return False
    n = incall_range.did_length
    end = incall_range.end or incall_range.start
    low, high = (incall_range.start[-n:], end[-n:]) if n else (incall_range.start, end)
    value = int(exten)
    return int(low) <= value <= int(high)


def delivered_digits(digits: str, incall_range: IncallRange) -> str:
    """The exten a number gets in a context with this range: its last `did_length` digits (or all)."""
    n = incall_range.did_length
    return digits[-n:] if n else digits


def exten_in(digits: str, incall_range: IncallRange) -> str | None:
    """The exten of a DID in one range, or None when the DID does not belong to it.

    The range may be written in full (15551230000-15551239999 with did_length 10) or with the
    delivered digits only (0000-9999 with did_length 4); confd compares the delivered digits with the
    last `did_length` digits of the bounds either way. A number as long as the bounds must also lie
    between them, so that +25551230000 is not taken for a number of 15551230000-15551239999 because
    both end in 5551230000.
    """
    exten = delivered_digits(digits, incall_range)
    if not confd_in_range(exten, incall_range):
        return None
    end = incall_range.end or incall_range.start
    if len(digits) == len(incall_range.start) and not int(incall_range.start) <= int(digits) <= int(end):
        return None
    return exten


def describe_ranges(ranges: tuple[IncallRange, ...]) -> str:
    if not ranges:
        return "none"
    return ", ".join(
        f"{r.start}-{r.end or r.start}" + (f" (did_length {r.did_length})" if r.did_length else "")
        for r in ranges
    )


def did_exten(did: Did, context: ContextInfo) -> str:
    """The exten a DID gets in the incall context, checked against the context's incall ranges.

    With `did_length` N, the provider delivers the last N digits of the number. A DID outside every
    range is refused here: confd would accept it at creation but refuse every later update of its
    extension ("Extension ... is outside of range for context ...").
    """
    if did.exten is not None:
        if not any(confd_in_range(did.exten, r) for r in context.incall_ranges):
            raise PlanError(
                f"DID {did.did}: exten {did.exten!r} is outside the incall ranges of context "
                f"{context.name!r} ({describe_ranges(context.incall_ranges)}); confd would refuse every "
                f"later update of that extension. Add a range to the context or fix the DID"
            )
        return did.exten
    for incall_range in context.incall_ranges:
        exten = exten_in(did.digits, incall_range)
        if exten is not None:
            return exten
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


# -- the whole stack ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextPlan:
    """The context of one kind the stack uses: the tenant's (by name) or one the stack creates."""

    kind: str
    name: str | None  # None: created by this stack, its name is known once confd made it
    incall_ranges: tuple[IncallRange, ...] = ()

    @property
    def shown(self) -> str:
        return self.name or f"(the {self.kind} context this stack creates)"


@dataclass(frozen=True)
class TrunkPlan:
    """One provider's trunk: its SIP endpoint's sections and the tenant objects they refer to."""

    provider: Provider
    sections: dict[str, list[tuple[str, str]]]
    template_uuid: str
    transport_uuid: str | None  # None: the endpoint has no transport of its own
    adopt: bool = False


@dataclass(frozen=True)
class OutcallPlan:
    """One outcall, its trunks (provider names, in priority order) and its dial patterns."""

    provider: str  # the provider whose `outgoing` declares it
    outgoing: Outgoing
    trunks: tuple[str, ...]
    adopt: bool = False


@dataclass(frozen=True)
class DidPlan:
    """One DID: its exten in the incall context and its destination as confd takes it."""

    provider: str  # the provider whose `incoming` lists it
    did: Did
    exten: str
    destination: dict[str, Any]
    adopt: bool = False


@dataclass(frozen=True)
class StackPlan:
    """Everything the program declares, checked and looked up."""

    tenant: str
    incall: ContextPlan
    outcall: ContextPlan | None
    trunks: tuple[TrunkPlan, ...]
    outcalls: tuple[OutcallPlan, ...]
    dids: tuple[DidPlan, ...]


CREATED_LABELS = {"incall": "Incoming calls", "outcall": "Outgoing calls"}


class _Problems:
    """Collects every problem instead of stopping at the first; `where` prefixes a step's lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def run(self, step: Any, *args: Any, where: str = "") -> Any:
        try:
            return step(*args)
        except PlanError as error:
            for line in error.problems:
                line = f"{where}: {line}" if where else line
                if line not in self.lines:
                    self.lines.append(line)
            return None


def _context(kind: str, config: StackConfig, directory: Directory) -> ContextPlan:
    """The stack's context of a kind: named in the stack, created by it, or the tenant's only one."""
    explicit = getattr(config.contexts, kind)
    if explicit is not None:
        found = directory.context(explicit)
        if found is None or found.type != kind:
            what = "does not exist in the tenant" if found is None else f"is of type {found.type!r}"
            raise PlanError(
                f"{NAMESPACE}:contexts.{kind}: context {explicit!r} {what}; name an {kind} context "
                f"of the tenant or remove the setting to find it automatically"
            )
        return ContextPlan(kind, found.name, found.incall_ranges)
    if config.contexts.create:
        # the stack owns this context: it keeps declaring it on every run, so it is never looked up
        ranges = tuple(config.contexts.incall_ranges) if kind == "incall" else ()
        return ContextPlan(kind, None, ranges)
    picked = pick_context(kind, directory.contexts(kind), f"contexts.{kind}")
    if picked is None:
        raise PlanError(
            f"the tenant has no {kind} context, and confd creates none for a new tenant. Name one "
            f"with `pulumi config set --path contexts.{kind} <name>`, or let this stack create and "
            f"manage it with `pulumi config set --path contexts.create true`"
            + (" (and contexts.incall_ranges for your DIDs)" if kind == "incall" else "")
        )
    return ContextPlan(kind, picked.name, picked.incall_ranges)


def _trunk(index: int, provider: Provider, directory: Directory, adopt: bool) -> TrunkPlan:
    problems = _Problems()
    key = f"{NAMESPACE}:providers[{index}]"
    sections = problems.run(endpoint_sections, provider)
    template = "registration_trunk" if provider.registration.enabled else "global"
    template_uuid = problems.run(directory.template_uuid, template)
    transport_uuid = None
    if provider.transport is not None:
        transport_uuid = problems.run(directory.transport_uuid, provider.transport, where=f"{key}.transport")
    if problems.lines:
        raise PlanError(problems.lines)
    return TrunkPlan(provider, sections, template_uuid, transport_uuid, adopt)


def _destination(destination: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """The confd destination: a user chosen by email becomes that user's id."""
    resolved = dict(destination)
    email = resolved.pop("user_email", None)
    if email is not None:
        resolved["user_id"] = directory.user_id(email)
    return resolved


def _did_key(index: int, did_index: int) -> str:
    return f"{NAMESPACE}:providers[{index}].incoming[{did_index}]"


def _dids(config: StackConfig, incall: ContextPlan, directory: Directory) -> tuple[DidPlan, ...]:
    problems = _Problems()
    info = ContextInfo(name=incall.shown, label="", type="incall", incall_ranges=incall.incall_ranges)
    planned: list[DidPlan] = []
    owners: dict[str, tuple[str, str]] = {}
    for index, provider in enumerate(config.providers):
        for did_index, did in enumerate(provider.incoming):
            key = _did_key(index, did_index)
            exten = problems.run(did_exten, did, info, where=f"{key}.did")
            destination = problems.run(_destination, did.destination, directory, where=f"{key}.destination")
            if exten is None or destination is None:
                continue
            first = owners.setdefault(exten, (key, did.did))
            if first[0] != key:
                problems.lines.append(
                    f"{key}.did: DID {did.did} becomes exten {exten!r} in context {incall.shown!r}, "
                    f"as DID {first[1]} ({first[0]}) does; confd keeps one extension per exten and "
                    f"context, so remove one of them or give one an exten of its own"
                )
                continue
            planned.append(DidPlan(provider.name, did, exten, destination, config.adopting(provider)))
    if problems.lines:
        raise PlanError(problems.lines)
    return tuple(planned)


def _outcalls(config: StackConfig) -> tuple[OutcallPlan, ...]:
    planned: list[OutcallPlan] = []
    patterns: dict[str, str] = {}
    problems: list[str] = []
    for index, provider in enumerate(config.providers):
        if provider.outgoing is None:
            continue
        outgoing = provider.outgoing
        for pattern_index, pattern in enumerate(outgoing.patterns):
            owner = patterns.setdefault(pattern.exten, outgoing.outcall)
            if owner != outgoing.outcall:
                problems.append(
                    f"{NAMESPACE}:providers[{index}].outgoing.patterns[{pattern_index}].exten: pattern "
                    f"{pattern.exten!r} is also a pattern of outcall {owner!r}; an exten is one "
                    f"extension of the outcall context, and it belongs to one outcall only"
                )
        trunks = tuple(outgoing.trunks or [provider.name])
        planned.append(OutcallPlan(provider.name, outgoing, trunks, config.adopting(provider)))
    if problems:
        raise PlanError(problems)
    return tuple(planned)


def plan_stack(config: StackConfig, directory: Directory) -> StackPlan:
    """The whole stack checked and looked up; one PlanError lists every problem found."""
    problems = _Problems()
    incall = problems.run(_context, "incall", config, directory)
    needs_outcall = any(p.outgoing is not None for p in config.providers)
    outcall = problems.run(_context, "outcall", config, directory) if needs_outcall else None
    trunks = [
        problems.run(_trunk, i, p, directory, config.adopting(p)) for i, p in enumerate(config.providers)
    ]
    outcalls = problems.run(_outcalls, config)
    dids = problems.run(_dids, config, incall, directory) if incall is not None else None
    if problems.lines or incall is None or outcalls is None or dids is None:
        raise PlanError(problems.lines)
    return StackPlan(
        tenant=str(config.tenant),
        incall=incall,
        outcall=outcall,
        trunks=tuple(t for t in trunks if t is not None),
        outcalls=outcalls,
        dids=dids,
    )
