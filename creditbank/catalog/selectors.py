"""Reading the catalog: the public search (code, name or pinyin initials) and one item by code."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.errors import CatalogErrorCode
from creditbank.catalog.grams import GramsMatch, grams
from creditbank.catalog.models import CatalogItem, Standard
from creditbank.core.errors import NotFound
from creditbank.core.querysets import scope_q
from creditbank.orgs import permissions

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
    return _filtered(published_items(), query=query, type_code=type_code, level=level, issuer=issuer).order_by("code")


def _filtered(
    queryset: QuerySet[CatalogItem], *, query: str, type_code: str, level: int | None, issuer: str
) -> QuerySet[CatalogItem]:
    query = query.strip()
    if query:
        queryset = queryset.filter(_search_condition(query))
    if type_code:
        queryset = queryset.filter(outcome_type__code=type_code)
    if level is not None:
        queryset = queryset.filter(level__number=level)
    if issuer:
        queryset = queryset.filter(issuer__code=issuer.strip().upper())
    return queryset


def _search_condition(query: str) -> Q:
    """Code prefix, or name fragment, or pinyin initials. On PostgreSQL the gram index narrows
    the name and initials matches to a few rows first (``catalog.grams``); ``LIKE`` is exact."""
    lowered = query.lower()
    initials = bool(_INITIALS.match(lowered))
    if connection.vendor != "postgresql":
        condition = Q(code__startswith=query.upper()) | Q(name__contains=query)
        return condition | Q(name_initials__contains=lowered) if initials else condition
    condition = Q(code__startswith=query.upper())
    name_grams = grams(query, "n")
    if name_grams:
        condition |= Q(GramsMatch(name_grams)) & Q(name__contains=query)
    else:  # only punctuation ("+"): nothing to index, a plain scan
        condition |= Q(name__contains=query)
    if initials:
        condition |= Q(GramsMatch(grams(lowered, "i"))) & Q(name_initials__contains=lowered)
    return condition


def get_published_item(code: str) -> CatalogItem:
    item = published_items().filter(code=code.strip().upper()).first()
    if item is None:
        raise NotFound(code=CatalogErrorCode.NOT_FOUND)
    return item


# --- the console ---------------------------------------------------------------------------


def visible_drafts_q(user: Any) -> Q:
    """Published and retired items are reference data anyone in the console may read; a draft
    only its proposing centre's subtree and the management centre."""
    from creditbank.catalog.services import may_publish

    public = ~Q(status=ItemStatus.DRAFT)
    if may_publish(user):
        return Q()
    paths = permissions.scope_paths(user, "catalog.propose")
    if not paths:
        return public
    return public | (Q(status=ItemStatus.DRAFT) & scope_q("proposed_path", paths))


def list_console_items(
    user: Any,
    *,
    query: str = "",
    type_code: str = "",
    level: int | None = None,
    issuer: str = "",
    status: str = "",
) -> QuerySet[CatalogItem]:
    """The current version of every item the user may see, any status, searchable like the public list."""
    queryset = CatalogItem.objects.filter(is_current=True).filter(visible_drafts_q(user))
    queryset = _filtered(queryset, query=query, type_code=type_code, level=level, issuer=issuer)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("outcome_type", "issuer", "level", "standard").order_by("code")


def access_item(user: Any, code: str) -> CatalogItem:
    """The current version of ``code`` if the user may see it; 404 otherwise (a draft of another
    centre looks missing)."""
    item = (
        CatalogItem.objects.filter(is_current=True, code=code.strip().upper())
        .filter(visible_drafts_q(user))
        .select_related("outcome_type", "issuer", "level", "standard", "discipline", "proposed_by")
        .first()
    )
    if item is None:
        raise NotFound(code=CatalogErrorCode.NOT_FOUND)
    return item


def item_versions(code: str) -> QuerySet[CatalogItem]:
    return CatalogItem.objects.filter(code=code).select_related("outcome_type", "issuer", "level").order_by("-version")


def list_standards(*, query: str = "", kind: str = "") -> QuerySet[Standard]:
    queryset = Standard.objects.annotate(item_count=Count("items", filter=Q(items__is_current=True)))
    query = query.strip()
    if query:
        queryset = queryset.filter(Q(number__icontains=query) | Q(title__contains=query))
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("number")


def get_standard(pk: int) -> Standard:
    standard = Standard.objects.filter(pk=pk).first()
    if standard is None:
        raise NotFound()
    return standard


def governed_items(standard: Standard) -> QuerySet[CatalogItem]:
    """The current versions of the items this standard governs."""
    return (
        CatalogItem.objects.filter(standard=standard, is_current=True)
        .select_related("outcome_type", "issuer")
        .order_by("code")
    )
