"""The context: a tenant's dialplan context (internal, incall, outcall) and its number ranges."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from providers._base import ArgsBase, ObjectProvider, ObjectSpec, plain
from providers.confd import ConfdClient

RANGE_DIGITS = r"^[0-9]{1,16}$"


class Range(BaseModel):
    """A range of numbers; `end` defaults to `start`."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(pattern=RANGE_DIGITS)
    end: str | None = Field(default=None, pattern=RANGE_DIGITS)

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.end is not None:
            if len(self.end) != len(self.start):
                raise ValueError(f"start {self.start} and end {self.end} must have the same length")
            if int(self.end) < int(self.start):
                raise ValueError(f"start {self.start} must be lower than or equal to end {self.end}")
        return self


class IncallRange(Range):
    """A range of DIDs; `did_length` is how many trailing digits the exten keeps."""

    did_length: int = Field(default=0, ge=0)


def _ranges(value: Any) -> Any:
    """Ranges as a set, each with its end filled in (confd shows end = start when omitted)."""
    if not isinstance(value, list | tuple):
        return plain(value)
    out = []
    for item in value:
        entry = dict(plain(item))
        entry["end"] = entry.get("end") or entry.get("start")
        out.append(entry)
    return sorted(out, key=lambda r: (str(r.get("start")), str(r.get("end")), str(r.get("did_length"))))


def _incall_ranges(value: Any) -> Any:
    ranges = _ranges(value)
    if isinstance(ranges, list):
        for entry in ranges:
            entry.setdefault("did_length", 0)
            if entry["did_length"] is None:
                entry["did_length"] = 0
    return ranges


RANGE_FIELDS = ("user_ranges", "group_ranges", "queue_ranges", "conference_room_ranges")


class ContextArgs(ArgsBase):
    """Inputs of a context."""

    canon_rules: ClassVar[dict[str, Any]] = {
        **dict.fromkeys(RANGE_FIELDS, _ranges),
        "incall_ranges": _incall_ranges,
    }

    label: str = Field(min_length=1, max_length=128)
    type: Literal["internal", "incall", "outcall", "services", "others"] = "internal"
    user_ranges: list[Range] = Field(default_factory=list)
    group_ranges: list[Range] = Field(default_factory=list)
    queue_ranges: list[Range] = Field(default_factory=list)
    conference_room_ranges: list[Range] = Field(default_factory=list)
    incall_ranges: list[IncallRange] = Field(default_factory=list)
    description: str | None = None
    enabled: StrictBool = True


def _body(args: ContextArgs) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": args.label,
        "type": args.type,
        "description": args.description,
        "enabled": args.enabled,
    }
    for name in (*RANGE_FIELDS, "incall_ranges"):
        body[name] = [r.model_dump(exclude_none=True) for r in getattr(args, name)]
    return body


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    keys = ("tenant_uuid", "label", "type", "description", "enabled", *RANGE_FIELDS, "incall_ranges")
    return {key: obj.get(key) for key in keys}


def _candidates(client: ConfdClient, args: ContextArgs) -> list[dict[str, Any]]:
    # labels are not unique: the contexts of the same label and type are what it could be taken for
    return client.find("/contexts", label=args.label, type=args.type)


def _in_use(obj: dict[str, Any]) -> bool:
    # what confd shows of a context's users: the contexts it includes
    return bool(obj.get("contexts"))


SPEC = ObjectSpec(
    kind="context",
    args=ContextArgs,
    collection="/contexts",
    id_key="id",
    id_output="context_id",
    extra_outputs={"uuid": "uuid", "name": "name"},
    to_body=_body,
    from_server=_from_server,
    candidates=_candidates,
    in_use=_in_use,
)


class ContextProvider(ObjectProvider):
    """Dynamic provider of confd contexts."""

    spec: ClassVar[ObjectSpec] = SPEC


class Context(Resource, module="wazo-voip", name="Context"):
    """A confd context (`/contexts`); other objects reference its generated `name`."""

    context_id: pulumi.Output[int]
    uuid: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        label: pulumi.Input[str],
        type: pulumi.Input[str] | None = None,
        user_ranges: pulumi.Input[list[Any]] | None = None,
        group_ranges: pulumi.Input[list[Any]] | None = None,
        queue_ranges: pulumi.Input[list[Any]] | None = None,
        conference_room_ranges: pulumi.Input[list[Any]] | None = None,
        incall_ranges: pulumi.Input[list[Any]] | None = None,
        description: pulumi.Input[str] | None = None,
        enabled: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "label": label,
            "type": type,
            "user_ranges": user_ranges,
            "group_ranges": group_ranges,
            "queue_ranges": queue_ranges,
            "conference_room_ranges": conference_room_ranges,
            "incall_ranges": incall_ranges,
            "description": description,
            "enabled": enabled,
            "context_id": None,
            "uuid": None,
            "name": None,
        }
        super().__init__(ContextProvider(), resource_name, props, opts)
