from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.reviews.models import Application  # noqa: F401


class ApplicationQuerySet(ScopedQuerySet["Application"]):
    scope_path = "org_path"
    view_action = "reviews.view"

    def visible_to(self, user: Any, action: str | None = None) -> ApplicationQuerySet:
        """A learner's draft is theirs alone until they submit it."""
        return super().visible_to(user, action).exclude(status="draft")

    def open(self) -> ApplicationQuerySet:
        return self.filter(status__in=("submitted", "accepted", "first_reviewed"))

    def oldest_first(self) -> ApplicationQuerySet:
        return self.order_by("submitted_at", "id")
