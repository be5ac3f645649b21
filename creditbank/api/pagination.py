"""Limit/offset pagination with bounds, so that a huge page number is a 422, never a 500.

Responses are ``{"items": [...], "count": N}`` (ninja's ``LimitOffsetPagination`` shape).
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Deep offsets are what exports are for; this bound keeps SQL OFFSET within every backend's integer range.
MAX_OFFSET = 10_000_000


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items to return (at most 200).")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
