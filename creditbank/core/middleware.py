"""Requests carrying NUL characters are refused before any view runs.

PostgreSQL cannot store or compare a NUL in text, so such a value reaching a query is a 500;
no legitimate form, address or query string contains one."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any("\x00" in value for values in request.GET.lists() for value in values[1]):
        return True
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method == "POST" and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())
    return False


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API answers NUL itself, naming the field, in its own error shape (api/views.py).
        if not request.path.startswith("/api/") and _has_nul(request):
            return HttpResponseBadRequest(
                _("Null characters are not allowed."), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
