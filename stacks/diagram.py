"""A picture of a tenant's routing, as a Mermaid flowchart: dial patterns -> outcall -> trunks, and
provider -> trunk -> incall context -> DID -> destination.

The routing comes either from what a stack declares (offline) or from what confd holds (`show`); a
preview's steps can mark what a change adds, removes or modifies (the diff report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from providers.confd import ConfdClient
from providers.model import StackConfig

Mark = Literal["added", "removed", "changed"]
MARK_PREFIX: dict[str, str] = {"added": "+ ", "removed": "- ", "changed": "~ "}
CLASS_DEFS = (
    "classDef added fill:#dafbe1,stroke:#1a7f37,color:#0d3318",
    "classDef removed fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-dasharray:5 5",
    "classDef changed fill:#fff8c5,stroke:#9a6700,color:#4d2d00",
)
LEGEND = "+ added (green), - removed (red, dashed), ~ modified (yellow)"


@dataclass(frozen=True)
class Trunk:
    """A provider's trunk: its SIP endpoint name, the provider's label and server, registration."""

    name: str
    label: str | None = None
    server: str | None = None
    registers: bool | None = None
    context: str = "incall"
    mark: Mark | None = None


@dataclass(frozen=True)
class Pattern:
    exten: str
    details: tuple[str, ...] = ()
    mark: Mark | None = None


@dataclass(frozen=True)
class Outcall:
    name: str
    trunks: tuple[str, ...] = ()  # trunk names, in priority order
    patterns: tuple[Pattern, ...] = ()
    mark: Mark | None = None
    owner: str | None = None  # the provider whose stack entry declares it (the component's name)


@dataclass(frozen=True)
class Did:
    number: str  # as declared (+15551230000) or as confd stores it (5551230000)
    destination: str
    context: str = "incall"
    mark: Mark | None = None

    @property
    def digits(self) -> str:
        return self.number.lstrip("+")


@dataclass
class Routing:
    """What the diagram draws; contexts are keyed by a name and shown by a label."""

    trunks: list[Trunk] = field(default_factory=list)
    outcalls: list[Outcall] = field(default_factory=list)
    dids: list[Did] = field(default_factory=list)
    contexts: dict[str, str] = field(default_factory=dict)


# --- destinations in words ---------------------------------------------------------------------------


def declared_destination(destination: Mapping[str, Any]) -> str:
    """A stack's destination: {type: user, user_email: a@b} -> "user a@b"."""
    kind = str(destination.get("type", "none"))
    if kind == "user":
        who = destination.get("user_email") or f"#{destination.get('user_id')}"
        ring = f", ring {destination['ring_time']} s" if destination.get("ring_time") else ""
        return f"user {who}{ring}"
    details = [str(v) for k, v in destination.items() if k != "type" and v is not None]
    return f"{kind}: {', '.join(details)}" if details else kind


def confd_destination(destination: Mapping[str, Any]) -> str:
    """confd's destination of an incall, with the user's name when confd gives it."""
    if destination.get("type") == "user":
        name = f"{destination.get('user_firstname') or ''} {destination.get('user_lastname') or ''}".strip()
        who = f"{name} (#{destination.get('user_id')})" if name else f"#{destination.get('user_id')}"
        ring = f", ring {destination['ring_time']:g} s" if destination.get("ring_time") else ""
        return f"user {who}{ring}"
    return declared_destination(destination)


def pattern_details(
    strip: int | None, prefix: str | None, external_prefix: str | None, caller_id: str | None
) -> tuple[str, ...]:
    details = []
    if strip:
        details.append(f"strip {strip}")
    if prefix:
        details.append(f"prefix {prefix}")
    if external_prefix:
        details.append(f"add {external_prefix}")
    if caller_id:
        details.append(f"caller id {caller_id}")
    return tuple(details)


# --- building a routing -------------------------------------------------------------------------------


def from_stack(config: StackConfig) -> Routing:
    """The tenant as the stack declares it (nothing is looked up: the incall context is unnamed)."""
    routing = Routing(contexts={"incall": config.contexts.incall or "incall context"})
    for provider in config.providers:
        routing.trunks.append(
            Trunk(
                name=provider.name,
                label=provider.label,
                server=f"{provider.host}:{provider.port}",
                registers=provider.registration.enabled,
            )
        )
        if provider.outgoing is not None:
            outgoing = provider.outgoing
            routing.outcalls.append(
                Outcall(
                    name=outgoing.outcall,
                    trunks=tuple(outgoing.trunks or [provider.name]),
                    patterns=tuple(
                        Pattern(
                            p.exten,
                            pattern_details(p.strip_digits, p.prefix, p.external_prefix, p.caller_id),
                        )
                        for p in outgoing.patterns
                    ),
                    owner=provider.name,
                )
            )
        for did in provider.incoming:
            routing.dids.append(Did(did.did, declared_destination(did.destination)))
    return routing


def _options(endpoint: Mapping[str, Any], section: str) -> dict[str, str]:
    return {key: value for key, value in endpoint.get(f"{section}_section_options") or []}


def from_confd(client: ConfdClient) -> Routing:
    """The tenant as confd holds it now (read only; the same reads as `show`)."""
    routing = Routing()
    names: dict[int, str] = {}
    for trunk in client.get("/trunks")["items"]:
        summary = trunk.get("endpoint_sip") or {}
        name = summary.get("name") or f"trunk #{trunk['id']}"
        names[trunk["id"]] = name
        context = trunk.get("context") or "(no context)"
        routing.contexts.setdefault(context, context)
        server, registers = None, None
        if summary.get("uuid"):
            endpoint = client.get(f"/endpoints/sip/{summary['uuid']}")
            registration = _options(endpoint, "registration")
            registers = bool(registration.get("client_uri"))
            contact = _options(endpoint, "aor").get("contact") or registration.get("server_uri")
            server = contact.removeprefix("sip:") if contact else None
        elif summary.get("id") is not None:
            # a chan_sip peer (Wazo 20.12 and before): its host and port, and a register line or not
            endpoint = client.get(f"/endpoints/sip/{summary['id']}")
            port = dict((key, value) for key, value in endpoint.get("options") or []).get("port", "5060")
            server = f"{endpoint['host']}:{port}" if endpoint.get("host") else None
            registers = trunk.get("register_sip") is not None
        routing.trunks.append(Trunk(name, summary.get("label"), server, registers, context))
    for outcall in client.get("/outcalls")["items"]:
        patterns = tuple(
            Pattern(
                e["exten"],
                pattern_details(
                    e.get("strip_digits"), e.get("prefix"), e.get("external_prefix"), e.get("caller_id")
                ),
            )
            for e in sorted(outcall.get("extensions", []), key=lambda e: e["exten"])
        )
        order = tuple(names.get(t["id"], f"trunk #{t['id']}") for t in outcall.get("trunks", []))
        routing.outcalls.append(Outcall(outcall["name"], order, patterns))
    for incall in client.get("/incalls")["items"]:
        destination = confd_destination(incall.get("destination") or {})
        for extension in incall.get("extensions", []):
            context = extension.get("context") or "(no context)"
            routing.contexts.setdefault(context, context)
            routing.dids.append(Did(extension["exten"], destination, context))
    routing.dids.sort(key=lambda d: d.number)
    return routing


# --- marking a change ------------------------------------------------------------------------------

# How the component names its children: f"{provider}-{suffix}" (providers/interconnect.py; a
# register line and its link on a Wazo 20.12 or older).
_CHILD = re.compile(
    r"^(?:(?P<trunk>trunk|endpoint|trunk-endpoint|register|trunk-register)|(?P<outcall>outcall|outcall-trunks)"
    r"|pattern-(?P<exten>.+?)(?:-outcall)?|did-(?P<digits>[0-9]+)(?:-incall|-link)?"
    r"|(?P<context>incall|outcall)-context)$"
)
_PARENT = re.compile(r"VoipProviderInterconnect::(?P<name>.+)$")
_CATEGORY = {
    "create": "create",
    "update": "update",
    "replace": "replace",
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "delete": "delete",
    "discard": "delete",
}


@dataclass
class _Touched:
    ops: set[str] = field(default_factory=set)
    old: dict[str, dict[str, Any]] = field(default_factory=dict)  # suffix kind -> old inputs

    @property
    def mark(self) -> Mark:
        if self.ops == {"create"}:
            return "added"
        if self.ops == {"delete"}:
            return "removed"
        return "changed"


def _provider_of(step: Mapping[str, Any], name: str, providers: Iterable[str]) -> str | None:
    for state in (step.get("newState"), step.get("oldState")):
        parent = (state or {}).get("parent") or ""
        match = _PARENT.search(str(parent))
        if match:
            return match.group("name")
    # no parent recorded: the longest provider name the resource name starts with
    candidates = [p for p in providers if name.startswith(f"{p}-")]
    return max(candidates, key=len) if candidates else None


def mark_changes(routing: Routing, steps: Iterable[Mapping[str, Any]]) -> Routing:
    """The routing with what the preview's steps add, remove or modify marked, and removed items drawn."""
    touched: dict[tuple[str, ...], _Touched] = {}
    provider_names = [t.name for t in routing.trunks]
    removed_outcall_names: dict[str, str] = {}
    for step in steps:
        category = _CATEGORY.get(str(step.get("op", "")))
        urn = str(step.get("urn", ""))
        if category is None or "$" not in urn:
            continue
        name = urn.rsplit("::", 1)[-1]
        provider = _provider_of(step, name, provider_names)
        if provider is None:
            continue
        match = _CHILD.match(name[len(provider) + 1 :])
        if match is None:
            continue
        old = ((step.get("oldState") or {}).get("inputs")) or {}
        if match.group("trunk"):
            key: tuple[str, ...] = ("trunk", provider)
        elif match.group("outcall"):
            key = ("outcall", provider)
            if match.group("outcall") == "outcall" and old.get("name"):
                removed_outcall_names[provider] = str(old["name"])
        elif match.group("exten"):
            key = ("pattern", provider, match.group("exten"))
        elif match.group("digits"):
            key = ("did", match.group("digits"))
        else:
            key = ("context", match.group("context"))
        entry = touched.setdefault(key, _Touched())
        entry.ops.add("delete" if category == "delete" else category)
        if old:
            entry.old[name[len(provider) + 1 :]] = old
    return _apply_marks(routing, touched, removed_outcall_names)


def _declared_outcall(routing: Routing, provider: str, removed: Mapping[str, str]) -> str | None:
    """The outcall a provider's stack entry declares, or declared before the change."""
    for outcall in routing.outcalls:
        if outcall.owner == provider:
            return outcall.name
    return removed.get(provider)


def _apply_marks(
    routing: Routing, touched: Mapping[tuple[str, ...], _Touched], removed_outcalls: Mapping[str, str]
) -> Routing:
    trunks = []
    for trunk in routing.trunks:
        entry = touched.get(("trunk", trunk.name))
        trunks.append(replace(trunk, mark=entry.mark) if entry else trunk)
    for key, entry in touched.items():
        if key[0] == "trunk" and key[1] not in {t.name for t in routing.trunks}:
            endpoint = entry.old.get("endpoint", {})
            trunks.append(Trunk(key[1], endpoint.get("label"), None, None, mark="removed"))

    outcalls: dict[str, Outcall] = {o.name: o for o in routing.outcalls}
    for key, entry in touched.items():
        if key[0] != "outcall":
            continue
        name = _declared_outcall(routing, key[1], removed_outcalls)
        if name is None:
            continue
        if name in outcalls:
            outcalls[name] = replace(outcalls[name], mark=entry.mark)
        else:
            outcalls[name] = Outcall(name, mark="removed")
    for key, entry in touched.items():
        if key[0] != "pattern":
            continue
        name = _declared_outcall(routing, key[1], removed_outcalls)
        if name is None:
            continue
        outcall = outcalls.setdefault(name, Outcall(name, mark="removed"))
        patterns = list(outcall.patterns)
        index = next((i for i, p in enumerate(patterns) if p.exten == key[2]), None)
        if index is not None:
            patterns[index] = replace(patterns[index], mark=entry.mark)
        else:
            link = entry.old.get(f"pattern-{key[2]}-outcall", {})
            details = pattern_details(
                link.get("strip_digits"),
                link.get("prefix"),
                link.get("external_prefix"),
                link.get("caller_id"),
            )
            patterns.append(Pattern(key[2], details, mark="removed"))
        outcalls[name] = replace(outcall, patterns=tuple(patterns))

    dids = []
    for did in routing.dids:
        entry = touched.get(("did", did.digits))
        dids.append(replace(did, mark=entry.mark) if entry else did)
    declared = {did.digits for did in routing.dids}
    for key, entry in touched.items():
        if key[0] == "did" and key[1] not in declared:
            incall = next((v for k, v in entry.old.items() if k.endswith("-incall")), {})
            destination = incall.get("destination")
            text = declared_destination(destination) if isinstance(destination, dict) else "?"
            dids.append(Did(key[1], text, mark="removed"))
    return Routing(trunks, list(outcalls.values()), dids, dict(routing.contexts))


# --- Mermaid ---------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Text safe inside a quoted Mermaid label: its own entity codes for what it would parse."""
    out = []
    for char in value:
        if char in '"#<>&':
            out.append(f"#{ord(char)};")
        else:
            out.append(char)
    return "".join(out)


def _label(lines: Iterable[str | None], mark: Mark | None = None) -> str:
    parts = [_text(line) for line in lines if line]
    if mark is not None and parts:
        parts[0] = MARK_PREFIX[mark] + parts[0]
    return '"' + "<br/>".join(parts) + '"'


def mermaid(routing: Routing, title: str | None = None) -> str:
    """The flowchart's text (without the ``` fence)."""
    lines = ["flowchart LR"]
    if title:
        lines.append(f"  %% {title}")
    classes: dict[str, list[str]] = {}

    def node(node_id: str, shape: tuple[str, str], label: str, mark: Mark | None) -> str:
        if mark is not None:
            classes.setdefault(mark, []).append(node_id)
        return f"{node_id}{shape[0]}{label}{shape[1]}"

    trunk_ids = {trunk.name: f"T{index}" for index, trunk in enumerate(routing.trunks)}
    context_ids = {name: f"C{index}" for index, name in enumerate(routing.contexts)}
    for index, trunk in enumerate(routing.trunks):
        provider = " · ".join(part for part in (trunk.label, trunk.server) if part) or "provider"
        registration = {True: "registers", False: "no registration", None: None}[trunk.registers]
        lines.append(f'  subgraph V{index}["{_text(provider)}"]')
        lines.append(
            "    "
            + node(
                trunk_ids[trunk.name],
                ("[", "]"),
                _label([f"trunk {trunk.name}", registration], trunk.mark),
                trunk.mark,
            )
        )
        lines.append("  end")
    for index, outcall in enumerate(routing.outcalls):
        outcall_id = f"O{index}"
        lines.append(
            "  "
            + node(outcall_id, ("{{", "}}"), _label([f"outcall {outcall.name}"], outcall.mark), outcall.mark)
        )
        for number, pattern in enumerate(outcall.patterns):
            pattern_id = f"P{index}_{number}"
            label = _label([pattern.exten, " · ".join(pattern.details)], pattern.mark)
            lines.append(f"  {node(pattern_id, ('([', '])'), label, pattern.mark)} --> {outcall_id}")
        for rank, trunk_name in enumerate(outcall.trunks, start=1):
            target = trunk_ids.get(trunk_name)
            if target is None:
                target = f"T{len(trunk_ids)}"
                trunk_ids[trunk_name] = target
                lines.append(f"  {node(target, ('[', ']'), _label([f'trunk {trunk_name}']), None)}")
            lines.append(f'  {outcall_id} -->|"priority {rank}"| {target}')
    for name, label in routing.contexts.items():
        lines.append(f"  {node(context_ids[name], ('[(', ')]'), _label([label]), None)}")
    for trunk in routing.trunks:
        if trunk.context in context_ids:
            lines.append(f"  {trunk_ids[trunk.name]} --> {context_ids[trunk.context]}")
    for index, did in enumerate(routing.dids):
        did_id, destination_id = f"D{index}", f"X{index}"
        context_id = context_ids.get(did.context)
        did_node = node(did_id, ("[/", "/]"), _label([did.number], did.mark), did.mark)
        destination = node(destination_id, ("[", "]"), _label([did.destination]), did.mark)
        source = f"{context_id} --> " if context_id else ""
        lines.append(f"  {source}{did_node} --> {destination}")
    if classes:
        lines += [f"  {definition}" for definition in CLASS_DEFS]
        lines += [f"  class {','.join(ids)} {mark}" for mark, ids in classes.items()]
    return "\n".join(lines) + "\n"


def marked(routing: Routing) -> bool:
    """Whether anything in the routing carries a mark."""
    items: list[Any] = [*routing.trunks, *routing.outcalls, *routing.dids]
    items += [p for o in routing.outcalls for p in o.patterns]
    return any(item.mark is not None for item in items)
