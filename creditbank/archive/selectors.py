"""Reading the personal archive (个人终身学习档案): a learner's outcomes, totals and deposit
applications. The learner's own pages and API call these with the learner; staff pages reach the
learner through ``accounts.access.access_learner`` first (data scope) and then call the same."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Deposit, Evidence, Outcome
from creditbank.core.errors import NotFound


@dataclass(frozen=True)
class ArchiveFilter:
    type_code: str = ""
    year: int | None = None
    status: str = ""
    source: str = ""


def learner_outcomes(learner: Any, filters: ArchiveFilter | None = None) -> QuerySet[Outcome]:
    """The learner's outcomes, newest first, with what a listing shows; one query."""
    filters = filters or ArchiveFilter()
    queryset = Outcome.objects.for_learner(learner).select_related(
        "item", "item__outcome_type", "item__level", "item__issuer", "org"
    )
    if filters.type_code:
        queryset = queryset.filter(item__outcome_type__code=filters.type_code)
    if filters.year is not None:
        queryset = queryset.filter(
            achieved_on__gte=dt.date(filters.year, 1, 1), achieved_on__lte=dt.date(filters.year, 12, 31)
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    return queryset


def get_learner_outcome(learner: Any, pk: int) -> Outcome:
    outcome = learner_outcomes(learner).filter(pk=pk).first()
    if outcome is None:
        raise NotFound(code="outcome_not_found")
    return outcome


@dataclass
class ArchiveSummary:
    """Totals of the archive. Revoked outcomes are listed but count for nothing."""

    outcomes: int = 0
    credits: Decimal = Decimal("0.0")
    certified_credits: Decimal = Decimal("0.0")
    by_status: dict[str, int] = field(default_factory=dict)
    by_type: list[dict[str, Any]] = field(default_factory=list)
    by_level: list[dict[str, Any]] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def archive_summary(learner: Any) -> ArchiveSummary:
    """Counts and credits by status, type, framework level and year: four small grouped queries."""
    summary = ArchiveSummary()
    base = Outcome.objects.filter(learner=learner).order_by()
    for status, count, credits in base.values_list("status").annotate(Count("id"), Sum("credits")):
        summary.by_status[status] = count
        summary.outcomes += count
        if status != OutcomeStatus.REVOKED:
            summary.credits += credits or 0
        if status == OutcomeStatus.CERTIFIED:
            summary.certified_credits += credits or 0
    counted = base.exclude(status=OutcomeStatus.REVOKED)
    by_type: dict[tuple[str, str, int], list[Any]] = defaultdict(lambda: [0, Decimal("0")])
    for code, name, order, count, credits in counted.values_list(
        "item__outcome_type__code", "item__outcome_type__name", "item__outcome_type__sort_order"
    ).annotate(Count("id"), Sum("credits")):
        by_type[(code, name, order)][0] += count
        by_type[(code, name, order)][1] += credits or 0
    summary.by_type = [
        {"code": code, "name": name, "outcomes": count, "credits": credits}
        for (code, name, _order), (count, credits) in sorted(by_type.items(), key=lambda entry: entry[0][2])
    ]
    summary.by_level = [
        {"level": number, "name": name, "outcomes": count, "credits": credits or Decimal("0")}
        for number, name, count, credits in counted.values_list("item__level__number", "item__level__name")
        .annotate(Count("id"), Sum("credits"))
        .order_by("item__level__number")
    ]
    summary.years = sorted(
        set(base.annotate(year=ExtractYear("achieved_on")).values_list("year", flat=True).distinct()),
        reverse=True,
    )
    return summary


def learner_deposits(learner: Any) -> QuerySet[Deposit]:
    """The learner's deposit applications, newest first, with their review status."""
    return (
        Deposit.objects.filter(learner=learner)
        .select_related("application", "item", "item__outcome_type", "outcome")
        .annotate(evidence_count=Count("evidence"))
        .order_by("-created_at", "-id")
    )


def staff_deposits(learner: Any) -> QuerySet[Deposit]:
    """``learner_deposits`` as staff see them: a draft is the learner's alone (sent or discarded)."""
    return learner_deposits(learner).exclude(application__in=_unsent_applications())


def get_learner_deposit(learner: Any, pk: int) -> Deposit:
    deposit = learner_deposits(learner).filter(pk=pk).first()
    if deposit is None:
        raise NotFound(code="deposit_not_found")
    return deposit


def outcome_evidence(outcome: Outcome) -> QuerySet[Evidence]:
    """Files that prove an outcome: attached to it, or sent with the deposit that stored it."""
    return Evidence.objects.filter(Q(outcome=outcome) | Q(deposit__outcome=outcome)).order_by("created_at", "id")


def get_own_evidence(learner: Any, pk: int) -> Evidence:
    evidence = Evidence.objects.filter(pk=pk, learner=learner).first()
    if evidence is None:
        raise NotFound(code="evidence_not_found")
    return evidence


def _unsent_applications() -> Any:
    """Drafts, sent or discarded: no member of staff may know of them (``reviews.querysets``)."""
    from creditbank.reviews.models import Application

    return Application.objects.unsent()


def access_evidence(user: Any, pk: int) -> Evidence:
    """Staff: a file of a learner in scope, or sent to an org in scope (``archive.view``); else 404.
    A draft's files are the learner's alone until they send it."""
    evidence = (
        Evidence.objects.visible_to(user, "archive.view")
        .exclude(deposit__application__in=_unsent_applications())
        .filter(pk=pk)
        .first()
    )
    if evidence is None:
        raise NotFound(code="evidence_not_found")
    return evidence
