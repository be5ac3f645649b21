"""Reading the catalog: the public search (code, name or pinyin initials) and one item by code."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.errors import CatalogErrorCode
from creditbank.catalog.models import CatalogItem
from creditbank.core.errors import NotFound

_INITIALS = re.compile(r"^[0-9a-z]+$")


def published_items() -> QuerySet[CatalogItem]:
    """The current published version of every item, with what a listing shows."""
    return CatalogItem.objects.filter(is_current=True, status=ItemStatus.PUBLISHED).select_related(
        "outcome_type", "issuer", "level", "standard"
    )


def search_items(
    *, query: str = "", type_code: str = "", level: int | None = None, issuer: str = ""
) -> QuerySet[CatalogItem]:
    """``query`` matches the start of the code (codes are stored in capitals), part of the name, or part of the pinyin initials
    (``jsjyy`` finds 计算机应用技术)."""
    queryset = published_items()
    query = query.strip()
    if query:
        condition = Q(code__startswith=query.upper()) | Q(name__contains=query)
        lowered = query.lower()
        if _INITIALS.match(lowered):
            condition |= Q(name_initials__contains=lowered)
        queryset = queryset.filter(condition)
    if type_code:
        queryset = queryset.filter(outcome_type__code=type_code)
    if level is not None:
        queryset = queryset.filter(level__number=level)
    if issuer:
        queryset = queryset.filter(issuer__code=issuer.strip().upper())
    return queryset.order_by("code")


def get_published_item(code: str) -> CatalogItem:
    item = published_items().filter(code=code.strip().upper()).first()
    if item is None:
        raise NotFound(code=CatalogErrorCode.NOT_FOUND)
    return item
