"""`export`: a live tenant's provider interconnects as a stack file whose first `up` writes nothing.

The tenant is read with one list request per collection (trunks, SIP endpoints, outcalls, incalls,
extensions, contexts, SIP templates, transports, users), then turned into the stack model: each SIP
trunk a provider (its endpoint's PJSIP sections mapped back to the provider's settings, the rest
under `options`), each outcall an `outgoing`, each incall and its number a DID. Objects without a
name are recorded by id (`trunk_id`, `incall_id`) for `adopt`, which the file sets.

Nothing is lost silently: an object the model cannot express is left out, a setting it cannot hold
is one the first `up` would change, and each is reported by name. Before anything is written, the
stack goes through the stack models and the program's own plan (`plan_stack`), and every object's
inputs, as the program would declare them, are compared with what confd shows, field by field.
Secrets (the SIP passwords confd returns) are never written to the file: the caller hands them to
`pulumi config set --secret` on stdin.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import yaml
from pydantic import SecretStr, ValidationError

from providers._base import ArgsBase, ObjectSpec, plain, sorted_pairs
from providers.confd import ConfdClient
from providers.confd.generation import detect
from providers.endpoint_sip import AUTH_SECTIONS, SIP_URI, check_section
from providers.endpoint_sip import SPEC as ENDPOINT_SPEC
from providers.extension import SPEC as EXTENSION_SPEC
from providers.incall import SPEC as INCALL_SPEC
from providers.incall import canon_destination, check_destination
from providers.model import (
    NAMESPACE,
    ConfigError,
    DialPattern,
    Did,
    IncallRange,
    PjsipSection,
    Provider,
    describe_errors,
    load_stack_config,
)
from providers.outcall import SPEC as OUTCALL_SPEC
from providers.outcall_extension import FIELDS as PATTERN_FIELDS
from providers.outcall_extension import check_caller_id
from providers.plan import (
    MANAGED_KEYS,
    ContextInfo,
    PlanError,
    StackPlan,
    describe_ranges,
    did_exten,
    endpoint_sections,
    plan_stack,
)
from providers.trunk import SPEC as TRUNK_SPEC
from stacks.scaffold import Secret

# One list request per collection: the whole export is these reads.
READS = (
    "/trunks",
    "/endpoints/sip",
    "/outcalls",
    "/incalls",
    "/extensions",
    "/contexts",
    "/endpoints/sip/templates",
    "/sip/transports",
    "/users",
)
SECTIONS = get_args(PjsipSection)
# Options of the auth sections that are not secrets and may be written in the file
PLAIN_AUTH_KEYS = frozenset({"auth_type", "nonce_lifetime", "realm"})
# A placeholder for the passwords while the stack is checked; never written anywhere
CHECK_PASSWORD = "export-check-placeholder"  # noqa: S105


# What a trunk may have besides a SIP endpoint, none of which a provider of the stack can have
OTHER_ENDPOINTS = {
    "endpoint_iax": "an IAX endpoint",
    "endpoint_custom": "a custom endpoint",
    "register_iax": "an IAX register",
}


class ExportError(Exception):
    """The tenant cannot be exported at all; one line saying why."""


@dataclass(frozen=True)
class Tenant:
    """What the export read of one tenant: each collection's items."""

    uuid: str
    items: dict[str, list[dict[str, Any]]]

    def __getitem__(self, path: str) -> list[dict[str, Any]]:
        return self.items[path]


def read_tenant(client: ConfdClient, tenant_uuid: str) -> Tenant:
    """Every collection the export needs, one list request each (confd lists the tenant's own only).

    First, which API the Wazo speaks (its API spec, one request without credentials): the export
    maps PJSIP endpoints; a chan_sip Wazo (20.12 and before) is refused, naming its generation.
    """
    server = detect(client)
    if server.chan_sip:
        raise ExportError(
            f"the Wazo speaks {server.describe()}: the export reads the PJSIP API of Wazo 20.13 and later "
            f"(its SIP endpoints and their sections). Upgrade the Wazo first (the upgrade turns each "
            f"chan_sip trunk into a PJSIP endpoint), then export; or write the stack file by hand"
        )
    items: dict[str, list[dict[str, Any]]] = {}
    for path in READS:
        data = client.get(path)
        items[path] = [item for item in data.get("items", []) if isinstance(item, dict)]
    return Tenant(tenant_uuid, items)


@dataclass(frozen=True)
class Finding:
    """One thing the file does not hold as the tenant has it: left out, or changed by the first up."""

    what: str
    why: str
    left_out: bool

    def __str__(self) -> str:
        return f"{self.what}: {self.why}"


@dataclass
class Export:
    """The stack's settings (no secret among them), the secrets to store, and what was not exported."""

    values: dict[str, Any]
    secrets: list[Secret] = field(default_factory=list, repr=False)
    findings: list[Finding] = field(default_factory=list)
    plan: StackPlan | None = None

    @property
    def left_out(self) -> list[Finding]:
        return [f for f in self.findings if f.left_out]

    @property
    def changes(self) -> list[Finding]:
        return [f for f in self.findings if not f.left_out]

    @property
    def complete(self) -> bool:
        return not self.findings

    def counts(self) -> str:
        providers = self.values["providers"]
        outcalls = [p["outgoing"] for p in providers if "outgoing" in p]
        patterns = sum(len(o["patterns"]) for o in outcalls)
        dids = sum(len(p.get("incoming", [])) for p in providers)
        return (
            f"{len(providers)} provider{'s' * (len(providers) != 1)}, "
            f"{len(outcalls)} outcall{'s' * (len(outcalls) != 1)} with {patterns} dial "
            f"pattern{'s' * (patterns != 1)}, {dids} DID{'s' * (dids != 1)}"
        )


class SnapshotDirectory:
    """The program's Directory answered from what the export read: the same questions, no request."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant

    def contexts(self, type_: str) -> list[ContextInfo]:
        return [context_info(c) for c in self._tenant["/contexts"] if c.get("type") == type_]

    def context(self, name: str) -> ContextInfo | None:
        found = [context_info(c) for c in self._tenant["/contexts"] if c.get("name") == name]
        return found[0] if found else None

    def template_uuid(self, label: str) -> str:
        found = [t for t in self._tenant["/endpoints/sip/templates"] if t.get("label") == label]
        if len(found) != 1:
            raise PlanError(f"the tenant has {len(found) or 'no'} SIP template labelled {label!r}")
        return str(found[0]["uuid"])

    def transport_uuid(self, name: str) -> str:
        found = [t for t in self._tenant["/sip/transports"] if t.get("name") == name]
        if not found:
            raise PlanError(f"the Wazo has no SIP transport named {name!r}")
        return str(found[0]["uuid"])

    def user_id(self, email: str) -> int:
        found = [u for u in self._tenant["/users"] if u.get("email") == email]
        if len(found) != 1:
            raise PlanError(f"no single user of the tenant has the email {email!r} ({len(found)} found)")
        return int(found[0]["id"])


def context_info(item: Mapping[str, Any]) -> ContextInfo:
    ranges = tuple(
        IncallRange(start=r["start"], end=r.get("end"), did_length=r.get("did_length") or 0)
        for r in item.get("incall_ranges") or []
    )
    return ContextInfo(
        name=str(item["name"]),
        label=str(item.get("label") or ""),
        type=str(item["type"]),
        incall_ranges=ranges,
    )


# -- the provider of a SIP trunk: its endpoint's sections mapped back ----------------------------


def _pairs(endpoint: Mapping[str, Any], section: str) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in endpoint.get(f"{section}_section_options") or []]


def _take(pairs: list[tuple[str, str]], key: str) -> list[str]:
    """The values of a key, removed from the list."""
    values = [v for k, v in pairs if k == key]
    pairs[:] = [(k, v) for k, v in pairs if k != key]
    return values


def _host_port(uri: str) -> tuple[str, int] | None:
    """`sip:host` or `sip:host:port` (no user, no parameters) -> (host, port)."""
    match = SIP_URI.match(uri)
    if not match or match.group("scheme") != "sip" or match.group("user") or match.group("params"):
        return None
    port = match.group("port")
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return None
    return match.group("host"), int(port) if port else 5060


class _Provider:
    """Builds one provider entry from a trunk and its SIP endpoint; notes what does not map back."""

    def __init__(self, trunk: Mapping[str, Any], endpoint: Mapping[str, Any], tenant: Tenant) -> None:
        self.trunk = trunk
        self.endpoint = endpoint
        self.tenant = tenant
        self.name = str(endpoint.get("name"))
        self.what = f"provider {self.name!r} (trunk {trunk.get('id')})"
        # settings the file cannot hold, which the first up would change: (section, what)
        self.notes: list[tuple[str, str]] = []
        self.password: str | None = None

    def build(self) -> dict[str, Any]:
        """The provider's settings; raises ValueError (why it is left out) when it has no place."""
        sections = {name: _pairs(self.endpoint, name) for name in SECTIONS}
        entry: dict[str, Any] = {"name": self.name, "trunk_id": int(self.trunk["id"])}
        if self.endpoint.get("label"):
            entry["label"] = self.endpoint["label"]

        # credentials: what Wazo presents to the provider
        outbound = sections["outbound_auth"]
        usernames, passwords = _take(outbound, "username"), _take(outbound, "password")
        if len(usernames) != 1 or len(passwords) != 1:
            raise ValueError(
                "its SIP endpoint's outbound_auth section does not hold one username and one password, "
                "and a provider of the stack authenticates with them"
            )
        username, self.password = usernames[0], passwords[0]
        entry["username"] = username

        # where calls go: the aor contact (else the registration's server)
        aor, registration = sections["aor"], sections["registration"]
        contacts = _take(aor, "contact")
        servers = [v for k, v in registration if k == "server_uri"]
        located = _host_port(contacts[0]) if contacts else None
        if located is None and len(servers) == 1:
            located = _host_port(servers[0])
        if located is None:
            raise ValueError(
                "its SIP endpoint has no single `sip:host[:port]` contact (aor) or server_uri "
                "(registration) to take the provider's host from"
            )
        host, port = located
        entry["host"] = host
        if port != 5060:
            entry["port"] = port
        if len(contacts) != 1:
            self.notes.append(("aor", f"aor contact {'absent' if not contacts else 'given several times'}"))

        transport = self._transport()
        if transport != "transport-udp":
            entry["transport"] = transport

        registered = any(k in ("server_uri", "client_uri") for k, _ in registration)
        settings = self._registration(registration, transport) if registered else {"enabled": False}
        if settings:
            entry["registration"] = settings
        keepalive = self._keepalive(aor)
        if keepalive:
            entry["keepalive"] = keepalive
        match = self._match(_take(sections["identify"], "match"))
        if match and match != [host]:
            entry["match"] = match
        format_ = self.trunk.get("outgoing_caller_id_format") or "+E164"
        if format_ != "+E164":
            entry["outgoing_caller_id_format"] = format_

        reg_auth = sections["registration_outbound_auth"]
        if registered:
            reg_users, reg_passwords = _take(reg_auth, "username"), _take(reg_auth, "password")
            if reg_users != [username] or reg_passwords != [self.password]:
                self.notes.append(
                    (
                        "registration_outbound_auth",
                        "registration_outbound_auth does not hold the outbound_auth username and password",
                    )
                )
        options = self._options(
            {
                "aor": aor,
                "auth": sections["auth"],
                "endpoint": sections["endpoint"],
                "identify": sections["identify"],
                "registration": registration,
                "registration_outbound_auth": reg_auth,
                "outbound_auth": outbound,
            }
        )
        if options:
            entry["options"] = options
        return entry

    def _transport(self) -> str | None:
        transport = self.endpoint.get("transport") or {}
        uuid = transport.get("uuid")
        if uuid is None:
            return None
        names = [t.get("name") for t in self.tenant["/sip/transports"] if t.get("uuid") == uuid]
        if not names:
            raise ValueError(f"its SIP endpoint's transport {uuid} is not one the Wazo lists")
        return str(names[0])

    def _registration(self, registration: list[tuple[str, str]], transport: str | None) -> dict[str, Any]:
        _take(registration, "server_uri")
        _take(registration, "client_uri")
        settings: dict[str, Any] = {}
        expirations = _take(registration, "expiration")
        if len(expirations) == 1 and expirations[0].isdigit() and 60 <= int(expirations[0]) <= 86400:
            if int(expirations[0]) != 120:
                settings["expiration"] = int(expirations[0])
        else:
            self.notes.append(
                ("registration", "registration expiration absent, repeated or outside 60..86400")
            )
        contact_users = _take(registration, "contact_user")
        if len(contact_users) == 1:
            settings["contact_user"] = contact_users[0]
        elif contact_users:
            self.notes.append(("registration", "registration contact_user given several times"))
        transports = _take(registration, "transport")
        if transports != ([] if transport is None else [transport]):
            self.notes.append(
                (
                    "registration",
                    f"registration transport {', '.join(transports) or '(none)'} is not the endpoint's "
                    f"transport ({transport or 'none'})",
                )
            )
        return settings

    def _match(self, entries: list[str]) -> list[str]:
        valid = []
        for entry in entries:
            try:
                Provider.model_validate(
                    {"name": "x", "username": "x", "host": "example.com", "match": [entry]}
                )
            except ValidationError:
                self.notes.append(
                    ("identify", f"identify match {entry!r} is not one host, IP address or CIDR")
                )
                continue
            valid.append(entry)
        return valid

    def _keepalive(self, aor: list[tuple[str, str]]) -> dict[str, Any]:
        frequencies = _take(aor, "qualify_frequency")
        if len(frequencies) != 1 or not frequencies[0].isdigit() or int(frequencies[0]) > 86400:
            self.notes.append(("aor", "aor qualify_frequency absent, repeated or not 0..86400"))
            return {}
        frequency = int(frequencies[0])
        if frequency == 0:
            return {"enabled": False}
        return {} if frequency == 60 else {"frequency": frequency}

    def _options(self, sections: dict[str, list[tuple[str, str]]]) -> dict[str, list[list[str]]]:
        options: dict[str, list[list[str]]] = {}
        for section, pairs in sections.items():
            kept: list[list[str]] = []
            for key, value in pairs:
                secret = f"{section}_section_options" in AUTH_SECTIONS
                if secret and key not in PLAIN_AUTH_KEYS:
                    # a password or a hash: never in the file; named by its key only when it is one
                    shown = key if key in ("password", "md5_cred", "username") else "a secret option"
                    self.notes.append((section, f"{section} holds {shown}, which the stack file cannot hold"))
                    continue
                if key in MANAGED_KEYS[section]:
                    self.notes.append(
                        (section, f"{section} option {key} given besides the provider's own setting")
                    )
                    continue
                try:
                    check_section(f"{section}_section_options", [[key, value]])
                except ValueError as error:
                    self.notes.append((section, f"{section} option {key}: {error}"))
                    continue
                kept.append([key, value])
            if kept:
                options[section] = kept
        return options


# -- the whole tenant ------------------------------------------------------------------------------


def _pick(kind: str, contexts: list[dict[str, Any]], uses: Counter[str]) -> dict[str, Any] | None:
    """The context of a kind that the most objects use (the lowest id on a tie), or None."""
    of_kind = sorted((c for c in contexts if c.get("type") == kind), key=lambda c: int(c.get("id") or 0))
    if not of_kind:
        return None
    return max(of_kind, key=lambda c: uses[str(c.get("name"))])


def _destination(destination: Mapping[str, Any], users: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The stack's form of an incall destination: a user by email when that finds exactly them."""
    # confd adds read-only fields (user_firstname...): keep the destination's own, then check them
    checked = check_destination(canon_destination(dict(destination)))
    out = {key: value for key, value in checked.items() if value is not None}
    for key, default in (("skip_instructions", False), ("skip", False), ("no_answer", False)):
        if out.get(key) == default:
            out.pop(key)
    if out.get("type") == "user":
        user = [u for u in users if u.get("id") == out["user_id"]]
        email = user[0].get("email") if user else None
        if email and sum(1 for u in users if u.get("email") == email) == 1:
            out.pop("user_id")
            out = {"type": "user", "user_email": email, **{k: v for k, v in out.items() if k != "type"}}
    return out


def _did_number(exten: str, context: ContextInfo) -> dict[str, str] | None:
    """How a DID is written so that the program derives `exten` from it: the whole number as the
    context's range spells it, else the exten itself, else with an explicit exten; None: outside
    every range of the context."""
    candidates: list[dict[str, str]] = []
    for incall_range in context.incall_ranges:
        n = incall_range.did_length
        if n and len(incall_range.start) > n and len(exten) == n:
            candidates.append({"did": incall_range.start[:-n] + exten})
    if exten.isdigit():
        candidates.append({"did": exten})
    for candidate in candidates:
        try:
            if did_exten(Did(destination={"type": "none"}, **candidate), context) == exten:
                return candidate
        except (PlanError, ValidationError):
            continue
    if exten.isdigit() and candidates:
        try:
            did_exten(Did(did=exten, exten=exten, destination={"type": "none"}), context)
            return {"did": exten, "exten": exten}
        except (PlanError, ValidationError):
            return None
    return None


def _model_errors(error: ValidationError) -> str:
    return "; ".join(line.removeprefix(f"{NAMESPACE}:") for line in describe_errors(error))


class _Exporter:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.findings: list[Finding] = []
        self.providers: list[dict[str, Any]] = []
        self.passwords: dict[str, str] = {}  # provider name -> its SIP password, never written
        self.trunk_names: dict[int, str] = {}  # exported trunk id -> provider name
        self.extensions = {int(e["id"]): e for e in tenant["/extensions"]}
        self.patterns: dict[str, str] = {}  # exported dial pattern exten -> its outcall
        self.noted: dict[str, set[str]] = {}  # provider -> the endpoint sections its notes are about

    def left_out(self, what: str, why: str) -> None:
        self.findings.append(Finding(what, why, left_out=True))

    def changed(self, what: str, why: str) -> None:
        self.findings.append(Finding(what, why, left_out=False))

    # contexts
    def choose_contexts(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        uses: Counter[str] = Counter()
        uses.update(str(t.get("context")) for t in self.tenant["/trunks"] if t.get("context"))
        for incall in self.tenant["/incalls"]:
            uses.update(str(e.get("context")) for e in incall.get("extensions") or [])
        for outcall in self.tenant["/outcalls"]:
            uses.update(str(e.get("context")) for e in outcall.get("extensions") or [])
        contexts = self.tenant["/contexts"]
        return _pick("incall", contexts, uses), _pick("outcall", contexts, uses)

    # trunks -> providers
    def add_providers(self, incall_context: str) -> None:
        endpoints = {str(e.get("uuid")): e for e in self.tenant["/endpoints/sip"]}
        for trunk in sorted(self.tenant["/trunks"], key=lambda t: int(t["id"])):
            sip = trunk.get("endpoint_sip") or {}
            what = f"trunk {trunk['id']}" + (f" ({sip.get('name')})" if sip.get("name") else "")
            others = [label for key, label in OTHER_ENDPOINTS.items() if trunk.get(key)]
            if others:
                self.left_out(
                    what, f"it has {' and '.join(others)}: a provider of the stack is a SIP trunk only"
                )
                continue
            endpoint = endpoints.get(str(sip.get("uuid"))) if sip else None
            if endpoint is None:
                self.left_out(what, "it has no SIP endpoint")
                continue
            if trunk.get("context") != incall_context:
                self.left_out(
                    what,
                    f"its calls land in context {trunk.get('context') or '(none)'}, not in the stack's "
                    f"incall context {incall_context}",
                )
                continue
            builder = _Provider(trunk, endpoint, self.tenant)
            try:
                entry = builder.build()
                Provider.model_validate({**entry, "password": CHECK_PASSWORD})
            except ValueError as error:
                reason = _model_errors(error) if isinstance(error, ValidationError) else str(error)
                self.left_out(what, reason)
                continue
            for section, note in builder.notes:
                self.changed(builder.what, f"{note} (the first up would rewrite the SIP endpoint)")
                self.noted.setdefault(builder.name, set()).add(f"{section}_section_options")
            assert builder.password is not None
            self.passwords[builder.name] = builder.password
            self.trunk_names[int(trunk["id"])] = builder.name
            self.providers.append(entry)

    # outcalls -> outgoing
    def add_outcalls(self, outcall_context: str | None) -> None:
        hosts = {p["name"]: p for p in self.providers}
        taken: set[str] = set()
        for outcall in sorted(self.tenant["/outcalls"], key=lambda o: int(o["id"])):
            what = f"outcall {outcall.get('name')!r}"
            trunks = [int(t["id"]) for t in outcall.get("trunks") or []]
            names = [self.trunk_names[t] for t in trunks if t in self.trunk_names]
            missing = [str(t) for t in trunks if t not in self.trunk_names]
            if not names:
                self.left_out(
                    what,
                    "none of its trunks is a provider of the stack"
                    + (f" (trunks {', '.join(missing)})" if missing else " (it has no trunk)"),
                )
                continue
            patterns = self._patterns(outcall, outcall_context)
            if not patterns:
                self.left_out(
                    what,
                    "none of its dial patterns can be exported (an outcall of the stack has at least "
                    "one); adopting its trunks will be refused while it lists them",
                )
                continue
            owner = next((n for n in names if n not in taken), None)
            owner = owner or next((n for n in hosts if n not in taken), None)
            if owner is None:
                self.left_out(what, "every provider of the stack already declares an outcall (one each)")
                continue
            if missing:
                self.changed(
                    what,
                    f"it also lists trunk{'s' * (len(missing) > 1)} {', '.join(missing)}, which "
                    f"{'are' if len(missing) > 1 else 'is'} not exported: the first up would remove "
                    f"{'them' if len(missing) > 1 else 'it'} from its list",
                )
            outgoing: dict[str, Any] = {"outcall": outcall["name"]}
            if outcall.get("description") is not None:
                outgoing["description"] = outcall["description"]
            if names != [owner]:
                outgoing["trunks"] = names
            outgoing["patterns"] = patterns
            self.claim(str(outcall["name"]), patterns)
            taken.add(owner)
            hosts[owner]["outgoing"] = outgoing

    def _patterns(self, outcall: Mapping[str, Any], context: str | None) -> list[dict[str, Any]]:
        patterns = []
        for extension in sorted(outcall.get("extensions") or [], key=lambda e: str(e.get("exten"))):
            what = f"dial pattern {extension.get('exten')!r} of outcall {outcall.get('name')!r}"
            if extension.get("context") != context:
                self.left_out(
                    what,
                    f"it is in context {extension.get('context')}, not in the stack's outcall context "
                    f"{context}; adopting the outcall will be refused while it holds it",
                )
                continue
            owner = self.patterns.get(str(extension.get("exten")))
            if owner is not None:
                self.left_out(
                    what,
                    f"it is also a dial pattern of outcall {owner!r}, and an exten of the outcall context "
                    f"belongs to one outcall; adopting the outcall will be refused while it holds it",
                )
                continue
            pattern = {"exten": extension.get("exten")}
            for name in PATTERN_FIELDS:
                value = extension.get(name)
                if value is not None and value != 0:
                    pattern[name] = value
            try:
                DialPattern.model_validate(pattern)
                if pattern.get("caller_id") is not None:
                    check_caller_id(str(pattern["caller_id"]))
            except ValidationError as error:
                self.left_out(
                    what, _model_errors(error) + "; adopting the outcall will be refused while it holds it"
                )
                continue
            except ValueError as error:
                self.left_out(
                    what, f"caller_id: {error}; adopting the outcall will be refused while it holds it"
                )
                continue
            patterns.append(pattern)
        return patterns

    def claim(self, outcall: str, patterns: Iterable[Mapping[str, Any]]) -> None:
        for pattern in patterns:
            self.patterns[str(pattern["exten"])] = outcall

    # incalls -> DIDs
    def add_dids(self, context: ContextInfo) -> None:
        users = self.tenant["/users"]
        dids: list[dict[str, Any]] = []
        ordered = sorted(
            self.tenant["/incalls"],
            key=lambda i: ([str(e.get("exten")) for e in i.get("extensions") or []], int(i["id"])),
        )
        for incall in ordered:
            extensions = incall.get("extensions") or []
            numbers = ", ".join(str(e.get("exten")) for e in extensions)
            what = f"incall {incall['id']}" + (f" (DID {numbers})" if numbers else "")
            if len(extensions) != 1:
                self.left_out(what, "it has no number" if not extensions else "it has several numbers")
                continue
            extension = extensions[0]
            exten = str(extension.get("exten"))
            if extension.get("context") != context.name:
                self.left_out(
                    what,
                    f"its number is in context {extension.get('context')}, not in the stack's incall "
                    f"context {context.name}",
                )
                continue
            try:
                destination = _destination(incall.get("destination") or {"type": "none"}, users)
            except ValueError as error:
                kind = (incall.get("destination") or {}).get("type")
                self.left_out(what, f"its destination ({kind}) is not one the stack can express: {error}")
                continue
            if not exten.isdigit():
                self.left_out(what, f"its number {exten!r} is not digits only, as a DID of the stack is")
                continue
            number = _did_number(exten, context)
            if number is None:
                self.left_out(
                    what,
                    f"its number is outside the incall ranges of context {context.name} "
                    f"({describe_ranges(context.incall_ranges)}): confd would refuse every later "
                    f"update of it; add a range to the context, then export again",
                )
                continue
            did: dict[str, Any] = {**number, "incall_id": int(incall["id"]), "destination": destination}
            for key in ("caller_id_mode", "caller_id_name", "greeting_sound", "description"):
                if incall.get(key) is not None:
                    did[key] = incall[key]
            dids.append(did)
        if dids:
            self.providers[0]["incoming"] = dids


def export_tenant(tenant: Tenant, connection: Mapping[str, Any], stack: str) -> Export:
    """The stack file's settings for `tenant`; `connection` holds the connection keys to write."""
    exporter = _Exporter(tenant)
    incall, outcall = exporter.choose_contexts()
    if incall is None:
        raise ExportError(f"tenant {tenant.uuid} has no incall context, so no trunk of it can be exported")
    exporter.add_providers(str(incall["name"]))
    if not exporter.providers:
        why = "; ".join(str(f) for f in exporter.findings) or "it has no trunk"
        raise ExportError(f"tenant {tenant.uuid} has no SIP trunk to export as a provider ({why})")
    exporter.add_outcalls(str(outcall["name"]) if outcall is not None else None)
    exporter.add_dids(context_info(incall))

    values: dict[str, Any] = dict(connection)
    contexts: dict[str, str] = {}
    if sum(1 for c in tenant["/contexts"] if c.get("type") == "incall") > 1:
        contexts["incall"] = str(incall["name"])
    has_outcall = any("outgoing" in p for p in exporter.providers)
    if (
        has_outcall
        and outcall is not None
        and sum(1 for c in tenant["/contexts"] if c.get("type") == "outcall") > 1
    ):
        contexts["outcall"] = str(outcall["name"])
    if contexts:
        values["contexts"] = contexts
    values["adopt"] = True
    values["providers"] = exporter.providers
    result = Export(values, findings=exporter.findings)
    result.secrets = [
        Secret(f"providers[{index}].password", exporter.passwords[p["name"]])
        for index, p in enumerate(exporter.providers)
    ]
    result.plan = _check(result, tenant, exporter.passwords, stack)
    _compare(result, tenant, exporter.passwords, exporter.noted)
    return result


def _check(result: Export, tenant: Tenant, passwords: Mapping[str, str], stack: str) -> StackPlan:
    """The stack models and the program's own plan, with placeholders where secrets go."""
    values = {**result.values, "password": CHECK_PASSWORD}
    values["providers"] = [{**p, "password": CHECK_PASSWORD} for p in values["providers"]]
    try:
        config = load_stack_config(values)
        return plan_stack(config, SnapshotDirectory(tenant))
    except (ConfigError, PlanError) as error:
        problems = error.problems
        # e.g. a tenant without its registration_trunk template: the program could not deploy it
        raise ExportError(
            f"the exported stack {stack} would not pass the checks the program runs before any write: "
            f"{'; '.join(problems)}"
        ) from None


# -- what the first up would change: the program's inputs against confd's objects -----------------


def _differing(spec: ObjectSpec, obj: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[str]:
    args: type[ArgsBase] = spec.args
    seen = args.canonical(spec.from_server(dict(obj)))
    wanted = args.canonical(inputs)
    return [
        name for name in args.model_fields if name not in spec.local_fields and seen[name] != wanted[name]
    ]


def _describe(name: str, seen: Any, wanted: Any) -> str:
    return f"{name} {plain(seen)!r} -> {plain(wanted)!r}"


def _compare(
    result: Export, tenant: Tenant, passwords: Mapping[str, str], noted: Mapping[str, set[str]]
) -> None:
    """Each exported object against the inputs the program would declare for it (declare_stack)."""
    plan = result.plan
    assert plan is not None
    trunks = {int(t["id"]): t for t in tenant["/trunks"]}
    endpoints = {str(e["name"]): e for e in tenant["/endpoints/sip"]}
    outcalls = {str(o["name"]): o for o in tenant["/outcalls"]}
    incalls = {int(i["id"]): i for i in tenant["/incalls"]}
    extensions = {(str(e["exten"]), str(e["context"])): e for e in tenant["/extensions"]}
    incall_context = str(plan.incall.name)
    outcall_context = str(plan.outcall.name) if plan.outcall else ""
    notes: list[tuple[str, str]] = []

    def check(spec: ObjectSpec, what: str, obj: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        inputs = {"tenant_uuid": tenant.uuid, **inputs}
        for name in _differing(spec, obj, inputs):
            if name in spec.secret_fields or name.endswith("_section_options"):
                continue  # the endpoint's sections are compared as sections below
            seen = spec.args.canonical(spec.from_server(dict(obj)))[name]
            wanted = spec.args.canonical(inputs)[name]
            notes.append(
                (
                    what,
                    f"{_describe(name, seen, wanted)}: the stack file cannot hold it",
                )
            )

    for trunk_plan in plan.trunks:
        provider = trunk_plan.provider
        what = f"provider {provider.name!r} (trunk {provider.trunk_id})"
        assert provider.trunk_id is not None
        trunk = trunks[provider.trunk_id]
        check(
            TRUNK_SPEC,
            what,
            trunk,
            {"context": incall_context, "outgoing_caller_id_format": provider.outgoing_caller_id_format},
        )
        endpoint = endpoints[provider.name]
        real = provider.model_copy(update={"password": SecretStr(passwords[provider.name])})
        sections = endpoint_sections(real)
        check(
            ENDPOINT_SPEC,
            what,
            endpoint,
            {
                "name": provider.name,
                "label": provider.label,
                "templates": [trunk_plan.template_uuid],
                "transport_uuid": trunk_plan.transport_uuid,
            },
        )
        for section, pairs in sections.items():
            if section in noted.get(provider.name, set()):
                continue  # already said, in the words of the setting
            confd = sorted_pairs(endpoint.get(section) or [])
            if confd != sorted_pairs([list(p) for p in pairs]):
                label = section.removesuffix("_section_options")
                if section in AUTH_SECTIONS:
                    shown = "(values of a secret section not shown)"
                else:
                    ours = Counter(tuple(p) for p in sorted_pairs([list(p) for p in pairs]))
                    theirs = Counter(tuple(p) for p in confd)
                    keys = sorted({str(pair[0]) for pair in (ours - theirs) + (theirs - ours)})
                    shown = f"(options {', '.join(keys)})"
                notes.append((what, f"{label} section would be rewritten {shown}"))

    for outcall_plan in plan.outcalls:
        outgoing = outcall_plan.outgoing
        what = f"outcall {outgoing.outcall!r}"
        outcall = outcalls[outgoing.outcall]
        check(OUTCALL_SPEC, what, outcall, {"name": outgoing.outcall, "description": outgoing.description})
        for pattern in outgoing.patterns:
            extension = extensions[(pattern.exten, str(outcall_context))]
            check(
                EXTENSION_SPEC,
                f"dial pattern {pattern.exten!r}",
                extension,
                {"exten": pattern.exten, "context": outcall_context},
            )

    for did_plan in plan.dids:
        did = did_plan.did
        assert did.incall_id is not None
        incall = incalls[did.incall_id]
        what = f"DID {did.did} (incall {did.incall_id})"
        check(
            INCALL_SPEC,
            what,
            incall,
            {
                "destination": did_plan.destination,
                "caller_id_mode": did.caller_id_mode,
                "caller_id_name": did.caller_id_name,
                "greeting_sound": did.greeting_sound,
                "description": did.description,
            },
        )
        extension = extensions[(did_plan.exten, incall_context)]
        check(EXTENSION_SPEC, what, extension, {"exten": did_plan.exten, "context": incall_context})
    seen: set[tuple[str, str]] = set()
    for what, why in notes:
        if (what, why) not in seen:
            seen.add((what, why))
            result.findings.append(Finding(what, why, left_out=False))


# -- the file ----------------------------------------------------------------------------------------


def render(
    result: Export,
    stack: str,
    url: str,
    tenant_uuid: str,
    commands: Iterable[list[str]],
    keep: Mapping[str, Any],
) -> str:
    """The stack file's text: a header (what adopt does, how secrets get in), then the settings.

    `keep` holds what an overwritten file had that the export does not write itself (Pulumi's
    encryption settings, other namespaces' keys, the stack's own encrypted credentials).
    """
    shown = "\n".join(f"#   {shlex.join(command)}" for command in commands)
    header = (
        f"# Stack {stack}: exported from tenant {tenant_uuid} on {url} by `python -m stacks export`.\n"
        "# adopt: true makes the first `up` take these objects over instead of creating them, writing\n"
        "# only what differs (nothing, for an unchanged tenant); trunk_id and incall_id name the objects\n"
        "# confd gives no name. Once that `up` has run they may stay or go: removing them changes nothing.\n"
        "# Secrets are never written here in clear. The Pulumi CLI stores them encrypted:\n"
        f"{shown}\n"
    )
    config = {f"{NAMESPACE}:{key}": value for key, value in result.values.items()}
    for key, value in (keep.get("config") or {}).items():
        config.setdefault(key, value)
    document: dict[str, Any] = {"config": config}
    document.update({key: value for key, value in keep.items() if key != "config"})
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
    return header + body


def kept_from(text: str) -> dict[str, Any]:
    """What an existing stack file holds that an export over it keeps: every top-level key but the
    config (the encryption salt...), other namespaces' config, and the stack's encrypted credentials."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return {}
    if not isinstance(document, dict):
        return {}
    kept = {key: value for key, value in document.items() if key != "config"}
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    own = {f"{NAMESPACE}:password", f"{NAMESPACE}:token"}
    kept_config = {
        key: value
        for key, value in (config or {}).items()
        if not str(key).startswith(f"{NAMESPACE}:") or (key in own and isinstance(value, dict))
    }
    if kept_config:
        kept["config"] = kept_config
    return kept


def summary(result: Export) -> list[str]:
    """The closing report: each finding by name, left out first."""
    lines: list[str] = []
    for title, findings in (
        ("Not exported (the stack model cannot express them; they are not in the file)", result.left_out),
        ("The first up would change these (the stack file cannot hold what they have)", result.changes),
    ):
        if findings:
            lines.append(f"{title}: {len(findings)}")
            lines.extend(f"  - {finding}" for finding in findings)
    return lines


def describe_reads(requests: int, seconds: float) -> str:
    return f"read the tenant with {requests} list requests in {seconds:.2f} s"
