"""One error shape for the whole API: ``{"code", "message", "details"}`` with the right status.

Services raise ``ApplicationError`` subclasses; ninja raises its own errors for bad input,
failed authentication and unknown objects. Every one of them ends here, so that a client
never has to parse two shapes and bad input never becomes a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from creditbank.core.errors import ApplicationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# The sources ninja puts first in a validation error's ``loc``.
_LOC_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})

# Codes for ninja's own HttpErrors, by status (ninja gives only a status and an English text).
_HTTP_CODES = {
    400: "malformed_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
}


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"code": code, "message": message, "details": list(details)}


def error_response(status: int, code: str, message: str, details: Sequence[dict[str, Any]] = ()) -> HttpResponse:
    """A JSON error outside ninja's operations (unknown URLs, wrong methods)."""
    return JsonResponse(error_body(code, message, details), status=status, json_dumps_params={"ensure_ascii": False})


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "payload", "org")`` → ``"org"``; ``("query", "limit")`` → ``"limit"``.

    The source and the name of the body argument are ninja's plumbing, not the client's field.
    """
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in _LOC_SOURCES:
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)
    return ".".join(parts)


def _message(error: dict[str, Any]) -> str:
    # Our own validators raise ValueError with a translated text; pydantic would prefix "Value error, ".
    if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error.get("msg", ""))


def _validation_details(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "field": field_name(error.get("loc", ())),
            "code": str(error.get("type", "invalid")),
            "message": _message(error),
        }
        for error in errors
    ]


def _http_error_message(exc: HttpError) -> str:
    if exc.status_code == 400:
        return _("The request body is not valid JSON.")
    if exc.status_code == 401:
        return _("Authentication is required: sign in, or send an 'Authorization: Bearer <token>' header.")
    if exc.status_code == 404:
        return _("Not found.")
    if exc.status_code == 429:
        return _("Too many attempts. Please wait and try again.")
    return str(exc.message)


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (replacing ninja's ``{"detail": ...}`` defaults)."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="creditbank"'
        return response

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return respond(request, exc.status, exc.as_dict())

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        body = error_body("validation_error", _("Some fields are not valid."), _validation_details(exc.errors))
        return respond(request, 422, body)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, error_body("not_authenticated", _http_error_message(exc)))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, _http_error_message(exc)))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", _("Not found.")))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", _("You do not have permission to do this.")))

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            details = [
                {"field": field, "code": error.code or "invalid", "message": " ".join(error.messages)}
                for field, errors in exc.error_dict.items()
                for error in errors
            ]
        else:
            details = [
                {"field": "", "code": error.code or "invalid", "message": " ".join(error.messages)}
                for error in exc.error_list
            ]
        return respond(request, 422, error_body("validation_error", _("Some fields are not valid."), details))
