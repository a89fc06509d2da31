"""The incall: where a call to a DID goes (its destination), with caller-id and greeting settings."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from providers._base import ArgsBase, ObjectProvider, ObjectSpec, check_uuid, plain
from providers.confd import ConfdClient

# confd's rules for destinations (docs/confd-contract.md 6.12)
# confd's lookahead is case-sensitive; Asterisk application names are not, so refuse any case
COMMAND = re.compile(r"^(?!(?i:(try)?system)\()[a-zA-Z]{3,}\((.*)\)$")
DEST_EXTEN = re.compile(r"^[0-9*#]{1,255}$")
DEST_CONTEXT = re.compile(r"^[a-zA-Z0-9_-]{1,79}$")
SKILL_RULE_TEXT = re.compile(r"^[^[;|]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PIN = re.compile(r"^[0-9]{1,40}$")


class _Destination(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoneDestination(_Destination):
    type: Literal["none"]


class UserDestination(_Destination):
    type: Literal["user"]
    user_id: int
    ring_time: float | None = Field(default=None, ge=0)
    moh_uuid: str | None = None

    @field_validator("moh_uuid")
    @classmethod
    def _moh(cls, value: str | None) -> str | None:
        return None if value is None else check_uuid(value, "a music-on-hold uuid")


class GroupDestination(_Destination):
    type: Literal["group"]
    group_id: int
    ring_time: float | None = Field(default=None, ge=0)


class QueueDestination(_Destination):
    type: Literal["queue"]
    queue_id: int
    ring_time: float | None = Field(default=None, ge=0)
    skill_rule_id: int | None = None
    skill_rule_variables: dict[str, str] | None = None

    @field_validator("skill_rule_variables")
    @classmethod
    def _variables(cls, value: dict[str, str] | None, info: ValidationInfo) -> dict[str, str] | None:
        for key, text in (value or {}).items():
            if not SKILL_RULE_TEXT.match(key) or not SKILL_RULE_TEXT.match(text):
                raise ValueError("keys and values must be non-empty and contain no '[', ';' or '|'")
        if value and info.data.get("skill_rule_id") is None:
            raise ValueError("need a skill_rule_id")
        return value


class IvrDestination(_Destination):
    type: Literal["ivr"]
    ivr_id: int


class VoicemailDestination(_Destination):
    type: Literal["voicemail"]
    voicemail_id: int
    skip_instructions: StrictBool = False
    greeting: Literal["busy", "unavailable"] | None = None


class ConferenceDestination(_Destination):
    type: Literal["conference"]
    conference_id: int


class SwitchboardDestination(_Destination):
    type: Literal["switchboard"]
    switchboard_uuid: str
    ring_time: float | None = Field(default=None, ge=0)

    @field_validator("switchboard_uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return check_uuid(value, "a switchboard uuid")


class OutcallDestination(_Destination):
    type: Literal["outcall"]
    outcall_id: int
    exten: str = Field(max_length=255)

    @field_validator("exten")
    @classmethod
    def _exten(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError("must be digits only (the number the outcall dials)")
        return value


class ExtensionDestination(_Destination):
    type: Literal["extension"]
    exten: str
    context: str

    @field_validator("exten")
    @classmethod
    def _exten(cls, value: str) -> str:
        if not DEST_EXTEN.match(value):
            raise ValueError("must be 1..255 digits, * or #")
        return value

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        if not DEST_CONTEXT.match(value):
            raise ValueError("must be a context name: 1..79 letters, digits, '_' or '-'")
        return value


class SoundDestination(_Destination):
    type: Literal["sound"]
    filename: str = Field(max_length=255)
    skip: StrictBool = False
    no_answer: StrictBool = False


class CustomDestination(_Destination):
    type: Literal["custom"]
    command: str = Field(max_length=255)

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        if not COMMAND.match(value):
            raise ValueError(
                "must be a dialplan application call such as Playback(hello-world); System() and "
                "TrySystem() are refused"
            )
        return value


class HangupDestination(_Destination):
    type: Literal["hangup"]
    cause: Literal["normal", "busy", "congestion"]
    timeout: float | None = Field(default=None, ge=0)

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("cause") == "normal":
            raise ValueError("applies only to the busy and congestion causes")
        return value


class _Application(_Destination):
    type: Literal["application"]


def _context_rule(value: str) -> str:
    if not DEST_CONTEXT.match(value):
        raise ValueError("must be a context name: 1..79 letters, digits, '_' or '-'")
    return value


def _pin_rule(value: str | None) -> str | None:
    if value is not None and not PIN.match(value):
        raise ValueError("must be 1..40 digits")
    return value


class CallbackDisaApplication(_Application):
    application: Literal["callback_disa"]
    context: str
    pin: str | None = None

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        return _context_rule(value)

    @field_validator("pin")
    @classmethod
    def _pin(cls, value: str | None) -> str | None:
        return _pin_rule(value)


class DisaApplication(CallbackDisaApplication):
    application: Literal["disa"]  # type: ignore[assignment]


class CustomApplication(_Application):
    application: Literal["custom"]
    application_uuid: str

    @field_validator("application_uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return check_uuid(value, "an application uuid")


class DirectoryApplication(_Application):
    application: Literal["directory"]
    context: str

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        return _context_rule(value)


class VoicemailApplication(DirectoryApplication):
    application: Literal["voicemail"]  # type: ignore[assignment]


class FaxToMailApplication(_Application):
    application: Literal["fax_to_mail"]
    email: str = Field(max_length=80)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("must be an email address")
        return value


DESTINATIONS: dict[str, type[_Destination]] = {
    "none": NoneDestination,
    "user": UserDestination,
    "group": GroupDestination,
    "queue": QueueDestination,
    "ivr": IvrDestination,
    "voicemail": VoicemailDestination,
    "conference": ConferenceDestination,
    "switchboard": SwitchboardDestination,
    "outcall": OutcallDestination,
    "extension": ExtensionDestination,
    "sound": SoundDestination,
    "custom": CustomDestination,
    "hangup": HangupDestination,
}
APPLICATIONS: dict[str, type[_Destination]] = {
    "callback_disa": CallbackDisaApplication,
    "custom": CustomApplication,
    "directory": DirectoryApplication,
    "disa": DisaApplication,
    "fax_to_mail": FaxToMailApplication,
    "voicemail": VoicemailApplication,
}


def _model_for(value: dict[str, Any]) -> type[_Destination]:
    kind = value.get("type")
    if kind == "application":
        sub = value.get("application")
        if sub not in APPLICATIONS:
            raise ValueError(f"application must be one of: {', '.join(APPLICATIONS)}")
        return APPLICATIONS[str(sub)]
    if kind not in DESTINATIONS:
        raise ValueError(f"type must be one of: {', '.join([*DESTINATIONS, 'application'])}")
    return DESTINATIONS[str(kind)]


def check_destination(value: Any) -> dict[str, Any]:
    """Validate a destination the way confd does; the canonical dict, or one readable ValueError."""
    if not isinstance(value, dict):
        raise ValueError("must be an object with a 'type', e.g. {'type': 'user', 'user_id': 1}")
    model = _model_for(value)
    try:
        parsed = model.model_validate(value)
    except ValidationError as error:
        kind = value.get("application") if value.get("type") == "application" else value.get("type")
        problems = []
        for item in error.errors(include_url=False, include_input=False, include_context=False):
            where = ".".join(str(p) for p in item["loc"])
            message = item["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
            if item["type"] == "missing":
                message = f"is required for a {kind!r} destination"
            elif item["type"] == "extra_forbidden":
                message = f"is not a field of a {kind!r} destination"
            problems.append(f"{where}: {message}")
        raise ValueError("; ".join(problems)) from None
    dumped = parsed.model_dump(mode="json")
    if dumped.get("type") == "hangup" and dumped.get("cause") == "normal" and dumped.get("timeout") is None:
        dumped.pop("timeout")
    canonical: dict[str, Any] = canon_destination(dumped)
    return canonical


def canon_destination(value: Any) -> Any:
    """The canonical form of a destination, from inputs or from confd (read-only fields dropped)."""
    if not isinstance(value, dict):
        return plain(value)
    try:
        model = _model_for(value)
    except ValueError:
        return plain(value)
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        out[name] = plain(value[name]) if name in value else info.get_default(call_default_factory=True)
    if out.get("type") == "hangup" and out.get("cause") == "normal":
        out.pop("timeout", None)
    if out.get("type") == "queue" and out.get("ring_time") == 0:
        out["ring_time"] = None  # stored as "no ring time" by confd
    for key in ("moh_uuid", "switchboard_uuid", "application_uuid"):
        if isinstance(out.get(key), str):
            out[key] = out[key].lower()
    return out


class IncallArgs(ArgsBase):
    """Inputs of an incall."""

    canon_rules: ClassVar[dict[str, Any]] = {"destination": canon_destination}

    destination: dict[str, Any]
    caller_id_mode: Literal["prepend", "overwrite", "append"] | None = None
    caller_id_name: str | None = Field(default=None, max_length=80)
    greeting_sound: str | None = Field(default=None, max_length=255)
    description: str | None = None
    preprocess_subroutine: str | None = Field(default=None, max_length=79)

    @field_validator("destination", mode="before")
    @classmethod
    def _destination(cls, value: Any) -> Any:
        return check_destination(value)


def _body(args: IncallArgs) -> dict[str, Any]:
    return {
        "destination": args.destination,
        "caller_id_mode": args.caller_id_mode,
        "caller_id_name": args.caller_id_name,
        "greeting_sound": args.greeting_sound,
        "description": args.description,
        "preprocess_subroutine": args.preprocess_subroutine,
    }


def _from_server(obj: dict[str, Any]) -> dict[str, Any]:
    keys = ("tenant_uuid", "destination", "caller_id_mode", "caller_id_name", "greeting_sound")
    return {key: obj.get(key) for key in (*keys, "description", "preprocess_subroutine")}


def _candidates(client: ConfdClient, args: IncallArgs) -> list[dict[str, Any]]:
    # an incall has no name: narrow the list with the filters confd has, when they apply
    params: dict[str, Any] = {}
    if args.description is not None:
        params["description"] = args.description
    elif args.destination.get("type") == "user":
        params["user_id"] = args.destination["user_id"]
    items: list[dict[str, Any]] = client.get("/incalls", params=params or None)["items"]
    return items


def _in_use(obj: dict[str, Any]) -> bool:
    return bool(obj.get("extensions")) or bool(obj.get("schedules"))


SPEC = ObjectSpec(
    kind="incall",
    args=IncallArgs,
    collection="/incalls",
    id_key="id",
    id_output="incall_id",
    to_body=_body,
    from_server=_from_server,
    candidates=_candidates,
    in_use=_in_use,
)


class IncallProvider(ObjectProvider):
    """Dynamic provider of confd incalls."""

    spec: ClassVar[ObjectSpec] = SPEC


class Incall(Resource, module="wazo-voip", name="Incall"):
    """A confd incall (`/incalls`)."""

    incall_id: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        tenant_uuid: pulumi.Input[str],
        destination: pulumi.Input[dict[str, Any]],
        caller_id_mode: pulumi.Input[str] | None = None,
        caller_id_name: pulumi.Input[str] | None = None,
        greeting_sound: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        preprocess_subroutine: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "tenant_uuid": tenant_uuid,
            "destination": destination,
            "caller_id_mode": caller_id_mode,
            "caller_id_name": caller_id_name,
            "greeting_sound": greeting_sound,
            "description": description,
            "preprocess_subroutine": preprocess_subroutine,
            "incall_id": None,
        }
        super().__init__(IncallProvider(), resource_name, props, opts)
