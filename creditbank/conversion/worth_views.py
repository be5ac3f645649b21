"""The public page ``/worth/``: type an outcome, see what it converts into in every open programme.

A plain GET form (works without JavaScript; htmx swaps only the results when it is there), large
type, no login. Rate-limited together with the API route.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from creditbank.conversion import worth
from creditbank.conversion.worth_api import check_rate
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import error_text

EXAMPLES = ("电工中级证", "dian gong", "jsjyyjs")


@require_GET
def worth_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    context: dict[str, Any] = {
        "query": query[: worth.MAX_QUERY_LENGTH * 2],
        "max_length": worth.MAX_QUERY_LENGTH,
        "examples": EXAMPLES,
        "no_match_limit": worth.NO_MATCH_LIMIT,
    }
    if "q" in request.GET:
        try:
            worth.validate_query(query)
            check_rate(request)
            context["worth"] = worth.lookup(query)
        except ApplicationError as exc:
            context["error"] = error_text(exc)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "conversion/partials/_worth_results.html", context)
    return render(request, "conversion/worth.html", context)
