"""A small load-only schema engine reproducing the marshmallow messages confd answers with."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.errors import schema_error

MISSING: Any = object()

Validator = Callable[[Any], "str | None"]


class Invalid(Exception):
    """Validation messages of one field (a list) or of a schema (a dict keyed by field)."""

    def __init__(self, messages: list[Any] | dict[Any, Any]) -> None:
        super().__init__(messages)
        self.messages = messages


# -- validators: each returns a message or None --------------------------------------------


def length(min: int | None = None, max: int | None = None, equal: int | None = None) -> Validator:
    def check(value: Any) -> str | None:
        size = len(value)
        if equal is not None:
            return None if size == equal else f"Length must be {equal}."
        if min is not None and max is not None:
            if size < min or size > max:
                return f"Length must be between {min} and {max}."
            return None
        if min is not None and size < min:
            return f"Shorter than minimum length {min}."
        if max is not None and size > max:
            return f"Longer than maximum length {max}."
        return None

    return check


def value_range(min: float | None = None, max: float | None = None) -> Validator:
    def check(value: Any) -> str | None:
        if min is not None and max is not None:
            if value < min or value > max:
                return f"Must be greater than or equal to {min} and less than or equal to {max}."
            return None
        if min is not None and value < min:
            return f"Must be greater than or equal to {min}."
        if max is not None and value > max:
            return f"Must be less than or equal to {max}."
        return None

    return check


def one_of(choices: list[str]) -> Validator:
    def check(value: Any) -> str | None:
        return None if value in choices else f"Must be one of: {', '.join(choices)}."

    return check


def regexp(pattern: str) -> Validator:
    compiled = re.compile(pattern)

    def check(value: Any) -> str | None:
        return None if compiled.match(value) else "String does not match expected pattern."

    return check


def is_digit(value: Any) -> str | None:
    return None if value.isdigit() else "Invalid input."


# -- fields --------------------------------------------------------------------------------


class Field:
    """One body field: type conversion, null handling, then every validator."""

    invalid = "Invalid value."

    def __init__(
        self,
        *,
        required: bool = False,
        allow_none: bool = False,
        default: Any = MISSING,
        validate: tuple[Validator, ...] | list[Validator] = (),
    ) -> None:
        self.required = required
        self.allow_none = allow_none
        self.default = default
        self.validators = list(validate)

    def convert(self, value: Any) -> Any:
        return value

    def load(self, value: Any) -> Any:
        if value is None:
            if self.allow_none:
                return None
            raise Invalid(["Field may not be null."])
        converted = self.convert(value)
        messages = [msg for msg in (check(converted) for check in self.validators) if msg]
        if messages:
            raise Invalid(messages)
        return converted


class Str(Field):
    def convert(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid(["Not a valid string."])
        return value


class Email(Str):
    _regex = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    def convert(self, value: Any) -> Any:
        text = super().convert(value)
        if not self._regex.match(text):
            raise Invalid(["Not a valid email address."])
        return text


class Int(Field):
    def convert(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise Invalid(["Not a valid integer."])
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            raise Invalid(["Not a valid integer."]) from None


class Float(Field):
    def convert(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise Invalid(["Not a valid number."])
        try:
            result = float(value)
        except (TypeError, ValueError, OverflowError):
            raise Invalid(["Not a valid number."]) from None
        if result != result or result in (float("inf"), float("-inf")):
            raise Invalid(["Special numeric values (nan or infinity) are not permitted."])
        return result


_TRUTHY = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1", 1}
_FALSY = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0", 0}


def parse_bool(value: Any) -> bool | None:
    """marshmallow's Boolean: the usual truthy/falsy spellings, else None."""
    if isinstance(value, bool):
        return value
    try:
        if value in _TRUTHY:
            return True
        if value in _FALSY:
            return False
    except TypeError:
        return None
    return None


class Bool(Field):
    def convert(self, value: Any) -> Any:
        result = parse_bool(value)
        if result is None:
            raise Invalid(["Not a valid boolean."])
        return result


class StrictBool(Field):
    def convert(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Invalid(["Not a valid boolean."])
        return value


class UUIDField(Field):
    def convert(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return value
        if not isinstance(value, str):
            raise Invalid(["Not a valid UUID."])
        try:
            return uuid.UUID(value)
        except ValueError:
            raise Invalid(["Not a valid UUID."]) from None


class DictField(Field):
    def convert(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise Invalid(["Not a valid mapping type."])
        return dict(value)


class ListOf(Field):
    def __init__(self, inner: Field, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def convert(self, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise Invalid(["Not a valid list."])
        result: list[Any] = []
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            try:
                result.append(self.inner.load(item))
            except Invalid as error:
                errors[index] = error.messages
        if errors:
            raise Invalid(errors)
        return result


class Nested(Field):
    def __init__(self, schema: Schema, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema

    def convert(self, value: Any) -> Any:
        # confd only honours partial loading on the first level
        return self.schema.load(value, partial=False)


class Schema:
    """Ordered fields; unknown keys are dropped, as marshmallow's EXCLUDE does."""

    def __init__(
        self,
        fields: dict[str, Field],
        checks: tuple[Callable[[dict[str, Any]], str | tuple[str, str] | None], ...] = (),
    ) -> None:
        self.fields = fields
        self.checks = checks

    def load(self, data: Any, partial: bool = False) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise Invalid({"_schema": ["Invalid input type."]})
        result: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name not in data:
                if partial:
                    continue
                if field.required:
                    errors[name] = ["Missing data for required field."]
                elif field.default is not MISSING:
                    result[name] = copy.deepcopy(field.default)
                continue
            try:
                result[name] = field.load(data[name])
            except Invalid as error:
                errors[name] = error.messages
        if not errors:
            # a check names its field with a (field, message) pair; a bare message is schema-wide
            for outcome in (check(result) for check in self.checks):
                if isinstance(outcome, tuple):
                    errors.setdefault(outcome[0], []).append(outcome[1])
                elif outcome:
                    errors.setdefault("_schema", []).append(outcome)
        if errors:
            raise Invalid(errors)
        return result


def load_body(schema: Schema, body: Any, partial: bool = False) -> dict[str, Any]:
    """Load a request body as confd does: a falsy body is `{}`; errors become `Input Error`s.

    `body` may be a callable, read only now: confd looks the object up before parsing the body.
    """
    if callable(body):
        body = body()
    try:
        return schema.load(body or {}, partial=partial)
    except Invalid as error:
        messages = error.messages
        assert isinstance(messages, dict)
        raise schema_error(messages) from None
