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

# How the program names what it declares (providers/interconnect.py): a provider's trunk objects are
# children of its VoipProviderInterconnect, named `<provider>-<part>`; the tenant's objects are
# children of the stack, named after their identity in confd: `outcall-<name>`, `pattern-<exten>`,
# `did-<exten>` (the exten in the incall context), `<kind>-context`.
_TRUNK_KINDS = frozenset(
    {
        "Trunk",
        "EndpointSip",
        "TrunkEndpointSip",
        "EndpointSipLegacy",
        "RegisterSip",
        "TrunkRegisterSip",
        "TrunkEndpointSipLegacy",
    }
)
_PARENT = re.compile(r"VoipProviderInterconnect::(?P<name>.+)$")
# a preview step's op, as the change it makes to the routing (report.py adds the ops that change nothing)
CHANGE_CATEGORY = {
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
    old: dict[str, dict[str, Any]] = field(default_factory=dict)  # resource kind -> old inputs

    @property
    def mark(self) -> Mark:
        if self.ops == {"create"}:
            return "added"
        if self.ops == {"delete"}:
            return "removed"
        return "changed"


def _id(value: Any) -> str:
    """A confd id as the state holds it (numbers may come back as floats): 7.0 -> "7"."""
    return str(value).removesuffix(".0")


def _kind_of(urn: str) -> str:
    """urn:pulumi:<stack>::<project>::<parent types>$pulumi-python:dynamic/wazo-voip:Trunk::<name>."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1].rsplit(":", 1)[-1] if len(parts) >= 4 else ""


def _state(step: Mapping[str, Any], which: str, part: str) -> dict[str, Any]:
    values = (step.get(which) or {}).get(part) or {}
    return values if isinstance(values, dict) else {}


def _provider_of(step: Mapping[str, Any]) -> str | None:
    for state in (step.get("newState"), step.get("oldState")):
        match = _PARENT.search(str((state or {}).get("parent") or ""))
        if match:
            return match.group("name")
    return None


def _key_of(step: Mapping[str, Any], kind: str, name: str) -> tuple[str, ...] | None:
    """What the diagram draws for this resource: its trunk, outcall, pattern, DID or context."""
    inputs = _state(step, "newState", "inputs") or _state(step, "oldState", "inputs")
    if kind in _TRUNK_KINDS:
        provider = _provider_of(step)
        return ("trunk", provider) if provider else None
    if kind == "Outcall":
        return ("outcall", str(inputs.get("name") or name.removeprefix("outcall-")))
    if kind == "OutcallTrunks":
        return ("outcall", name.removeprefix("outcall-").removesuffix("-trunks"))
    if kind == "Extension" and name.startswith("pattern-"):
        return ("pattern", str(inputs.get("exten") or name.removeprefix("pattern-")))
    if kind == "OutcallExtension":
        return ("pattern", name.removeprefix("pattern-").removesuffix("-outcall"))
    if kind in ("Extension", "Incall", "IncallExtension") and name.startswith("did-"):
        return ("did", name.removeprefix("did-").removesuffix("-incall").removesuffix("-link"))
    if kind == "Context":
        return ("context", name.removesuffix("-context"))
    return None


def mark_changes(routing: Routing, steps: Iterable[Mapping[str, Any]]) -> Routing:
    """The routing with what the preview's steps add, remove or modify marked, and removed items drawn."""
    steps = list(steps)
    touched: dict[tuple[str, ...], _Touched] = {}
    # an outcall's confd id -> its name, from what the preview shows of outcalls and their trunk lists
    # (the CLI lists only the steps that change something)
    outcall_names: dict[str, str] = {}
    for step in steps:
        urn = str(step.get("urn", ""))
        kind, name = _kind_of(urn), urn.rsplit("::", 1)[-1]
        for which in ("oldState", "newState"):
            if kind == "Outcall":
                values = {**_state(step, which, "inputs"), **_state(step, which, "outputs")}
                outcall = values.get("name")
            elif kind == "OutcallTrunks":
                values = _state(step, which, "inputs")
                outcall = name.removeprefix("outcall-").removesuffix("-trunks")
            else:
                continue
            if values.get("outcall_id") is not None and outcall:
                outcall_names[_id(values["outcall_id"])] = str(outcall)
    for step in steps:
        category = CHANGE_CATEGORY.get(str(step.get("op", "")))
        urn = str(step.get("urn", ""))
        if category is None:
            continue
        kind, name = _kind_of(urn), urn.rsplit("::", 1)[-1]
        key = _key_of(step, kind, name)
        if key is None:
            continue
        entry = touched.setdefault(key, _Touched())
        entry.ops.add(category)
        old = _state(step, "oldState", "inputs")
        if old:
            entry.old[kind] = old
    return _apply_marks(routing, touched, outcall_names)


def _apply_marks(
    routing: Routing, touched: Mapping[tuple[str, ...], _Touched], outcall_names: Mapping[str, str]
) -> Routing:
    trunks = []
    for trunk in routing.trunks:
        entry = touched.get(("trunk", trunk.name))
        trunks.append(replace(trunk, mark=entry.mark) if entry else trunk)
    for key, entry in touched.items():
        if key[0] == "trunk" and key[1] not in {t.name for t in routing.trunks}:
            endpoint = entry.old.get("EndpointSip", {})
            trunks.append(Trunk(key[1], endpoint.get("label"), None, None, mark="removed"))

    outcalls: dict[str, Outcall] = {o.name: o for o in routing.outcalls}
    for key, entry in touched.items():
        if key[0] != "outcall":
            continue
        if key[1] in outcalls:
            outcalls[key[1]] = replace(outcalls[key[1]], mark=entry.mark)
        else:
            outcalls[key[1]] = Outcall(key[1], mark="removed")
    for key, entry in touched.items():
        if key[0] != "pattern":
            continue
        exten = key[1]
        owner = next((o for o in outcalls.values() if any(p.exten == exten for p in o.patterns)), None)
        if owner is not None:
            patterns = tuple(replace(p, mark=entry.mark) if p.exten == exten else p for p in owner.patterns)
            outcalls[owner.name] = replace(owner, patterns=patterns)
            continue
        # a pattern the stack no longer declares: drawn on the outcall it was attached to
        link = entry.old.get("OutcallExtension", {})
        name = outcall_names.get(_id(link.get("outcall_id", "")))
        if name is None and len(outcalls) == 1:
            name = next(iter(outcalls))  # the stack's only outcall
        if name is None:
            continue
        outcall = outcalls.setdefault(name, Outcall(name, mark="removed"))
        details = pattern_details(
            link.get("strip_digits"), link.get("prefix"), link.get("external_prefix"), link.get("caller_id")
        )
        outcalls[name] = replace(
            outcall, patterns=(*outcall.patterns, Pattern(exten, details, mark="removed"))
        )

    dids = []
    matched: set[tuple[str, ...]] = set()
    for did in routing.dids:
        # a DID's resources are named after its exten in the incall context: its last digits
        found = [k for k in touched if k[0] == "did" and did.digits.endswith(k[1])]
        if not found:
            dids.append(did)
            continue
        matched.add(found[0])
        dids.append(replace(did, mark=touched[found[0]].mark))
    for key, entry in touched.items():
        if key[0] == "did" and key not in matched:
            destination = entry.old.get("Incall", {}).get("destination")
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
