from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.imports.models import ImportJob  # noqa: F401


class ImportJobQuerySet(ScopedQuerySet["ImportJob"]):
    """Jobs are owned by their target org: whoever may import there sees them."""

    scope_path = "org_path"
    view_action = "accounts.import"

    def runnable_by(self, user: Any) -> ImportJobQuerySet:
        """Jobs of each kind in the subtree where ``user`` may run that kind (learners:
        ``accounts.import``, outcomes: ``archive.import``)."""
        learners = self.visible_to(user, "accounts.import").filter(kind="learners")
        outcomes = self.visible_to(user, "archive.import").filter(kind="outcomes")
        return learners | outcomes

    def newest_first(self) -> ImportJobQuerySet:
        return self.order_by("-created_at", "-pk")
