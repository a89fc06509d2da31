"""`diff-report`: the JSON of several `pulumi preview --json` runs as one Markdown summary, secrets masked.

The input is Pulumi's preview digest (`display.PreviewDigest` in pulumi/pulumi): `config`, `steps`
(each with `op`, `urn`, `oldState`/`newState` as `apitype.ResourceV3`, `diffReasons`,
`replaceReasons`, `detailedDiff` of `{kind, inputDiff}`), `diagnostics`, `changeSummary`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks import diagram
from stacks.diagram import Routing
from stacks.fleet import RESULTS_FILE

MARKER = "<!-- wazo-voip:diff-report -->"
SECRET = "[secret]"  # noqa: S105 - the marker, not a secret
# A secret as the engine serializes it when it is not blinded (pulumi.runtime.rpc's signature key).
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # noqa: S105
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Always masked, whatever the stack says: credentials, the pickled provider, the endpoint's auth sections.
ALWAYS_SECRET = frozenset(
    {
        "password",
        "token",
        "__provider",
        "auth_section_options",
        "outbound_auth_section_options",
        "registration_outbound_auth_section_options",
    }
)
CATEGORIES = ("create", "update", "replace", "delete")
OP_CATEGORY = {
    **diagram.CHANGE_CATEGORY,
    "read": "read",
    "read-replacement": "read",
    "refresh": "read",
    "import": "import",
    "import-replacement": "import",
}
SYMBOL = {"create": "+ create", "update": "~ update", "replace": "+- replace", "delete": "- delete"}
MAX_VALUE = 60
MAX_REPORT = 60_000  # a GitHub comment holds 65,536 characters


class ReportError(ValueError):
    """An input that is not a preview digest; the message names the file."""


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: str
    old: str | None
    new: str | None

    @property
    def replaces(self) -> bool:
        return self.kind.endswith("-replace")


@dataclass
class ResourceChange:
    category: str
    urn: str
    type: str
    properties: list[PropertyChange] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class StackPreview:
    stack: str
    changes: list[ResourceChange] = field(default_factory=list)
    same: int = 0
    diagnostics: list[str] = field(default_factory=list)
    failure: str | None = None

    def count(self, category: str) -> int:
        return sum(1 for change in self.changes if change.category == category)


# --- reading -------------------------------------------------------------------------------------------


def stack_of_urn(urn: str) -> str | None:
    match = re.match(r"^urn:pulumi:([^:]+)::", urn)
    return match.group(1) if match else None


def load_inputs(paths: Iterable[Path]) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, str]]:
    """Preview digests as (stack, digest), and the failed stacks of a fleet results file with their error."""
    digests: list[tuple[str, dict[str, Any]]] = []
    failures: dict[str, str] = {}
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # a directory per shard when the previews ran on several runners: read them all
            files += sorted(p for p in path.rglob("*.json"))
        else:
            files.append(path)
    for path in files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ReportError(f"{path}: not a JSON preview: {error}") from None
        if path.name == RESULTS_FILE:
            for entry in document.get("stacks", []):
                if not entry.get("ok", True):
                    failures[str(entry.get("stack"))] = str(entry.get("error") or "failed")
            continue
        if not isinstance(document, dict) or not ({"steps", "changeSummary"} & set(document)):
            raise ReportError(
                f"{path}: not the output of `pulumi preview --json` (no steps, no changeSummary)"
            )
        stack = next(
            (
                s
                for s in (stack_of_urn(str(step.get("urn", ""))) for step in document.get("steps") or [])
                if s
            ),
            path.stem.removeprefix("Pulumi."),
        )
        digests.append((stack, document))
    return digests, failures


# --- masking -------------------------------------------------------------------------------------------


def secret_names_of(digest: Mapping[str, Any], stack_secret_keys: Iterable[str] = ()) -> frozenset[str]:
    """Property names never to show: the built-in ones, and the leaf of every key the stack keeps secret."""
    names = set(ALWAYS_SECRET)
    keys = list(stack_secret_keys)
    keys += [key for key, value in (digest.get("config") or {}).items() if value == SECRET]
    for key in keys:
        leaf = re.split(r"[.:\]\[]", key.rstrip("]"))[-1].strip("\"'")
        if leaf and not leaf.isdigit():
            names.add(leaf)
    return frozenset(names)


def mask(value: Any, secret_names: frozenset[str]) -> Any:
    """Replace every secret by "[secret]": Pulumi's own markers, and values under a secret name."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return SECRET
        return {k: SECRET if k in secret_names else mask(v, secret_names) for k, v in value.items()}
    if isinstance(value, list):
        # PJSIP options are [key, value] pairs: ["password", "..."] is as secret as {"password": "..."}.
        if len(value) == 2 and isinstance(value[0], str) and value[0] in secret_names:
            return [value[0], SECRET]
        return [mask(v, secret_names) for v in value]
    return value


# --- property paths ------------------------------------------------------------------------------------

_SEGMENT = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([^.\[\]]+)')


def parse_path(path: str) -> list[str | int]:
    """A Pulumi property path: `options.endpoint[0]`, `tags["a.b"]` -> ['options', 'endpoint', 0]."""
    parts: list[str | int] = []
    for quoted, index, name in _SEGMENT.findall(path):
        if index:
            parts.append(int(index))
        else:
            parts.append(quoted or name)
    return parts


_MISSING = object()


def lookup(values: Any, parts: Sequence[str | int]) -> Any:
    current = values
    for part in parts:
        in_list = isinstance(part, int) and isinstance(current, list) and part < len(current)
        in_dict = isinstance(part, str) and isinstance(current, dict) and part in current
        if in_list or in_dict:
            current = current[part]
        else:
            return _MISSING
    return current


def show(value: Any) -> str | None:
    if value is _MISSING:
        return None
    if value == UNKNOWN:
        return "(known after apply)"
    if value == SECRET:
        return SECRET
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    text = text.replace(f'"{UNKNOWN}"', "(known after apply)").replace(f'"{SECRET}"', SECRET)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _state(step: Mapping[str, Any], which: str, part: str) -> dict[str, Any]:
    state = step.get(which) or {}
    values = state.get(part) or {}
    return values if isinstance(values, dict) else {}


def property_changes(step: Mapping[str, Any], secret_names: frozenset[str]) -> list[PropertyChange]:
    """Per changed property: old and new value (masked); from detailedDiff, else from diffReasons."""
    old_inputs = mask(_state(step, "oldState", "inputs"), secret_names)
    old_outputs = mask(_state(step, "oldState", "outputs"), secret_names)
    new_inputs = mask(_state(step, "newState", "inputs"), secret_names)
    detailed = step.get("detailedDiff")
    replace_keys = set(step.get("replaceReasons") or [])
    if isinstance(detailed, dict) and detailed:
        entries = [(path, str(diff.get("kind", "update"))) for path, diff in sorted(detailed.items())]
    elif step.get("diffReasons") or replace_keys:
        keys = sorted(set(step.get("diffReasons") or []) | replace_keys)
        entries = [(key, "update-replace" if key in replace_keys else "update") for key in keys]
    else:
        # The real CLI sends neither for a dynamic resource's update: compare the inputs ourselves.
        # Secrets read "[secret]" on both sides there, so whether one changed cannot be told.
        keys = sorted((set(old_inputs) | set(new_inputs)) - secret_names)
        entries = [(key, "update") for key in keys]
    changes = []
    for path, kind in entries:
        parts = parse_path(path)
        if any(isinstance(p, str) and p in secret_names for p in parts):
            changes.append(PropertyChange(path, kind, SECRET, SECRET))
            continue
        old = lookup(old_inputs, parts)
        if old is _MISSING:
            old = lookup(old_outputs, parts)
        new = lookup(new_inputs, parts)
        if not isinstance(detailed, dict) or not detailed:
            # Without a detailed diff (dynamic providers send none), find the changed elements ourselves.
            for sub_path, sub_old, sub_new in _differences(path, old, new):
                sub_kind = kind if sub_path == path else ("add" if sub_old is _MISSING else "update")
                if sub_new is _MISSING:
                    sub_kind = "delete"
                elif kind.endswith("-replace") and not sub_kind.endswith("-replace"):
                    sub_kind += "-replace"
                changes.append(PropertyChange(sub_path, sub_kind, show(sub_old), show(sub_new)))
            continue
        old_text, new_text = show(old), show(new)
        if kind.startswith("add"):
            old_text = None
        elif kind.startswith("delete"):
            new_text = None
        if path in replace_keys and not kind.endswith("-replace"):
            kind += "-replace"
        changes.append(PropertyChange(path, kind, old_text, new_text))
    if not changes:
        # nothing visible differs, so what changed is a secret
        changes.append(PropertyChange("secret inputs", "update", SECRET, SECRET))
    return changes


def _is_leaf(value: Any) -> bool:
    """Scalars, and lists of scalars such as PJSIP [key, value] pairs, are shown whole."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    return True


def _differences(path: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """The innermost changed elements between two values, as (path, old, new); _MISSING where absent."""
    if old == new:
        return [(path, old, new)] if old is _MISSING else []
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            name = str(key)
            child = f"{path}.{name}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f'{path}["{name}"]'
            found += _differences(child, old.get(key, _MISSING), new.get(key, _MISSING))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and not _is_leaf(old):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found += _differences(f"{path}[{index}]", a, b)
        return found
    return [(path, old, new)]


def created_properties(step: Mapping[str, Any], secret_names: frozenset[str]) -> list[PropertyChange]:
    inputs = mask(_state(step, "newState", "inputs"), secret_names)
    return [
        PropertyChange(key, "create", None, show(value))
        for key, value in sorted(inputs.items())
        if value is not None and key not in ("__provider",)
    ]


# --- building ------------------------------------------------------------------------------------------


def _type_of_urn(urn: str) -> str:
    """urn:pulumi:<stack>::<project>::<parent type>$<type>::<name> -> <type>."""
    parts = urn.split("::")
    return parts[-2].split("$")[-1] if len(parts) >= 3 else ""


def build_preview(
    stack: str, digest: Mapping[str, Any], stack_secret_keys: Iterable[str] = ()
) -> StackPreview:
    secret_names = secret_names_of(digest, stack_secret_keys)
    preview = StackPreview(stack)
    by_urn: dict[str, ResourceChange] = {}
    for step in digest.get("steps") or []:
        op = str(step.get("op", ""))
        urn = str(step.get("urn", ""))
        category = OP_CATEGORY.get(op)
        if category is None:
            continue  # same, remove-pending-replace, ...: nothing to review
        state = step.get("newState") or step.get("oldState") or {}
        kind = str(state.get("type") or _type_of_urn(urn))
        if urn in by_urn:
            if category == "replace":
                by_urn[urn].category = "replace"
            continue
        if category == "create":
            properties = created_properties(step, secret_names)
        elif category in ("update", "replace"):
            properties = property_changes(step, secret_names)
        else:
            properties = []
        change = ResourceChange(category, urn, kind, properties)
        by_urn[urn] = change
        preview.changes.append(change)
    summary = digest.get("changeSummary") or {}
    preview.same = int(summary.get("same", 0))
    for diagnostic in digest.get("diagnostics") or []:
        severity = str(diagnostic.get("severity", ""))
        if severity in ("error", "warning"):
            message = " ".join(str(diagnostic.get("message", "")).split())
            preview.diagnostics.append(f"{severity}: {message[:300]}")
    return preview


# --- rendering -----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _property(change: PropertyChange) -> str:
    name = _code(change.path)
    suffix = " (forces replacement)" if change.replaces else ""
    if change.old is None and change.new is not None:
        if change.kind == "create":
            return f"{name}: {_code(change.new)}"
        return f"{name}: added {_code(change.new)}{suffix}"
    if change.new is None and change.old is not None:
        return f"{name}: removed (was {_code(change.old)}){suffix}"
    if change.old is None and change.new is None:
        return f"{name}{suffix}"
    if change.old == SECRET and change.new == SECRET:
        return f"{name}: changed (secret, value hidden){suffix}"
    return f"{name}: {_code(change.old or '')} → {_code(change.new or '')}{suffix}"


def _headline(preview: StackPreview) -> str:
    parts = [f"{preview.count(c)} to {c}" for c in CATEGORIES if preview.count(c)]
    return ", ".join(parts) if parts else "no changes"


def _diagram_block(stack: str, routing: Routing, open_: bool) -> list[str]:
    """The stack's routing as GitHub renders it: a Mermaid block in a <details> section."""
    legend = f"; marked: {diagram.LEGEND}" if diagram.marked(routing) else ""
    return [
        "",
        f"<details{' open' if open_ else ''}><summary>Routing of {stack} as the stack declares it{legend}"
        "</summary>",
        "",
        "```mermaid",
        diagram.mermaid(routing, stack).rstrip("\n"),
        "```",
        "",
        "</details>",
    ]


def _render(
    previews: Sequence[StackPreview], title: str, diagrams: Mapping[str, list[str]], left_out: int
) -> str:
    changed = [p for p in previews if p.changes]
    failed = [p for p in previews if p.failure]
    lines = [
        MARKER,
        f"## {title}: {len(previews)} stack{'s' if len(previews) != 1 else ''}, "
        f"{len(changed)} with changes, {len(failed)} failed",
        "",
    ]
    if not previews:
        lines.append("No stack was previewed: this change touches none.")
        return "\n".join(lines) + "\n"
    lines += [
        "| stack | create | update | replace | delete | unchanged | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for p in previews:
        if p.failure:
            lines.append(f"| {p.stack} | | | | | | **failed** |")
        else:
            counts = " | ".join(str(p.count(c)) for c in CATEGORIES)
            lines.append(f"| {p.stack} | {counts} | {p.same} | {_headline(p)} |")
    unchanged = []
    for p in previews:
        if p.failure:
            lines += ["", f"### {p.stack}: failed", "", "```", *p.failure.splitlines()[:20], "```"]
            lines += diagrams.get(p.stack, [])
            continue
        if not p.changes and not p.diagnostics:
            unchanged.append(p.stack)
            continue
        lines += ["", f"### {p.stack}: {_headline(p)}", ""]
        if p.changes:
            lines += ["| operation | resource | type | properties |", "| --- | --- | --- | --- |"]
            for change in p.changes:
                props = "<br>".join(_cell(_property(c)) for c in change.properties) or " "
                lines.append(
                    f"| {SYMBOL.get(change.category, change.category)} | {_cell(_code(change.name))} | "
                    f"{_cell(_code(change.type))} | {props} |"
                )
        if p.diagnostics:
            lines += ["", *[f"- {_cell(d)}" for d in p.diagnostics]]
        lines += diagrams.get(p.stack, [])
    unchanged_diagrams = [line for stack in unchanged for line in diagrams.get(stack, [])]
    if unchanged_diagrams:
        lines += ["", "### Stacks without changes", *unchanged_diagrams]
    if left_out:
        lines += [
            "",
            f"_{left_out} routing diagram{'s' if left_out != 1 else ''} left out to keep this comment "
            "within GitHub's size: `python -m stacks diff-report` shows them all._",
        ]
    return "\n".join(lines) + "\n"


def render(
    previews: Sequence[StackPreview],
    title: str = "Pulumi preview",
    routings: Mapping[str, Routing] | None = None,
) -> str:
    """The Markdown report; starts with a hidden marker so that CI can find and update its comment.

    With `routings` (each stack's routing as declared, changes marked), each stack's diagram follows
    its table: open for the stacks that change or failed, folded for the others. Diagrams are left out,
    the unchanged stacks' first, when the report would not fit in a GitHub comment.
    """
    routings = routings or {}
    changing = {p.stack for p in previews if p.changes or p.diagnostics or p.failure}
    diagrams = {
        p.stack: _diagram_block(p.stack, routings[p.stack], p.stack in changing)
        for p in previews
        if p.stack in routings
    }
    # the order in which diagrams give way: unchanged stacks first, then from the last stack up
    order = [p.stack for p in reversed(previews) if p.stack in diagrams and p.stack not in changing]
    order += [p.stack for p in reversed(previews) if p.stack in diagrams and p.stack in changing]
    left_out = 0
    text = _render(previews, title, diagrams, left_out)
    while len(text) > MAX_REPORT and order:
        diagrams.pop(order.pop(0))
        left_out += 1
        text = _render(previews, title, diagrams, left_out)
    if len(text) > MAX_REPORT:
        text = (
            text[:MAX_REPORT]
            + "\n\n… report truncated: run `python -m stacks diff-report` locally for all of it.\n"
        )
    return text


def report(
    paths: Iterable[Path],
    stack_secret_keys: Mapping[str, Iterable[str]] | None = None,
    title: str = "Pulumi preview",
    declared: Mapping[str, Routing] | None = None,
) -> str:
    """Read the digests (files or directories) and render one report, stacks in name order.

    `declared`: each stack's routing as its stack file declares it; the stacks that have a digest
    get their diagram, with what the preview adds, removes or modifies marked.
    """
    digests, failures = load_inputs(paths)
    secrets = stack_secret_keys or {}
    previews = {stack: build_preview(stack, digest, secrets.get(stack, ())) for stack, digest in digests}
    for stack, error in failures.items():
        previews[stack] = StackPreview(stack, failure=error)
    routings: dict[str, Routing] = {}
    steps = {stack: digest.get("steps") or [] for stack, digest in digests}
    for stack, routing in (declared or {}).items():
        if stack in previews:
            routings[stack] = diagram.mark_changes(routing, steps.get(stack, []))
    return render([previews[name] for name in sorted(previews)], title, routings)
