"""Reads of the service network."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from creditbank.core.errors import NotFound
from creditbank.orgs.errors import OrgErrorCode
from creditbank.orgs.models import Membership, OrgUnit, Region, Role


def list_public_orgs(*, region: str = "", kind: str = "", category: str = "", query: str = "") -> QuerySet[OrgUnit]:
    """The public directory: active nodes, filterable so that a learner finds the nearest point.

    A city code (3401xx → 340100) also finds the points in its counties."""
    queryset = OrgUnit.objects.active().select_related("region", "parent")
    if region:
        if region.endswith("0000"):
            queryset = queryset.filter(region__code__startswith=region[:2])
        elif region.endswith("00"):
            queryset = queryset.filter(region__code__startswith=region[:4])
        else:
            queryset = queryset.filter(region__code=region)
    if kind:
        queryset = queryset.filter(kind=kind)
    if category:
        queryset = queryset.filter(category=category)
    if query:
        queryset = queryset.filter(Q(name__contains=query) | Q(address__contains=query) | Q(code__iexact=query))
    return queryset


def get_public_org(code: str) -> OrgUnit:
    """One node of the public directory; a closed or suspended one is not public."""
    org = list_public_orgs().filter(code=code).first()
    if org is None:
        raise NotFound(code=OrgErrorCode.ORG_NOT_FOUND)
    return org


def list_memberships(user: Any) -> QuerySet[Membership]:
    """A staff user's memberships with their orgs and roles (for ``GET /api/v1/me``)."""
    return (
        Membership.objects.filter(user_id=user.pk).select_related("org").prefetch_related("roles").order_by("org__path")
    )


def list_orgs(actor: Any, *, action: str = "orgs.view", kind: str = "", query: str = "") -> QuerySet[OrgUnit]:
    queryset = OrgUnit.objects.visible_to(actor, action).select_related("region", "parent")
    if kind:
        queryset = queryset.filter(kind=kind)
    if query:
        queryset = queryset.filter(Q(name__contains=query) | Q(code__iexact=query))
    return queryset


def list_accepting_orgs() -> QuerySet[OrgUnit]:
    """Where a learner can send an opening application: active centres, sub-centres and points."""
    return OrgUnit.objects.active().exclude(kind="management").select_related("region")


def list_regions(*, current_only: bool = True) -> QuerySet[Region]:
    queryset = Region.objects.all()
    return queryset.filter(is_current=True) if current_only else queryset


def list_roles() -> QuerySet[Role]:
    return Role.objects.all()


def management_centre() -> OrgUnit | None:
    return OrgUnit.objects.filter(kind="management").first()
