"""Catalog items for tests, made through the service so versions, initials and audit are right."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from creditbank.catalog import services
from creditbank.catalog.models import CatalogItem

_codes = itertools.count(1)


def item_data(**extra: Any) -> services.ItemData:
    fields: dict[str, Any] = {
        "code": f"T{next(_codes):05d}",
        "name": "计算机应用基础",
        "type": "degree_course",
        "issuer_code": "AHU",
        "issuer_name": "安徽大学",
        "level": 5,
        "credits": Decimal("3"),
        "hours": 48,
    }
    fields.update(extra)
    return services.ItemData(**fields)


def make_item(*, publish: bool = True, **extra: Any) -> CatalogItem:
    return services.create_item(item_data(**extra), actor=None, publish=publish)
