"""What wraps or stands beside ninja's operations: unknown URLs, wrong methods, null characters.

PostgreSQL text cannot hold NUL (0x00); a NUL that reached a query would be a 500, so every
request is checked at the door and answered with a 422 instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.request import RawPostDataException
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from creditbank.api.errors import error_response


def index(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``GET /api/v1/``: where the description and the docs are."""
    return JsonResponse(
        {
            "name": "creditbank API",
            "version": "1",
            "openapi": reverse("api:openapi-json"),
            "docs": reverse("api:openapi-view"),
        }
    )


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404, "not_found", _("There is no API endpoint at this address."))


def _null_in(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in ``value`` that contains NUL, else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = _null_in(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _null_in(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _null_field(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
    if "\x00" in request.path:
        found = _null_in({str(key): str(value) for key, value in kwargs.items()})
        return found or "path"
    found = _null_in(dict(request.GET.lists()))
    if found is not None:
        return found.split(".")[0]
    if request.content_type == "multipart/form-data":
        # The fields, never the files: a photo or a PDF holds NUL bytes, and reading the raw body
        # would also cap uploads at DATA_UPLOAD_MAX_MEMORY_SIZE.
        found = _null_in(dict(request.POST.lists()))
        return found.split(".")[0] if found is not None else None
    if request.body and b"\x00" in request.body:
        return ""  # a raw NUL byte: not JSON either
    if request.body and b"\\u0000" in request.body and request.content_type == "application/json":
        try:
            return _null_in(json.loads(request.body))
        except ValueError:
            return None  # ninja answers malformed JSON itself
    return None


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a ninja view: refuse null characters (422) and give a wrong method the API's error shape
    (ninja answers it with a plain-text 405)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            field = _null_field(request, kwargs)
        except RequestDataTooBig:
            message = _("The request is too large.")
            return error_response(413, "request_too_large", message, [])
        if field is not None:
            message = _("Null characters are not allowed.")
            return error_response(
                422, "validation_error", message, [{"field": field, "code": "null_character", "message": message}]
            )
        try:
            response = view(request, *args, **kwargs)
        except RawPostDataException:
            # A multipart form (its fields were read for the NUL check) where the body must be JSON.
            return error_response(415, "unsupported_media_type", _("Send this request's body as JSON."), [])
        if isinstance(response, HttpResponseNotAllowed):
            allowed = ", ".join(sorted(method.strip() for method in response["Allow"].split(",")))
            response = error_response(
                405,
                "method_not_allowed",
                _("This method is not allowed here. Allowed: {methods}.").format(methods=allowed),
            )
            response["Allow"] = allowed
        return response

    return wrapper
