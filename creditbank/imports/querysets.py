from __future__ import annotations

from typing import TYPE_CHECKING

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.imports.models import ImportJob  # noqa: F401


class ImportJobQuerySet(ScopedQuerySet["ImportJob"]):
    """Jobs are owned by their target org: whoever may import there sees them."""

    scope_path = "org_path"
    view_action = "accounts.import"

    def newest_first(self) -> ImportJobQuerySet:
        return self.order_by("-created_at", "-pk")
