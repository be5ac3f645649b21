"""Conversion applications (转换申请) through the review workflow, and the conversion records
(转换记录) an approval writes.

The learner applies to a programme; the application (kind ``conversion``) goes to the
programme's university centre, which accepts, first-reviews and approves it
(``reviews.workflow.CONVERSION``). Approval runs the audit again — outcomes may have been
revoked, rules retired or the cap used since — and writes one record per recognised course,
each with its ledger leaf, in the approval's transaction; the outcomes used are then taken for
this programme (``selectors.conversion_history``).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from creditbank.accounts.choices import LearnerStatus
from creditbank.archive import sections as archive_sections
from creditbank.audit import services as audit
from creditbank.conversion import report, selectors
from creditbank.conversion.models import ConversionRecord, ConversionRequest, Course, Programme
from creditbank.core.errors import ApplicationError, Conflict
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger
from creditbank.ledger.digests import RecordType
from creditbank.ledger.digests import register as register_record_type
from creditbank.reviews import services as review_services
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus

CONVERSION_RECORDED = "conversion.recorded"
# What a conversion record is: the course, the credits, the rule version and the outcomes used.
RECORD_FIELDS = (
    "application_id", "course_code", "credits", "learner_id", "mode", "outcome_ids", "programme_id", "rule_id",
    "rule_number", "rule_version",
)  # fmt: skip
register_record_type(
    RecordType(name="conversion", model="conversion.ConversionRecord", fields=RECORD_FIELDS, learner="learner_id")
)
ledger_events.register(CONVERSION_RECORDED, record_type="conversion", label=_("Credits converted"))

OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.FIRST_REVIEWED)


class ConversionErrorCode:
    NOT_ACTIVE = "conversion_account_not_active"
    NOTHING = "conversion_nothing_to_convert"
    PENDING = "conversion_already_pending"
    CHANGED = "conversion_nothing_left"


def apply(learner: Any, programme_code: str, *, actor: Any) -> ConversionRequest:
    """File a conversion application for what the learner's outcomes convert into now. Refused
    when nothing converts, or while another application to the same programme is open."""
    programme = selectors.get_open_programme(programme_code)
    if learner.status != LearnerStatus.ACTIVE:
        raise ApplicationError(
            _("Only an active account can apply for conversion; activate your account first."),
            code=ConversionErrorCode.NOT_ACTIVE,
            status=409,
        )
    result = selectors.audit_learner(learner, programme)
    if not result.selection.chosen:
        raise ApplicationError(
            _("None of your outcomes converts into this programme yet; see the degree audit for what is missing."),
            code=ConversionErrorCode.NOTHING,
            status=422,
        )
    with transaction.atomic():
        # One open application per learner and programme: a double click files one.
        type(learner).objects.select_for_update().filter(pk=learner.pk).first()
        if ConversionRequest.objects.filter(
            learner=learner, programme=programme, application__status__in=OPEN
        ).exists():
            raise Conflict(
                _("You already have an application for this programme under review."),
                code=ConversionErrorCode.PENDING,
            )
        application = review_services.submit_application(
            kind=ApplicationKind.CONVERSION, learner=learner, actor=actor, subject=programme
        )
        snapshot = report.audit_report(result)
        request = ConversionRequest.objects.create(
            application=application,
            learner=learner,
            programme=programme,
            credits_applied=result.selection.credits,
            snapshot={
                "recognised_credits": str(result.selection.credits),
                "chosen_rules": _jsonable(snapshot["chosen_rules"]),
                "courses_recognised": _jsonable(snapshot["courses_recognised"]),
            },
        )
        audit.record(
            actor=actor,
            action="conversion.apply",
            obj=request,
            org_path=programme.org_path,
            after={"programme": programme.code, "credits": str(result.selection.credits)},
        )
    return request


def _jsonable(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record_conversion(application: Any, *, actor: Any) -> list[ConversionRecord]:
    """Write the conversion records of an approved application (inside the review step's
    transaction, so a refusal here leaves the application as it was)."""
    request = ConversionRequest.objects.select_related("programme", "learner").get(application=application)
    programme: Programme = request.programme
    result = selectors.audit_learner(request.learner, programme)
    if not result.selection.chosen:
        raise Conflict(
            _("Nothing converts any more (outcomes revoked or already used, rules changed); reject the application."),
            code=ConversionErrorCode.CHANGED,
        )
    courses = {course.code: course for course in Course.objects.filter(programme=programme)}
    records = [
        ConversionRecord(
            learner_id=request.learner_id,
            programme=programme,
            course=courses[code],
            course_code=code,
            credits=courses[code].credits,
            mode=chosen.rule.mode,
            rule_id=chosen.rule.id,
            rule_number=chosen.rule.number,
            rule_version=chosen.rule.version,
            outcome_ids=",".join(str(outcome_id) for outcome_id in sorted(chosen.outcome_ids)),
            application=application,
            org=programme.org,
        )
        for chosen in result.selection.chosen
        for code in chosen.courses
    ]
    try:
        with transaction.atomic():  # a savepoint: the same course recognised this instant by another approval
            made = ConversionRecord.objects.bulk_create(records)
    except IntegrityError:
        raise Conflict(
            _("A course of this application was recognised meanwhile; look at the audit again."),
            code=ConversionErrorCode.CHANGED,
        ) from None
    made = list(ConversionRecord.objects.filter(application=application).order_by("id"))
    for record in made:
        ledger.append(CONVERSION_RECORDED, record=record, learner=request.learner_id)
    audit.record(
        actor=actor,
        action="conversion.record",
        obj=request,
        org_path=programme.org_path,
        after={
            "programme": programme.code,
            "courses": [record.course_code for record in made],
            "credits": str(sum((record.credits for record in made), start=result.selection.credits * 0)),
            "rules": sorted({f"{record.rule_number} v{record.rule_version}" for record in made}),
        },
    )
    return made


def learner_records(learner: Any) -> Any:
    """The learner's conversion records, shown in their archive (one query)."""
    return (
        ConversionRecord.objects.filter(learner=learner)
        .select_related("programme", "course", "org")
        .order_by("programme__code", "course_code")
    )


archive_sections.register(
    archive_sections.ArchiveSection(
        name="conversions",
        template="conversion/partials/_archive_conversions.html",
        rows=lambda learner: list(learner_records(learner)),
        order=10,
        transcript_template="conversion/partials/_transcript_conversions.html",
    )
)


def used_outcome_notes(learner: Any, outcome_ids: list[int]) -> dict[int, list[str]]:
    """ "Used for conversion into <programme>" for each outcome a conversion record used (one query)."""
    wanted = set(outcome_ids)
    notes: dict[int, list[str]] = {}
    rows = (
        ConversionRecord.objects.filter(learner=learner)
        .order_by("programme__code")
        .values_list("outcome_ids", "programme__name")
        .distinct()
    )
    for ids, programme_name in rows:
        text = str(_("Used for conversion into {programme}").format(programme=programme_name))
        for part in ids.split(","):
            if part and int(part) in wanted and text not in notes.setdefault(int(part), []):
                notes[int(part)].append(text)
    return notes


archive_sections.register_outcome_notes("conversion", used_outcome_notes)
