from __future__ import annotations

from typing import TYPE_CHECKING

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.conversion.models import ConversionRule, Programme  # noqa: F401


class ProgrammeQuerySet(ScopedQuerySet["Programme"]):
    """Programmes a staff member may edit: those of university centres in their subtree
    (``conversion.manage``); the management centre's staff see all. The public reads published
    programmes through ``selectors``, without scope."""

    scope_path = "org_path"
    view_action = "conversion.manage"

    def active(self) -> ProgrammeQuerySet:
        return self.filter(status="active")


class ConversionRuleQuerySet(ScopedQuerySet["ConversionRule"]):
    scope_path = "programme__org_path"
    view_action = "conversion.manage"

    def current(self) -> ConversionRuleQuerySet:
        return self.filter(is_current=True)

    def published(self) -> ConversionRuleQuerySet:
        return self.filter(is_current=True, status="published")
