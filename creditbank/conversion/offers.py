"""What a learner's outcomes already convert into (可转换的专业), and what to know before applying.

Credit banks store far more than they convert; the learner's space therefore shows, unasked,
every open programme into which their stored outcomes convert now, with the credits and courses,
and warns before they apply: the cap is (nearly) used, an outcome is already used for the
programme, an outcome will soon be too old for its rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from creditbank.archive.models import Outcome
from creditbank.conversion import engine, report, selectors
from creditbank.conversion.models import ConversionRequest, Programme, RuleSource

# An outcome whose rule stops accepting it within this many days is "about to expire".
EXPIRY_WARNING_DAYS = 90
OPEN_STATUSES = ("submitted", "accepted", "first_reviewed")


@dataclass
class Offer:
    programme: Programme
    credits: Decimal
    courses: list[str]
    audit: engine.Audit
    warnings: list[str] = field(default_factory=list)
    pending: bool = False


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def warnings_for(audit: engine.Audit, *, today: dt.date | None = None) -> list[str]:
    """What the learner should know before applying, in their words."""
    today = today or timezone.localdate()
    notes: list[str] = []
    if audit.cap_reached or any(alt.reason == engine.Passed.OVER_CAP for alt in audit.alternatives):
        notes.append(
            _(
                "This programme recognises at most {cap} converted credits; your conversions reach that limit, "
                "so some outcomes will not count."
            ).format(cap=audit.cap_credits)
        )
    used = sorted(
        {
            finding.item_code
            for check in audit.checks
            if not check.applicable
            for finding in check.findings
            if finding.reason == engine.Reason.OUTCOME_USED
        }
    )
    if used:
        notes.append(
            _("Already used for an earlier conversion into this programme: {items}.").format(items="、".join(used))
        )
    by_id = {outcome.id: outcome for outcome in audit.outcomes}
    soon: list[str] = []
    for chosen in audit.selection.chosen:
        years = [y for y in (chosen.rule.within_years, audit.programme.max_outcome_age_years) if y is not None]
        if not years:
            continue
        for outcome_id in chosen.outcome_ids:
            outcome = by_id.get(outcome_id)
            if outcome is None or outcome.hypothetical:
                continue
            last_day = _years_later(outcome.achieved_on, min(years))
            if today <= last_day <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
                soon.append(
                    _("{item} counts only until {day}").format(item=outcome.item_code, day=last_day.isoformat())
                )
    if soon:
        notes.append(_("Apply soon: {details}.").format(details="；".join(soon)))
    return notes


def offers_for(learner: Any) -> list[Offer]:
    """Every open programme into which the learner's outcomes convert now (most credits first):
    only programmes with a published rule on an item the learner holds are audited."""
    codes = set(
        Outcome.objects.filter(learner=learner, status__in=selectors.COUNTING_STATUSES)
        .values_list("item_code", flat=True)
        .distinct()
    )
    if not codes:
        return []
    programme_ids = set(
        RuleSource.objects.filter(
            item_code__in=codes, rule__is_current=True, rule__status="published", rule__programme__status="active"
        ).values_list("rule__programme_id", flat=True)
    )
    pending = set(
        ConversionRequest.objects.filter(learner=learner, application__status__in=OPEN_STATUSES).values_list(
            "programme_id", flat=True
        )
    )
    offers = []
    for programme in Programme.objects.filter(pk__in=programme_ids).select_related("org").order_by("code"):
        audit = selectors.audit_learner(learner, programme)
        if not audit.selection.chosen:
            continue
        names = report.course_rows(audit)
        offers.append(
            Offer(
                programme=programme,
                credits=audit.selection.credits,
                courses=[
                    f"{names[code].name}（{code}）" if code in names else code
                    for chosen in audit.selection.chosen
                    for code in chosen.courses
                ],
                audit=audit,
                warnings=warnings_for(audit),
                pending=programme.pk in pending,
            )
        )
    offers.sort(key=lambda offer: (-offer.credits, offer.programme.code))
    return offers
