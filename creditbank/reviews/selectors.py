"""Reads for the review queue."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from creditbank.reviews.models import Application


def list_review_queue(actor: Any, *, status: str = "open", kind: str = "") -> QuerySet[Application]:
    """Oldest first, as reviewers expect; ``status="open"`` means waiting for someone."""
    queryset = Application.objects.visible_to(actor).select_related("learner", "org")
    queryset = queryset.open() if status == "open" else (queryset.filter(status=status) if status else queryset)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.oldest_first()


def count_open_by_status(actor: Any) -> dict[str, int]:
    rows = Application.objects.visible_to(actor).open().values("status").annotate(count=Count("id"))
    return {row["status"]: row["count"] for row in rows}


def list_learner_applications(learner: Any) -> QuerySet[Application]:
    return Application.objects.filter(learner=learner).prefetch_related("events").order_by("-submitted_at")


def learner_history(application: Application) -> list[dict[str, Any]]:
    """The steps of an application as the learner sees them: what happened, when, and the
    note — but not which staff member took the step."""
    return [
        {"kind": event.kind, "label": event.get_kind_display(), "at": event.created_at, "note": event.note}
        for event in application.events.order_by("created_at", "id")
    ]
