"""Data scope: the one queryset mechanism every list, detail, export and API endpoint uses.

A staff member sees a row when the row's org path starts with the path of one of their
memberships whose roles grant the action (NetBox's ``restrict(user, action)``). The management
centre's path is the prefix of every path, so its staff see everything.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, Self, TypeVar

from django.db import models
from django.db.models import Q

_M = TypeVar("_M", bound=models.Model)


class ScopedActor(Protocol):
    is_authenticated: bool

    def scope_paths(self, action: str) -> tuple[str, ...]: ...


def minimal_prefixes(paths: tuple[str, ...] | list[str]) -> list[str]:
    """Drop paths already covered by a shorter one, so the filter stays small."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(prefix) for prefix in kept):
            kept.append(path)
    return kept


def scope_q(field: str, paths: tuple[str, ...] | list[str]) -> Q:
    prefixes = minimal_prefixes(paths)
    query = Q()
    for prefix in prefixes:
        query |= Q(**{f"{field}__startswith": prefix})
    return query


class ScopedQuerySet(models.QuerySet[_M]):
    """Base for every queryset of rows owned by an org node.

    ``scope_path`` names the field that holds the owning org's materialized path;
    ``view_action`` is the action used when the caller does not name one. A model reached from
    more than one org (an outcome: the learner's home and the depositing org) overrides
    ``scope_condition``.
    """

    scope_path: ClassVar[str] = "org_path"
    view_action: ClassVar[str] = ""

    def visible_to(self, user: Any, action: str | None = None) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not hasattr(user, "scope_paths"):
            return self.none()
        paths = user.scope_paths(action or self.view_action)
        if not paths:
            return self.none()
        return self.filter(self.scope_condition(paths))

    def scope_condition(self, paths: tuple[str, ...]) -> Q:
        """The filter for rows inside the subtrees of ``paths`` (never empty)."""
        return scope_q(self.scope_path, paths)
