"""Pagination for console lists: 50 rows a page, a bad page number falls back to the nearest page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


def paginate(request: HttpRequest, queryset: QuerySet[Any], *, per_page: int = PER_PAGE) -> Page:  # type: ignore[type-arg]
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for page links that keep them."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
