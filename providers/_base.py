"""One generic dynamic-provider lifecycle (check, diff, create, read, update, delete).

Each confd object is described by a small spec (`ObjectSpec`): its collection path, its id, which
inputs force a replacement, which outputs the server adds, which inputs are secret, and its natural
key for adoption. Association endpoints (PUT/DELETE only) get an `AssociationSpec`. The provider
classes below carry nothing but a reference to their spec: Pulumi pickles them into the state.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from providers.confd import (
    AdoptionRefused,
    ConfdAlreadyExists,
    ConfdClient,
    ConfdError,
    ConfdMismatch,
    ConfdNotFound,
    ConfdUncertainWrite,
    ConfdValidationError,
    configure_from_config,
    connect,
)

log = logging.getLogger(__name__)

PROVIDER_KEY = "__provider"
_MISSING = object()
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# -- values -------------------------------------------------------------------------------------


def contains_unknown(value: Any) -> bool:
    """True when a preview has not resolved this value (or something inside it) yet."""
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """A JSON-like canonical form: tuples become lists, integral floats ints, UUIDs strings."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def sorted_pairs(value: Any) -> Any:
    """SIP section options as a multiset: confd's database does not keep their order."""
    if not isinstance(value, list | tuple):
        return plain(value)
    return sorted((plain(list(pair)) for pair in value), key=lambda pair: [str(p) for p in pair])


# -- inputs -------------------------------------------------------------------------------------


class ArgsBase(BaseModel):
    """Inputs common to every resource; subclasses add theirs (extra inputs are refused)."""

    model_config = ConfigDict(extra="forbid")

    # per-field canonical forms, for fields whose plain() form is not enough
    canon_rules: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    tenant_uuid: str

    @field_validator("tenant_uuid")
    @classmethod
    def _tenant_uuid(cls, value: str) -> str:
        return check_uuid(value, "a tenant uuid")

    @classmethod
    def canon(cls, name: str, value: Any) -> Any:
        rule = cls.canon_rules.get(name)
        if rule is None:
            return plain(value)
        try:
            return rule(value)
        except (TypeError, ValueError, AttributeError):
            return plain(value)

    @classmethod
    def default_of(cls, name: str) -> Any:
        return cls.model_fields[name].get_default(call_default_factory=True)

    @classmethod
    def canonical(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Every input field in canonical form; absent ones take their default."""
        out: dict[str, Any] = {}
        for name in cls.model_fields:
            value = raw.get(name, _MISSING)
            out[name] = cls.canon(name, cls.default_of(name) if value is _MISSING else value)
        return out

    def normalized(self) -> dict[str, Any]:
        return self.canonical(self.model_dump(mode="json"))


class AdoptableArgs(ArgsBase):
    """Inputs of an object that a stack may take over instead of creating it (`adopt`).

    None of them is sent to confd or compared: they only steer a create, so removing them once the
    object is adopted changes nothing.
    """

    adopt: StrictBool = False
    adopt_id: int | None = Field(
        default=None, ge=1, description="the id of the object to adopt, for objects confd gives no name"
    )
    declared_links: dict[str, list[str]] = Field(
        default_factory=dict,
        description="what the stack declares this object attached to, per kind of link: adoption "
        "refuses an object that confd shows attached to anything else",
    )


ADOPTION_FIELDS = frozenset(AdoptableArgs.model_fields) - frozenset(ArgsBase.model_fields)


def confd_id(resource: pulumi.CustomResource) -> pulumi.Output[int]:
    """The confd id of an object, for the links and lists that refer to it.

    It is the resource's own id, not its id output: during a preview the engine answers the update of
    a dynamic resource with its new inputs (the SDK's provider server takes no part in previews), so
    every output that is not an input, the id output included, is unknown downstream, and a link that
    refers to it would preview as replaced. The resource id is the one value the engine carries over
    from the state, so a link previews as unchanged while only a property of its object changes.
    """
    return resource.id.apply(int)


def article(noun: str) -> str:
    """'an' before a vowel ('an incall', 'an outcall'), else 'a' ('a trunk', 'a SIP endpoint')."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def check_uuid(value: str, what: str) -> str:
    if not UUID_RE.match(value):
        raise ValueError(f"must be {what} (8-4-4-4-12 hexadecimal digits), got {value!r}")
    return value.lower()


# -- specs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What every resource declares."""

    kind: str
    args: type[ArgsBase]
    replace_on: frozenset[str] = frozenset({"tenant_uuid"})
    # when a replacement happens, delete first: the new object would collide with the old one
    delete_before_replace: bool = False
    # inputs that only steer the provider: never sent, never compared
    local_fields: frozenset[str] = ADOPTION_FIELDS
    # inputs holding secrets: their values are never shown in a message
    secret_fields: frozenset[str] = frozenset()
    # values to blank out of confd's error messages (e.g. SIP passwords)
    redact: Callable[[Any], list[str]] = field(default=lambda _args: [])


@dataclass(frozen=True)
class ObjectSpec(Spec):
    """A confd object with its own collection: POST, GET, PUT, DELETE."""

    collection: str = ""
    id_key: str = "id"
    id_output: str = "id"
    # extra output name -> key in confd's object
    extra_outputs: Mapping[str, str] = field(default_factory=dict)
    to_body: Callable[[Any], dict[str, Any]] = field(default=lambda args: {})
    from_server: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda obj: obj)
    # list filters that find the object by its natural key; None: it has none
    natural_key: Callable[[Any], dict[str, str]] | None = None
    # without a natural key: the tenant's objects that a POST of these inputs could be confused with
    # (read before the POST, and again after a lost answer to find what the POST made)
    candidates: Callable[[ConfdClient, Any], list[dict[str, Any]]] | None = None
    # whether confd shows the object linked to anything: such an object is never taken as ours
    in_use: Callable[[dict[str, Any]], bool] = field(default=lambda _obj: False)
    # whether an object already there with the same natural key may be taken over: adopt=True, or
    # a proof in the spec's own terms that it is this resource's object (never a guess)
    may_adopt: Callable[[Any, dict[str, Any]], bool] = field(
        default=lambda args, _existing: bool(getattr(args, "adopt", False))
    )
    # what confd shows the object attached to, per kind of link (the keys of `declared_links`)
    attachments: Callable[[dict[str, Any]], dict[str, list[str]]] = field(default=lambda _obj: {})
    # words for the kinds of link, in messages
    link_names: Mapping[str, str] = field(default_factory=dict)
    # what to do about an undeclared link of a kind, `{value}` its identity (default: declare or detach)
    link_hints: Mapping[str, str] = field(default_factory=dict)
    # without a natural key and without `adopt_id`: why creating one would duplicate an existing
    # object, read before an adopting create (None: nothing would be duplicated)
    duplicate_of: Callable[[ConfdClient, Any], str | None] = field(default=lambda _client, _args: None)
    # links the inputs declare besides `declared_links` (e.g. the trunk a SIP endpoint is made for)
    declared: Callable[[Any], dict[str, list[str]]] = field(default=lambda _args: {})


@dataclass(frozen=True)
class AssociationSpec(Spec):
    """A link between two confd objects: PUT to make it, DELETE (or an empty PUT) to undo it."""

    id_of: Callable[[Any], str] = field(default=lambda args: "")
    path: Callable[[Any], str] = field(default=lambda args: "")
    body: Callable[[Any], dict[str, Any] | None] = field(default=lambda args: None)
    # what confd shows now for these outputs, as raw input fields; None when the link is gone
    observe: Callable[[ConfdClient, dict[str, Any]], dict[str, Any] | None] = field(
        default=lambda client, outs: None
    )
    # undo the link; a 404 means it is already gone
    remove: Callable[[ConfdClient, dict[str, Any]], None] = field(default=lambda client, outs: None)


# -- the lifecycle ------------------------------------------------------------------------------


_CREATE_GUARD = threading.Lock()
_CREATE_LOCKS: dict[tuple[str, str], threading.Lock] = {}


@contextlib.contextmanager
def _creating(spec: ObjectSpec, tenant_uuid: str) -> Iterator[None]:
    """Creates of objects without a natural key, one at a time per tenant and collection.

    The look before the POST and the look after a lost answer then see no other object that this
    process is making, so what appeared between them can only be this call's or another client's.
    """
    if spec.natural_key is not None:
        yield
        return
    with _CREATE_GUARD:
        lock = _CREATE_LOCKS.setdefault((tenant_uuid, spec.collection), threading.Lock())
    with lock:
        yield


def _props(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != PROVIDER_KEY}


def _failures(spec: Spec, error: ValidationError, skip: Iterable[str]) -> list[CheckFailure]:
    skipped = set(skip)
    grouped: dict[str, list[str]] = {}
    accepted = ", ".join(spec.args.model_fields)
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        loc = item["loc"]
        top = str(loc[0]) if loc else spec.kind
        if top in skipped:
            continue
        where = top + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
        message = item["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        if item["type"] in ("bool_type", "bool_parsing"):
            message = "must be true or false"
        elif item["type"] in ("int_type", "int_parsing", "int_from_float"):
            message = "must be a whole number"
        elif item["type"] == "missing":
            message = "is required"
        elif item["type"] == "extra_forbidden":
            message = f"is not an input of {spec.kind} (check its spelling; inputs are: {accepted})"
        grouped.setdefault(top, []).append(f"{where}: {message}")
    return [CheckFailure(prop, "; ".join(texts)) for prop, texts in grouped.items()]


class _Lifecycle(ResourceProvider):
    """What objects and associations share: configure, check, diff."""

    spec: ClassVar[Spec]

    def configure(self, req: ConfigureRequest) -> None:
        configure_from_config(req.config.get)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        raw = _props(news)
        unknown = {name for name, value in raw.items() if contains_unknown(value)}
        try:
            args = self.spec.args.model_validate(raw)
        except ValidationError as error:
            return CheckResult(raw, _failures(self.spec, error, unknown))
        return CheckResult(args.normalized(), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        spec = self.spec
        model = spec.args
        olds, news = _props(olds), _props(news)
        changed: list[str] = []
        for name in model.model_fields:
            if name in spec.local_fields:
                continue
            new = news.get(name, _MISSING)
            if new is not _MISSING and contains_unknown(new):
                changed.append(name)
                continue
            old = olds.get(name, _MISSING)
            new_c = model.canon(name, model.default_of(name) if new is _MISSING else new)
            old_c = model.canon(name, model.default_of(name) if old is _MISSING else old)
            if new_c != old_c:
                changed.append(name)
        replaces = [name for name in changed if name in spec.replace_on]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=bool(replaces) and spec.delete_before_replace,
        )

    def _args(self, props: Mapping[str, Any]) -> ArgsBase:
        try:
            return self.spec.args.model_validate(_props(props))
        except ValidationError as error:
            reasons = "; ".join(f.reason for f in _failures(self.spec, error, ()))
            raise ValueError(f"invalid {self.spec.kind} inputs: {reasons}") from None


class ObjectProvider(_Lifecycle):
    """The lifecycle of a confd object driven by an ObjectSpec."""

    spec: ClassVar[ObjectSpec]

    def _computed(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        spec = self.spec
        out = {spec.id_output: obj.get(spec.id_key)}
        out.update({name: obj.get(key) for name, key in spec.extra_outputs.items()})
        return out

    def _outputs(self, args_local: Mapping[str, Any], obj: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs from confd's object: its view of every input, the local inputs, its own fields."""
        seen = self.spec.args.canonical(self.spec.from_server(dict(obj)))
        for name in self.spec.local_fields & set(seen):
            seen[name] = self.spec.args.canon(name, args_local.get(name, self.spec.args.default_of(name)))
        return {**seen, **self._computed(obj)}

    def _item(self, id_: Any) -> str:
        return f"{self.spec.collection}/{id_}"

    def _lookup(self, client: ConfdClient, args: ArgsBase) -> list[dict[str, Any]]:
        """The objects a POST of `args` could be taken for: by natural key, or the candidates."""
        spec = self.spec
        if spec.natural_key is not None:
            return client.find(spec.collection, **spec.natural_key(args))
        assert spec.candidates is not None, f"{spec.kind}: a spec needs a natural key or candidates"
        return spec.candidates(client, args)

    def _key_text(self, args: ArgsBase) -> str:
        if self.spec.natural_key is None:
            return ""
        return ", ".join(f"{k}={v!r}" for k, v in self.spec.natural_key(args).items())

    def _differing(self, wanted: Mapping[str, Any], outs: Mapping[str, Any]) -> list[str]:
        return [
            name
            for name in self.spec.args.model_fields
            if name not in self.spec.local_fields and outs.get(name) != wanted.get(name)
        ]

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Look, then POST; a lost answer is settled by looking again (README.md, "Faults").

        The look before the POST is what proves, after a lost answer, which object this call made:
        only an object that was not there before, holds exactly what was sent and is linked to
        nothing is taken as ours. An object that was already there is someone else's: it is
        adopted only with adopt=True, or when the spec proves it is this resource's own
        (`may_adopt`: a PJSIP endpoint already on the trunk it is declared for).
        """
        spec = self.spec
        args = self._args(props)
        wanted = args.normalized()
        client = connect(args.tenant_uuid)
        adopt = bool(getattr(args, "adopt", False))
        adopt_id = getattr(args, "adopt_id", None)
        if adopt and adopt_id is not None:
            return self._adopt(client, args, self._recorded(client, args, adopt_id))
        if adopt and spec.natural_key is None:
            duplicate = spec.duplicate_of(client, args)
            if duplicate is not None:
                raise AdoptionRefused(
                    f"refusing to create {article(spec.kind)} {spec.kind}: {duplicate}", method="POST"
                )
        with _creating(spec, args.tenant_uuid):
            before = self._lookup(client, args)
            if spec.natural_key is not None and before:
                if spec.may_adopt(args, before[0]):
                    return self._adopt(client, args, before[0])
                raise self._exists_error(args, before[0], None)
            known = {str(obj.get(spec.id_key)) for obj in before}
            try:
                result = client.post(
                    spec.collection,
                    spec.to_body(args),
                    recover=lambda: self._recover(client, args, wanted, known),
                    what=f"a {spec.kind}",
                    # a unique key makes a second POST harmless; without one, wait for a slow first
                    settle=spec.natural_key is None,
                    redact=spec.redact(args),
                )
            except ConfdValidationError as error:
                if not isinstance(error, ConfdAlreadyExists):
                    error.summary = f"confd refused to create the {spec.kind}"
                    raise
                # made since the look above, or it exists in another tenant (unique names)
                found = self._lookup(client, args) if spec.natural_key is not None else []
                if found and spec.may_adopt(args, found[0]):
                    return self._adopt(client, args, found[0])
                raise self._exists_error(args, found[0] if found else None, error) from None
        obj = result.body
        outs = self._outputs(wanted, obj)
        differing = self._differing(wanted, outs)
        if differing:
            self._discard(client, obj)
            raise ConfdMismatch(
                f"confd created the {spec.kind} but did not store what was sent (it silently drops "
                f"fields it does not know): {self._describe(differing, wanted, outs)}. The object was "
                f"deleted again. Is the server older than this provider expects?",
                method="POST",
                path=spec.collection,
            )
        return CreateResult(str(obj[spec.id_key]), outs)

    def _recover(
        self, client: ConfdClient, args: ArgsBase, wanted: Mapping[str, Any], known: set[str]
    ) -> dict[str, Any] | None:
        """After a lost answer: the object this call provably made, None if nothing landed.

        Raises when an object is there that this call cannot prove it made: never taken over.
        """
        spec = self.spec
        appeared = [obj for obj in self._lookup(client, args) if str(obj.get(spec.id_key)) not in known]
        mine = [
            obj
            for obj in appeared
            if not spec.in_use(obj) and not self._differing(wanted, self._outputs(wanted, obj))
        ]
        if spec.natural_key is not None:
            if appeared and not mine:
                # the key is taken by an object that is not what this run sent: someone else's
                raise self._exists_error(args, appeared[0], None)
            return mine[0] if mine else None
        if len(mine) > 1:
            ids = ", ".join(str(obj.get(spec.id_key)) for obj in mine)
            raise ConfdUncertainWrite(
                f"confd's answer to the creation of a {spec.kind} was lost, and {len(mine)} {spec.kind}s "
                f"that match what was sent appeared in tenant {args.tenant_uuid} meanwhile ({spec.id_key} "
                f"{ids}): another client created some of them, so none was adopted. Delete the one that "
                f"this run made if you can tell it (it is linked to nothing), then run again",
                method="POST",
                path=spec.collection,
            )
        return mine[0] if mine else None

    def _recorded(self, client: ConfdClient, args: ArgsBase, adopt_id: int) -> dict[str, Any]:
        """The object the stack recorded by id, read from confd; refused when the tenant has none."""
        spec = self.spec
        try:
            existing: dict[str, Any] = client.get(self._item(adopt_id))
        except ConfdNotFound:
            raise AdoptionRefused(
                f"cannot adopt the {spec.kind} {adopt_id}: tenant {args.tenant_uuid} has no {spec.kind} "
                f"with that id. Check the id the stack file records for it, or remove it to create a "
                f"new {spec.kind}",
                method="GET",
                path=client.full_path(self._item(adopt_id)),
            ) from None
        return existing

    def _adopt(self, client: ConfdClient, args: ArgsBase, existing: dict[str, Any]) -> CreateResult:
        """Take over an existing object: refused if it is another tenant's or attached to anything
        the stack does not declare; written only where it differs from the inputs."""
        spec = self.spec
        id_ = existing[spec.id_key]
        described = f"{spec.kind} {self._key_text(args) or f'{spec.id_key} {id_}'}"
        if str(existing.get("tenant_uuid")) != args.tenant_uuid:
            # confd's item URLs also reach sub-tenants' objects: never take one of those
            raise AdoptionRefused(
                f"refusing to adopt the {described}: it belongs to tenant {existing.get('tenant_uuid')}, "
                f"not to this stack's tenant {args.tenant_uuid}",
                path=client.full_path(self._item(id_)),
            )
        undeclared = self._undeclared(args, existing)
        if undeclared:
            hints = [
                spec.link_hints[kind].format(value=value)
                for kind, value in undeclared
                if kind in spec.link_hints
            ]
            hint = (
                " ".join(hints) or "Declare that in the stack file, or detach it in the Wazo, then run again"
            )
            shown = "; ".join(f"{spec.link_names.get(kind, kind)} {value}" for kind, value in undeclared)
            raise AdoptionRefused(
                f"refusing to adopt the {described} ({spec.id_key} {id_}): confd shows it attached to "
                f"{shown}, which this stack does not declare. {hint}",
                path=client.full_path(self._item(id_)),
            )
        wanted = args.normalized()
        outs = self._outputs(wanted, existing)
        differing = self._differing(wanted, outs)
        if not differing:
            log.info("adopting the existing %s (%s %s) as it is", described, spec.id_key, id_)
            return CreateResult(str(id_), outs)
        log.info("adopting the existing %s (%s %s), updating %s", described, spec.id_key, id_, differing)
        return CreateResult(str(id_), self._put_verified(client, str(id_), args))

    def _undeclared(self, args: ArgsBase, existing: dict[str, Any]) -> list[tuple[str, str]]:
        """The links confd shows that the inputs' `declared_links` do not list: (kind, identity)."""
        declared: dict[str, list[str]] = dict(getattr(args, "declared_links", None) or {})
        for kind, values in self.spec.declared(args).items():
            declared[kind] = [*declared.get(kind, []), *values]
        return [
            (kind, value)
            for kind, values in self.spec.attachments(existing).items()
            for value in values
            if value not in set(declared.get(kind, []))
        ]

    def _put_verified(self, client: ConfdClient, id_: str, args: ArgsBase) -> dict[str, Any]:
        """PUT the inputs, read the object back, and fail naming any field confd did not store.

        confd answers a PUT with 204 and no body and, like on POST, drops fields it does not know
        without a word: only a GET shows what it kept. This read is the price of an update that
        is known to be applied (one GET per PUT).
        """
        spec = self.spec
        wanted = args.normalized()
        try:
            client.put(self._item(id_), spec.to_body(args), redact=spec.redact(args))
        except ConfdNotFound as error:
            error.summary = f"the {spec.kind} {id_} no longer exists: run `pulumi refresh`, then `up`"
            raise
        except ConfdValidationError as error:
            error.summary = f"confd refused to update the {spec.kind} {id_}"
            raise
        obj = client.get(self._item(id_))
        outs = self._outputs(wanted, obj)
        differing = self._differing(wanted, outs)
        if differing:
            raise ConfdMismatch(
                f"confd accepted the update of the {spec.kind} {id_} but did not store what was sent (it "
                f"silently drops fields it does not know): {self._describe(differing, wanted, outs)}. Is "
                f"the server older than this provider expects?",
                method="PUT",
                path=client.full_path(self._item(id_)),
            )
        return outs

    def _exists_error(
        self, args: ArgsBase, existing: dict[str, Any] | None, error: ConfdAlreadyExists | None
    ) -> ConfdAlreadyExists:
        spec = self.spec
        key = self._key_text(args)
        if existing is not None:
            text = (
                f"{article(spec.kind)} {spec.kind} with {key} already exists in tenant {args.tenant_uuid} "
                f"({spec.id_key} {existing.get(spec.id_key)}), and this run did not create it. To manage "
                f"that one here, set `adopt: true` in the stack file, for the stack or for this provider "
                f"(the resource's input adopt=True): it is then taken over and updated where it differs; "
                f"otherwise delete it or choose another {key.split('=')[0]}"
            )
        else:
            text = (
                f"{article(spec.kind)} {spec.kind} with {key} already exists, but not in tenant "
                f"{args.tenant_uuid} (names of SIP endpoints and outcalls are unique across all "
                f"tenants): choose another name, or delete the other one"
            )
        return ConfdAlreadyExists(
            text,
            status=error.status if error else None,
            messages=error.messages if error else (),
            method="POST",
            path=error.path if error else None,
        )

    def _discard(self, client: ConfdClient, obj: Mapping[str, Any]) -> None:
        try:
            client.delete(self._item(obj[self.spec.id_key]))
        except ConfdNotFound:
            return
        except ConfdError as error:
            log.warning("could not delete the mismatched %s again: %s", self.spec.kind, error.summary)

    def _describe(self, names: list[str], wanted: Mapping[str, Any], got: Mapping[str, Any]) -> str:
        secret = self.spec.secret_fields
        parts = []
        for name in names:
            if name in secret:
                parts.append(f"{name} (secret; values not shown)")
            else:
                parts.append(f"{name} (sent {wanted.get(name)!r}, stored {got.get(name)!r})")
        return "; ".join(parts)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = _props(props)
        client = connect(props.get("tenant_uuid"))
        try:
            obj = client.get(self._item(id_))
        except ConfdNotFound:
            log.info("%s %s is gone", self.spec.kind, id_)
            return ReadResult("", {})
        return ReadResult(id_, self._outputs(props, obj))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = self._args(news)
        client = connect(args.tenant_uuid)
        return UpdateResult(self._put_verified(client, id_, args))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = connect(_props(props).get("tenant_uuid"))
        try:
            client.delete(self._item(id_))
        except ConfdNotFound:
            log.info("%s %s was already gone", self.spec.kind, id_)
        except ConfdValidationError as error:
            error.summary = (
                f"confd refused to delete the {self.spec.kind} {id_} (objects still attached to it must "
                f"be unlinked first)"
            )
            raise


class AssociationProvider(_Lifecycle):
    """The lifecycle of a confd association driven by an AssociationSpec."""

    spec: ClassVar[AssociationSpec]

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Make the link; when adopting, only if confd does not already show it as the inputs say."""
        args = self._args(props)
        if getattr(args, "adopt", False) and self._in_place(args):
            log.info("adopting the %s %s as it is", self.spec.kind, self.spec.id_of(args))
        else:
            self._link(args)
        return CreateResult(self.spec.id_of(args), args.normalized())

    def _in_place(self, args: ArgsBase) -> bool:
        wanted = args.normalized()
        seen = self.spec.observe(connect(args.tenant_uuid), wanted)
        if seen is None:
            return False
        current = self.spec.args.canonical({**wanted, **seen})
        return all(current[name] == wanted[name] for name in wanted if name not in self.spec.local_fields)

    def _link(self, args: ArgsBase) -> None:
        client = connect(args.tenant_uuid)
        try:
            client.put(self.spec.path(args), self.spec.body(args))
        except ConfdNotFound as error:
            error.summary = f"cannot make the {self.spec.kind}: one of its objects does not exist"
            raise
        except ConfdValidationError as error:
            error.summary = f"confd refused the {self.spec.kind}"
            raise

    def _state(self, props: Mapping[str, Any]) -> dict[str, Any]:
        # numbers come back from the state as floats (protobuf): 7.0 must not reach a URL
        return self.spec.args.canonical(_props(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = self._state(props)
        client = connect(props.get("tenant_uuid"))
        seen = self.spec.observe(client, props)
        if seen is None:
            log.info("%s %s is gone", self.spec.kind, id_)
            return ReadResult("", {})
        model = self.spec.args
        outs = model.canonical({**props, **seen})
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = self._args(news)
        self._link(args)
        return UpdateResult(args.normalized())

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = self._state(props)
        client = connect(props.get("tenant_uuid"))
        try:
            self.spec.remove(client, props)
        except ConfdNotFound:
            log.info("%s %s was already gone", self.spec.kind, id_)
