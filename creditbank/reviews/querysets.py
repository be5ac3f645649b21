from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.reviews.models import Application  # noqa: F401


def unsent_q() -> Q:
    """Applications no member of staff may know of: drafts, and drafts the learner discarded
    (withdrew) without ever sending them."""
    from creditbank.reviews.models import ReviewEvent

    discarded = ReviewEvent.objects.filter(application=OuterRef("pk"), kind="withdrawn", from_status="draft")
    return Q(status="draft") | Q(Q(status="withdrawn"), Exists(discarded))


class ApplicationQuerySet(ScopedQuerySet["Application"]):
    scope_path = "org_path"
    view_action = "reviews.view"

    def visible_to(self, user: Any, action: str | None = None) -> ApplicationQuerySet:
        """A learner's draft is theirs alone until they submit it, and stays so if they discard it."""
        return super().visible_to(user, action).exclude(unsent_q())

    def unsent(self) -> ApplicationQuerySet:
        return self.filter(unsent_q())

    def open(self) -> ApplicationQuerySet:
        return self.filter(status__in=("submitted", "accepted", "first_reviewed"))

    def oldest_first(self) -> ApplicationQuerySet:
        return self.order_by("submitted_at", "id")
