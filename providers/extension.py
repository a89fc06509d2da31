"""The extension: a number or dial pattern in a context (a DID, or an outgoing pattern)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, StrictBool, ValidationInfo, field_validator

from providers._base import ArgsBase, ObjectProvider, ObjectSpec
from providers.trunk import check_context_name

GENERATED_CONTEXT = re.compile(
    r"^ctx-.+-(?P<type>internal|incall|outcall|services|others)-[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"
)
# confd's rules (docs/confd-contract.md 6.10)
OUTCALL_EXTEN = re.compile(r"^_?\+?[*#0-9_XxZzNn\[\].!-]*$")
OTHER_EXTEN = re.compile(r"^(_[*#0-9_XxZzNn\[\].!-]{1,39}|[*#0-9]{1,40})$")
PATTERN_CHARS = re.compile(r"[XxZzNn\[\].!]")
MAX_EXTEN = 40
# what an extension can be attached to, as its GET shows (wazo-confd plugins/extension/schema.py)
LINKS = ("conference", "parking_lot", "group", "incall", "lines", "outcall", "queue")


def context_type(name: str) -> str | None:
    """The type confd put in a generated context name (ctx-<slug>-<type>-<uuid>), if it is one."""
    match = GENERATED_CONTEXT.match(name)
    return match.group("type") if match else None


def pattern_problem(pattern: str) -> str | None:
    """Asterisk pattern syntax after the leading '_': X Z N digits * # [ranges], '.' or '!' last."""
    body = pattern[1:]
    if body.startswith("+"):
        body = body[1:]
    if not body:
        return "is an empty pattern"
    i = 0
    while i < len(body):
        char = body[i]
        if char in ".!":
            if i != len(body) - 1:
                return f"has {char!r} before the end: '.' and '!' match the rest and must come last"
        elif char == "[":
            end = body.find("]", i)
            if end == -1:
                return "has a '[' without its ']'"
            inside = body[i + 1 : end]
            if not inside or not re.fullmatch(r"([0-9*#](-[0-9])?)+", inside):
                return f"has an invalid range [{inside}]: use digits and ranges such as [1-5] or [259]"
            i = end
        elif char == "]":
            return "has a ']' without its '['"
        elif char == "-":
            return "has a '-' outside of [ranges]"
        elif not re.fullmatch(r"[0-9*#XxZzNn_]", char):
            return f"has {char!r}, which is not pattern syntax"
        i += 1
    return None


def check_exten(exten: str, context: str | None) -> str:
    kind = context_type(context) if context else None
    if not exten:
        raise ValueError("must not be empty (confd accepts it, but it matches nothing)")
    if len(exten) > MAX_EXTEN:
        raise ValueError(f"is longer than {MAX_EXTEN} characters")
    if kind == "outcall" or kind is None:
        ok = OUTCALL_EXTEN.match(exten) or (kind is None and OTHER_EXTEN.match(exten))
        if not ok:
            raise ValueError(
                "is not a dial pattern: digits, *, #, X (0-9), Z (1-9), N (2-9), [ranges], '.' or '!', "
                "after an optional leading '_' and '+'"
            )
        if not exten.startswith("_") and PATTERN_CHARS.search(exten):
            raise ValueError(
                f"has pattern characters but no leading '_': Asterisk would take {exten!r} literally; "
                f"write '_{exten}'"
            )
    elif not OTHER_EXTEN.match(exten):
        if "+" in exten:
            raise ValueError(
                f"contains '+', which confd refuses in a(n) {kind} context: store the DID as digits "
                f"only (e.g. {exten.replace('+', '')!r}); the incall dialplan drops the leading '+'"
            )
        raise ValueError(
            f"must be 1..40 digits, * or #, or a pattern starting with '_' in a(n) {kind} context"
        )
    if exten.startswith("_"):
        problem = pattern_problem(exten)
        if problem:
            raise ValueError(problem)
    return exten


class ExtensionArgs(ArgsBase):
    """Inputs of an extension."""

    # context first: the exten's rules depend on the context's type
    context: str = Field(description="context name (ctx-<slug>-<type>-<uuid>), not its label")
    exten: str
    enabled: StrictBool = True
    adopt: StrictBool = False

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        checked = check_context_name(value)
        assert checked is not None
        return checked

    @field_validator("exten")
    @classmethod
    def _exten(cls, value: str, info: ValidationInfo) -> str:
        return check_exten(value, info.data.get("context"))


def _body(args: ExtensionArgs) -> dict[str, Any]:
    return {"exten": args.exten, "context": args.context, "enabled": args.enabled}


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: obj.get(key) for key in ("tenant_uuid", "exten", "context", "enabled")}


SPEC = ObjectSpec(
    kind="extension",
    args=ExtensionArgs,
    delete_before_replace=True,  # exten + context is unique
    collection="/extensions",
    id_key="id",
    id_output="extension_id",
    to_body=_body,
    from_server=_from_server,
    natural_key=lambda args: {"exten": args.exten, "context": args.context},
    in_use=lambda obj: any(obj.get(link) for link in LINKS),
)


class ExtensionProvider(ObjectProvider):
    """Dynamic provider of confd extensions."""

    spec: ClassVar[ObjectSpec] = SPEC


class Extension(Resource, module="wazo-voip", name="Extension"):
    """A confd extension (`/extensions`)."""

    extension_id: pulumi.Output[int]
    exten: pulumi.Output[str]
    context: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        exten: pulumi.Input[str],
        context: pulumi.Input[str],
        enabled: pulumi.Input[bool] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "exten": exten,
            "context": context,
            "enabled": enabled,
            "adopt": adopt,
            "extension_id": None,
        }
        super().__init__(ExtensionProvider(), resource_name, props, opts)
