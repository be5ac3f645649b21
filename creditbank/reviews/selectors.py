"""Reads for the review queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from creditbank.reviews import workflow
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus
from creditbank.reviews.models import Application, ReviewEvent

OPEN_STATUSES = workflow.OPEN_STATUSES
DONE_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"
    kind: str = ""
    item_code: str = ""
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    region: str = ""  # a GB/T 2260 code of the applicant's region: a province, a city or a county
    overdue: bool = False


def limit_days(kind: str) -> int:
    limits = settings.CREDITBANK_REVIEW_LIMIT_DAYS
    return int(limits.get(kind, limits["default"]))


def _overdue_q(now: dt.datetime) -> Q:
    """Open applications that waited longer than their kind's limit."""
    condition = Q()
    for kind in ApplicationKind.values:
        condition |= Q(kind=kind, submitted_at__lt=now - dt.timedelta(days=limit_days(kind)))
    return Q(status__in=OPEN_STATUSES) & condition


def list_review_queue(
    actor: Any, *, status: str = "open", kind: str = "", filters: QueueFilter | None = None
) -> QuerySet[Application]:
    """Oldest first, as reviewers expect; ``status="open"`` means waiting for someone."""
    filters = filters or QueueFilter(status=status, kind=kind)
    queryset = Application.objects.visible_to(actor).select_related("learner", "org", "learner__region")
    status = filters.status
    queryset = queryset.open() if status == "open" else (queryset.filter(status=status) if status else queryset)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.item_code:
        queryset = queryset.filter(deposit__item__code=filters.item_code.strip().upper())
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_to:
        queryset = queryset.filter(submitted_at__date__lte=filters.submitted_to)
    if filters.region:
        code = filters.region.strip()
        prefix = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
        queryset = queryset.filter(learner__region__code__startswith=prefix)
    if filters.overdue:
        queryset = queryset.filter(_overdue_q(timezone.now()))
    return queryset.oldest_first()


def waiting_days(application: Application, now: dt.datetime | None = None) -> tuple[int, bool]:
    """How many days an application has waited, and whether that is over its kind's limit."""
    now = now or timezone.now()
    days = (now - application.submitted_at).days
    return days, application.status in OPEN_STATUSES and days > limit_days(application.kind)


def queue_tile(actor: Any) -> dict[str, int]:
    """The dashboard tile: waiting, overdue, and decided this week, in the actor's scope."""
    now = timezone.now()
    week_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week_start -= dt.timedelta(days=week_start.weekday())
    visible = Application.objects.visible_to(actor).order_by()
    counts = visible.aggregate(
        waiting=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=_overdue_q(now)),
        done_this_week=Count("id", filter=Q(decided_at__gte=week_start, status__in=DONE_STATUSES)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def queue_tiles_by_org(actor: Any, *, limit: int = 10) -> list[dict[str, Any]]:
    """The tile per handling organisation (one query): where work waits, the most overdue first."""
    now = timezone.now()
    week_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week_start -= dt.timedelta(days=week_start.weekday())
    rows = (
        Application.objects.visible_to(actor)
        .order_by()
        .values("org_id", "org__code", "org__name")
        .annotate(
            waiting=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=_overdue_q(now)),
            done_this_week=Count("id", filter=Q(decided_at__gte=week_start, status__in=DONE_STATUSES)),
        )
        .filter(Q(waiting__gt=0) | Q(done_this_week__gt=0))
        .order_by("-overdue", "-waiting", "org__code")[:limit]
    )
    return [
        {
            "code": row["org__code"],
            "name": row["org__name"],
            "waiting": row["waiting"],
            "overdue": row["overdue"],
            "done_this_week": row["done_this_week"],
        }
        for row in rows
    ]


def count_open_by_status(actor: Any) -> dict[str, int]:
    rows = Application.objects.visible_to(actor).open().values("status").annotate(count=Count("id"))
    return {row["status"]: row["count"] for row in rows}


def list_learner_applications(learner: Any) -> QuerySet[Application]:
    events = ReviewEvent.objects.select_related("org").order_by("created_at", "id")
    return (
        Application.objects.filter(learner=learner)
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("-submitted_at")
    )


def list_learner_applications_for_staff(learner: Any) -> QuerySet[Application]:
    """The learner's applications that staff may know of: never a draft, sent or discarded."""
    return list_learner_applications(learner).exclude(pk__in=Application.objects.unsent())


def learner_history(application: Application) -> list[dict[str, Any]]:
    """The steps of an application as the learner sees them: what happened, when, by which
    organisation, and the note — but not which staff member took the step."""
    return [
        {
            "kind": event.kind,
            "label": event.get_kind_display(),
            "at": event.created_at,
            "org": event.org.name if event.org is not None else "",
            "note": event.note,
        }
        for event in (
            application.events.all()  # prefetched in order, with their organisations (list_learner_applications)
            if "events" in getattr(application, "_prefetched_objects_cache", {})
            else application.events.select_related("org").order_by("created_at", "id")
        )
    ]
