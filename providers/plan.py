"""From the stack's settings to what the program declares: every check and lookup before any write.

`plan_stack` reads the tenant through a `Directory` (contexts, templates, transports, users) and
returns a `StackPlan`, or raises one PlanError listing every problem of the whole stack. The program
declares its first resource only after that, so a stack with a bad DID in its last provider sends no
write at all. Nothing here speaks HTTP or Pulumi.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from providers.endpoint_sip_legacy import NAME, NAME_RULE, SECRET_MAX, check_options
from providers.model import NAMESPACE, Did, IncallRange, Outgoing, Provider, StackConfig
from providers.register_sip import EXTENSION, HOST, LINE_MAX, NO_SEPARATOR

if TYPE_CHECKING:
    from providers.confd.generation import ServerGeneration
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
    except PlanError as error:
        problems.extend(error.problems)
    except ValueError as error:
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
class ChanSipPlan:
    """A provider's chan_sip peer and register line (Wazo 20.12 and before), secrets still in clear."""

    peer: dict[str, Any]
    register: dict[str, Any] | None
    # settings the server cannot show but that change nothing in how calls flow (warnings)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrunkPlan:
    """One provider's trunk: its SIP endpoint's sections and the tenant objects they refer to.

    On a chan_sip Wazo `chan_sip` holds the peer and register line instead, and the PJSIP fields
    are empty (no sections, no template; the transport only when the register line names one).
    """

    provider: Provider
    sections: dict[str, list[tuple[str, str]]]
    template_uuid: str
    transport_uuid: str | None  # None: the endpoint has no transport of its own
    chan_sip: ChanSipPlan | None = None
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
    # what the server speaks (providers.confd.generation.detect); None: the PJSIP API
    server: ServerGeneration | None = field(default=None)


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


def _context(
    kind: str, config: StackConfig, directory: Directory, server: ServerGeneration | None
) -> ContextPlan:
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
    if config.contexts.create and server is not None and server.chan_sip:
        raise PlanError(
            f"{NAMESPACE}:contexts.create cannot make one on {server.describe()} (the stack's {kind} "
            f"context): contexts were named by the client before 23.12. Create it in the Wazo and name "
            f"it with `pulumi config set --path contexts.{kind} <name>`, or remove contexts.create"
        )
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


def _trunk(
    index: int, provider: Provider, directory: Directory, server: ServerGeneration | None, adopt: bool
) -> TrunkPlan:
    if server is not None and server.chan_sip:
        if adopt:
            raise PlanError(
                f"{NAMESPACE}:providers[{index}]: adopt takes over the objects of the PJSIP API (Wazo "
                f"20.13 and later), and this is {server.describe()}: remove adopt (for the stack or "
                f"this provider), or upgrade the Wazo first"
            )
        return _chan_sip_trunk(index, provider, directory, server)
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
    return TrunkPlan(provider, sections, template_uuid, transport_uuid, adopt=adopt)


def _chan_sip_trunk(
    index: int, provider: Provider, directory: Directory, server: ServerGeneration
) -> TrunkPlan:
    """The trunk step on Wazo 20.12 and before: every inexpressible setting refused, then the peer."""
    described = server.describe()
    problems = _Problems()
    problems.lines.extend(legacy_problems(provider, described))
    peer = None if problems.lines else problems.run(chan_sip_endpoint, provider)
    register = register_line(provider)
    transport_uuid = ""
    if register is not None and register.get("transport"):
        # the register line names a transport of the Wazo: it must exist
        where = f"{NAMESPACE}:providers[{index}].transport"
        transport_uuid = problems.run(directory.transport_uuid, provider.transport, where=where) or ""
    if problems.lines or peer is None:
        raise PlanError(problems.lines)
    notes = tuple(legacy_notes(provider, described))
    return TrunkPlan(provider, {}, "", transport_uuid, ChanSipPlan(peer, register, notes))


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


def plan_stack(
    config: StackConfig, directory: Directory, server: ServerGeneration | None = None
) -> StackPlan:
    """The whole stack checked and looked up; one PlanError lists every problem found.

    `server` is what the Wazo speaks: on a chan_sip one (20.12 and before) every setting it cannot
    express is refused here too, so nothing is written for a stack that would fail halfway.
    """
    problems = _Problems()
    incall = problems.run(_context, "incall", config, directory, server)
    needs_outcall = any(p.outgoing is not None for p in config.providers)
    outcall = problems.run(_context, "outcall", config, directory, server) if needs_outcall else None
    trunks = [
        problems.run(_trunk, i, p, directory, server, config.adopting(p))
        for i, p in enumerate(config.providers)
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
        server=server,
    )
