from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.orgs.models import InstitutionToken, OrgUnit, Region  # noqa: F401


class OrgUnitQuerySet(ScopedQuerySet["OrgUnit"]):
    scope_path = "path"
    view_action = "orgs.view"

    def active(self) -> OrgUnitQuerySet:
        return self.filter(status="active")

    def subtree_of(self, org: Any) -> OrgUnitQuerySet:
        return self.filter(path__startswith=org.path)


class RegionQuerySet(models.QuerySet["Region"]):
    def current(self) -> RegionQuerySet:
        return self.filter(is_current=True)


class InstitutionTokenQuerySet(ScopedQuerySet["InstitutionToken"]):
    """Tokens are managed by administrators of the token's organisation or above (``orgs.manage``)."""

    scope_path = "org_path"
    view_action = "orgs.manage"
