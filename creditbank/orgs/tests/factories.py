"""Factories for the service network. Orgs are made through the service so paths are right."""

from __future__ import annotations

import itertools
from typing import Any

from creditbank.orgs import services
from creditbank.orgs.models import OrgUnit

_codes = itertools.count(1)


def make_org(
    parent: OrgUnit | None = None,
    *,
    kind: str | None = None,
    code: str | None = None,
    name: str | None = None,
    region: str = "340100",
    category: str = "local",
    **extra: Any,
) -> OrgUnit:
    if kind is None:
        kind = {None: "management", "management": "centre", "centre": "subcentre", "subcentre": "point"}[
            parent.kind if parent else None
        ]
    number = next(_codes)
    return services.create_org(
        actor=None,
        parent=parent,
        kind=kind,
        code=code or f"T{number:04d}",
        name=name or f"测试机构{number}",
        region=region,
        category=category,
        **extra,
    )


def make_staff(org: OrgUnit, *roles: str, username: str | None = None, password: str = "Staff@pass123") -> Any:
    username = username or f"staff{next(_codes)}"
    return services.create_staff_user(
        actor=None, org=org, username=username, password=password, roles=list(roles), display_name=username
    )
