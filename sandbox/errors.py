"""Typed errors raised by the sandbox rules; they carry confd's exact messages, not HTTP objects."""

from __future__ import annotations

from typing import Any

WERKZEUG_BAD_REQUEST = "The browser (or proxy) sent a request that this server could not understand."


def format_metadata(metadata: dict[str, Any]) -> str:
    """The Python dict repr without braces, in parentheses, as xivo-dao writes it."""
    if not metadata:
        return ""
    return f"({str(metadata).strip('{}')})"


def format_error(category: str, error: str, metadata: dict[str, Any] | None = None) -> str:
    return f"{category} - {error} {format_metadata(metadata or {})}".strip()


class SandboxError(Exception):
    """Base of every error the rules raise: an HTTP-like status and confd's list of messages."""

    status = 500

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


class NotFound(SandboxError):
    """The object named in the URL does not exist in the visible tenants."""

    status = 404


class InputError(SandboxError):
    """A body, query or referenced-object problem (400)."""

    status = 400


class ResourceError(SandboxError):
    """A state conflict: duplicates, associations, tenants (400)."""

    status = 400


class Unauthorized(SandboxError):
    """confd's 401: the body is the repr of the exception arguments."""

    status = 401

    def __init__(self, *args: str | None) -> None:
        text = str(args[0]) if len(args) == 1 else str(tuple(args))
        super().__init__(text)


class MethodNotAllowed(SandboxError):
    """405 with an empty body (tenants are read-only in confd)."""

    status = 405

    def __init__(self) -> None:
        super().__init__()


class BadBody(SandboxError):
    """A missing or unparsable JSON body: werkzeug's text."""

    status = 400

    def __init__(self) -> None:
        super().__init__(WERKZEUG_BAD_REQUEST)


class AuthError(Exception):
    """A wazo-auth error, rendered with wazo-auth's own envelope."""

    def __init__(self, status: int, *reasons: str) -> None:
        super().__init__(*reasons)
        self.status = status
        self.reasons = list(reasons)


# -- constructors mirroring xivo-dao's error catalogue ----------------------------------------


def not_found(resource: str, **metadata: Any) -> NotFound:
    return NotFound(format_error("Resource Not Found", f"{resource} was not found", metadata))


def param_not_found(field: str, resource: str, **metadata: Any) -> InputError:
    return InputError(format_error("Input Error", f"field '{field}': {resource} was not found", metadata))


def resource_exists(resource: str, **metadata: Any) -> ResourceError:
    return ResourceError(format_error("Resource Error", f"{resource} already exists", metadata))


def resource_associated(resource: str, other: str, **metadata: Any) -> ResourceError:
    return ResourceError(format_error("Resource Error", f"{resource} is associated with a {other}", metadata))


def different_tenants(**metadata: Any) -> ResourceError:
    return ResourceError(format_error("Resource Error", "different tenants", metadata))


def not_permitted(reason: str, **metadata: Any) -> ResourceError:
    return ResourceError(format_error("Resource Error", f"Operation not permitted. {reason}", metadata))


def unhandled_context_type(context_type: str, **metadata: Any) -> ResourceError:
    return ResourceError(
        format_error("Resource Error", f"ContextType '{context_type}' cannot be associated", metadata)
    )


def outside_context_range(exten: str, context: str) -> InputError:
    return InputError(
        format_error("Input Error", f"Extension '{exten}' is outside of range for context '{context}'")
    )


def invalid_choice(field: str, choices: list[str]) -> InputError:
    return InputError(format_error("Input Error", f"'{field}' must be one of ({', '.join(choices)})"))


def wrong_type(field: str, expected: str) -> InputError:
    return InputError(format_error("Input Error", f"field '{field}': wrong type. Should be a {expected}"))


def schema_error(errors: dict[str, Any]) -> InputError:
    """One `Input Error - <field>: <repr>` string per failing top-level field."""
    return InputError(*(f"Input Error - {field}: {messages!r}" for field, messages in errors.items()))


class CalldError(Exception):
    """A wazo-calld error, rendered in xivo's API envelope: message, error_id, details, timestamp."""

    def __init__(self, status: int, message: str, error_id: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_id = error_id
        self.details = details


def calld_invalid_token(token: str, required_access: str) -> CalldError:
    """wazo-auth does not know the token (or it expired, or none was sent)."""
    return CalldError(
        401,
        "Unauthorized",
        "unauthorized",
        {"invalid_token": token, "reason": "not_found_or_expired", "required_access": required_access},
    )


def calld_missing_permission(token: str, required_access: str, tenant_uuid: str | None) -> CalldError:
    """The token lacks the ACL, or the Wazo-Tenant header names a tenant outside its subtree."""
    return CalldError(
        401,
        "Unauthorized",
        "unauthorized",
        {
            "invalid_token": token,
            "reason": "missing_permission_or_invalid_tenant",
            "required_access": required_access,
            "tenant_uuid": tenant_uuid,
        },
    )
