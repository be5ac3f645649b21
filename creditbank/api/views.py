"""JSON answers for what never reaches a ninja operation: unknown URLs and wrong methods."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
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


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain-text 405; give it the API's error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
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
