"""Limit/offset pagination with bounds, so that a huge page number is a 422, never a 500.

Responses are ``{"items": [...], "count": N}`` (ninja's ``LimitOffsetPagination`` shape).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Deep offsets are what exports are for; this bound keeps SQL OFFSET within every backend's integer range.
MAX_OFFSET = 10_000_000
# From this offset on, the rows skipped are read as primary keys only (a "deferred join"): the
# joins of ``select_related`` then run for the page's rows, not for every row skipped.
DEFERRED_JOIN_OFFSET = 500


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items to return (at most 200).")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        """Ninja's limit/offset, with two savings: a page that is not full tells the count
        without a ``COUNT(*)`` query, and deep pages skip rows by primary key alone."""
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, pagination, request, **params)
        offset = pagination.offset
        limit: int = min(pagination.limit, self.max_limit)
        if offset >= DEFERRED_JOIN_OFFSET:
            keys = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
            rows = queryset.model._default_manager.none() if not keys else queryset.order_by().filter(pk__in=keys)
            by_key = {row.pk: row for row in rows}
            items = [by_key[key] for key in keys if key in by_key]
        else:
            items = list(queryset[offset : offset + limit])
        count = offset + len(items) if len(items) < limit and (items or offset == 0) else self._items_count(queryset)
        return {self.items_attribute: items, "count": count}
