"""The one error type services raise; the API, views and CLI turn it into their own shape.

HackSoft's ``ApplicationError`` plus Saleor's per-app error-code enums: a stable ``code`` for
machines, a translated ``message`` for people, and ``details`` (field errors, row errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A request that cannot be carried out as asked; never a bug."""

    status = 400
    default_code = "invalid_request"
    default_message = _("The request could not be carried out.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        details: Sequence[dict[str, Any]] | None = None,
        status: int | None = None,
    ) -> None:
        self.code = str(code or self.default_code)
        self.message = str(message if message is not None else self.default_message)
        self.details = list(details or [])
        if status is not None:
            self.status = status
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(ApplicationError):
    """Input that breaks a rule; ``details`` lists each field with its own message."""

    status = 422
    default_code = "validation_error"
    default_message = _("Some fields are not valid.")

    @classmethod
    def for_field(cls, field: str, message: Any, *, code: str) -> ValidationFailed:
        return cls(message, code=code, details=[{"field": field, "code": code, "message": str(message)}])


class NotFound(ApplicationError):
    """Missing, or outside the actor's scope: the two must look the same (Zulip, NetBox)."""

    status = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Forbidden(ApplicationError):
    """In scope, but the actor's roles do not grant the action."""

    status = 403
    default_code = "forbidden"
    default_message = _("You do not have permission to do this.")


class Conflict(ApplicationError):
    """The request clashes with the current state (a duplicate, a finished job)."""

    status = 409
    default_code = "conflict"
    default_message = _("This conflicts with existing data.")


class TooManyRequests(ApplicationError):
    status = 429
    default_code = "rate_limited"
    default_message = _("Too many attempts. Please wait and try again.")
