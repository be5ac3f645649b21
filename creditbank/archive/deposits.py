"""Self-deposit (自主存入): a learner asks to store one outcome, with evidence.

The request becomes a review application of kind ``deposit`` handled by the learner's service
organisation; certifying it (the review workflow) stores the outcome. The facts are checked by
the same value rules as a bulk deposit (``imports.values``) and the files by the one upload
check (``core.uploads``). Refused input changes nothing, files included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.models import Deposit, Evidence, Outcome, natural_key
from creditbank.audit import services as audit
from creditbank.catalog.services import item_for_new_outcome
from creditbank.core import ratelimit, uploads
from creditbank.core.errors import ApplicationError, Conflict, ValidationFailed
from creditbank.imports import values
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger
from creditbank.reviews import services as review_services
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus

EVIDENCE_TYPES = {**uploads.PDF, **uploads.IMAGES}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 10
OTHER = "other"


class DepositErrorCode:
    ACCOUNT_NOT_ACTIVE = "deposit_account_not_active"
    ALREADY_STORED = "deposit_already_stored"
    ALREADY_REQUESTED = "deposit_already_requested"
    EVIDENCE_REQUIRED = "deposit_evidence_required"
    TOO_MANY_FILES = "deposit_too_many_files"
    REQUIRED = "deposit_required"
    TOO_LONG = "deposit_too_long"


@dataclass(frozen=True)
class DepositData:
    """What the learner filled in. ``item_code`` is a catalog code or ``"other"``."""

    item_code: str
    achieved_on: str
    score: str = ""
    certificate_no: str = ""
    hours: str = ""
    other_name: str = ""
    other_issuer: str = ""
    note: str = ""


def _field_error(field: str, code: str, message: Any) -> dict[str, str]:
    return {"field": field, "code": str(code), "message": str(message)}


def _clean(data: DepositData) -> tuple[Any, dict[str, Any], list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    code = values.normalize_code(data.item_code or "")
    item = None
    if not code:
        errors.append(
            _field_error("item_code", DepositErrorCode.REQUIRED, _('Choose the outcome from the catalog, or "other".'))
        )
    elif code != OTHER.upper():
        try:
            item = item_for_new_outcome(code)
        except ApplicationError as exc:
            message = exc.message if exc.status != 404 else _("This outcome is not in the catalog.")
            errors.append(_field_error("item_code", exc.code, message))
    cleaned: dict[str, Any] = {
        "other_name": " ".join((data.other_name or "").split()),
        "other_issuer": " ".join((data.other_issuer or "").split()),
        "note": (data.note or "").strip(),
    }
    if code == OTHER.upper() and not cleaned["other_name"]:
        errors.append(_field_error("other_name", DepositErrorCode.REQUIRED, _("Say what the outcome is.")))
    for name, limit in (("other_name", 200), ("other_issuer", 128), ("note", 2000)):
        if len(cleaned[name]) > limit:
            errors.append(
                _field_error(name, DepositErrorCode.TOO_LONG, _("At most {limit} characters.").format(limit=limit))
            )
    parsers = (
        ("achieved_on", lambda text: values.parse_date(text, today=timezone.localdate())),
        ("score", values.parse_score),
        ("hours", values.parse_hours),
    )
    for name, parse in parsers:
        text = str(getattr(data, name) or "")
        if name == "achieved_on" and not text.strip():
            errors.append(_field_error(name, DepositErrorCode.REQUIRED, _("The date is required.")))
            continue
        try:
            cleaned[name] = parse(text)
        except values.CellError as exc:
            errors.append(_field_error(name, exc.code, exc.message))
    certificate_no = values.normalize_certificate_no(data.certificate_no or "")
    if len(certificate_no) > 64:
        errors.append(
            _field_error(
                "certificate_no", DepositErrorCode.TOO_LONG, _("A certificate number has at most 64 characters.")
            )
        )
    cleaned["certificate_no"] = certificate_no
    return item, cleaned, errors


def _check_not_stored(learner: Any, item: Any, cleaned: dict[str, Any]) -> None:
    """The natural key of a bulk deposit applies here too: an outcome already stored, or already
    asked for and still under review, is refused (a second try would only be a duplicate)."""
    if item is None:
        return
    key = natural_key(item.code, certificate_no=cleaned["certificate_no"], achieved_on=cleaned["achieved_on"])
    if Outcome.objects.filter(learner=learner, natural_key=key).exists():
        raise Conflict(
            _("This outcome is already in your archive."),
            code=DepositErrorCode.ALREADY_STORED,
        )
    pending = Deposit.objects.filter(
        learner=learner,
        item__code=item.code,
        application__status__in=(
            ApplicationStatus.DRAFT,
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.FIRST_REVIEWED,
            ApplicationStatus.RETURNED,
        ),
    )
    pending = (
        pending.filter(certificate_no=cleaned["certificate_no"])
        if cleaned["certificate_no"]
        else pending.filter(certificate_no="", achieved_on=cleaned["achieved_on"])
    )
    if pending.exists():
        raise Conflict(
            _("You have already asked to store this outcome (or saved it as a draft); see your applications."),
            code=DepositErrorCode.ALREADY_REQUESTED,
        )


def check_evidence(files: Sequence[Any]) -> list[uploads.CheckedUpload]:
    """At least one file, at most ten, each a PDF, JPG or PNG by content and at most 10 MB."""
    if not files:
        raise ValidationFailed.for_field(
            "evidence",
            _("Add at least one file that proves the outcome (a photo or scan of the certificate)."),
            code=DepositErrorCode.EVIDENCE_REQUIRED,
        )
    if len(files) > EVIDENCE_MAX_FILES:
        raise ValidationFailed.for_field(
            "evidence",
            _("At most {count} files.").format(count=EVIDENCE_MAX_FILES),
            code=DepositErrorCode.TOO_MANY_FILES,
        )
    return [
        uploads.check_upload(upload, allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES, field="evidence")
        for upload in files
    ]


def _digest(upload: Any) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _save_evidence(
    deposit: Deposit, files: Sequence[Any], checked: Sequence[uploads.CheckedUpload], saved: list[str]
) -> None:
    """Write checked files; ``saved`` collects their names, so a failure can delete them again
    (files are not part of the transaction)."""
    for upload, check in zip(files, checked, strict=True):
        evidence = Evidence(
            learner_id=deposit.learner_id,
            deposit=deposit,
            filename=check.filename,
            content_type=check.content_type,
            size=check.size,
            sha256=_digest(upload),
        )
        evidence.file.save(check.filename, upload, save=False)
        saved.append(evidence.file.name)
        evidence.save()


def _delete_files(names: list[str]) -> None:
    storage = Evidence._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def submit_deposit(
    learner: Any, data: DepositData, files: Sequence[Any], *, actor: Any, draft: bool = False
) -> Deposit:
    """Check everything first (facts, duplicates, every file), then store the application, the
    deposit and the evidence in one transaction. A ``draft`` is checked the same way but may wait
    for its files; it reaches the queue when the learner submits it (``submit_deposit_draft``)."""
    if learner.status != LearnerStatus.ACTIVE:
        raise ApplicationError(
            _("Only an active account can store outcomes; activate your account first."),
            code=DepositErrorCode.ACCOUNT_NOT_ACTIVE,
            status=409,
        )
    item, cleaned, errors = _clean(data)
    try:
        checked = check_evidence(files) if files or not draft else []
    except ValidationFailed as exc:
        errors.extend(exc.details)
        checked = []
    if errors:
        raise ValidationFailed(details=errors)
    # Self-deposits carry files up to 100 MB: a learner files at most this many a day.
    ratelimit.hit(f"deposit:{learner.pk}", limit=settings.CREDITBANK_DEPOSITS_PER_DAY, window=24 * 3600)
    saved: list[str] = []
    try:
        with transaction.atomic():
            # One deposit of a learner at a time: a double click cannot file the same outcome twice.
            Learner.objects.select_for_update().filter(pk=learner.pk).first()
            _check_not_stored(learner, item, cleaned)
            application = review_services.submit_application(
                kind=ApplicationKind.DEPOSIT, learner=learner, actor=actor, draft=draft
            )
            deposit = Deposit.objects.create(application=application, learner=learner, item=item, **cleaned)
            _save_evidence(deposit, files, checked, saved)
            audit.record(
                actor=actor,
                action="archive.deposit_submit",
                obj=deposit,
                org_path=learner.org_path,
                after={
                    "item": item.code if item is not None else OTHER,
                    "achieved_on": cleaned["achieved_on"].isoformat(),
                    "files": len(checked),
                    "draft": draft,
                },
            )
    except BaseException:
        _delete_files(saved)
        raise
    return deposit


def assign_item(application: Any, item_code: str, *, actor: Any) -> Deposit:
    """The reviewer says which catalog item a deposit is (an "other" one, or a better match)."""
    deposit = Deposit.objects.select_for_update().get(application=application)
    try:
        item = item_for_new_outcome(values.normalize_code(item_code))
    except ApplicationError as exc:
        message = exc.message if exc.status != 404 else _("This outcome is not in the catalog.")
        raise ValidationFailed.for_field("item_code", message, code=exc.code) from None
    before = {"item": deposit.item.code if deposit.item is not None else OTHER}
    deposit.item = item
    deposit.save(update_fields=["item", "updated_at"])
    audit.record(
        actor=actor,
        action="archive.deposit_item",
        obj=deposit,
        org_path=application.org_path,
        before=before,
        after={"item": item.code},
    )
    return deposit


def certifying_org(actor: Any, application: Any) -> Any:
    """The organisation that certifies: the nearest one above the application's where the actor
    may certify, of the kinds the deposit's certification step names (a centre; an acceptance
    point (受理点) accepts, but never certifies) — ``reviews.workflow.DEPOSIT``."""
    from creditbank.reviews.choices import ReviewEventKind
    from creditbank.reviews.services import step_org

    return step_org(actor, application, ReviewEventKind.CERTIFIED)


def _create_certified(deposit: Deposit, item: Any, key: str, org: Any, now: Any) -> Outcome:
    application = deposit.application
    return Outcome.objects.create(
        learner_id=deposit.learner_id,
        item=item,
        item_code=item.code,
        org=application.org,
        org_path=application.org_path,
        source=OutcomeSource.SELF,
        status=OutcomeStatus.CERTIFIED,
        score=deposit.score,
        achieved_on=deposit.achieved_on,
        certificate_no=deposit.certificate_no,
        hours=deposit.hours if deposit.hours is not None else item.learning_hours,
        credits=item.credits,
        natural_key=key,
        certified_at=now,
        certified_by_org=org,
        note=deposit.note,
    )


def certify_deposit(application: Any, *, actor: Any) -> Outcome:
    """Store the certified outcome of an approved deposit: the item's current version and credits,
    the certifying organisation, the evidence moved onto the outcome. Runs inside the review
    step's transaction (``reviews.services``), so a refusal here leaves the application as it was."""
    deposit = Deposit.objects.select_for_update(of=("self",)).select_related("item").get(application=application)
    if deposit.outcome_id is not None:
        raise Conflict(_("This deposit is already stored."), code=DepositErrorCode.ALREADY_STORED)
    if deposit.item is None:
        raise ValidationFailed.for_field(
            "item_code",
            _("Say which catalog item this outcome is before certifying it."),
            code=DepositErrorCode.REQUIRED,
        )
    item = item_for_new_outcome(deposit.item.code)  # the current published version, or a clear refusal
    key = natural_key(item.code, certificate_no=deposit.certificate_no, achieved_on=deposit.achieved_on)
    if Outcome.objects.filter(learner_id=deposit.learner_id, natural_key=key).exists():
        raise Conflict(
            _("The learner's archive already holds this outcome; reject the application as a duplicate."),
            code=DepositErrorCode.ALREADY_STORED,
        )
    now = timezone.now()
    org = certifying_org(actor, application)
    try:
        with transaction.atomic():  # a savepoint: a bulk deposit may store the same key this instant
            outcome = _create_certified(deposit, item, key, org, now)
    except IntegrityError:
        raise Conflict(
            _("The learner's archive already holds this outcome; reject the application as a duplicate."),
            code=DepositErrorCode.ALREADY_STORED,
        ) from None
    ledger.append(ledger_events.OUTCOME_CERTIFIED, record=outcome, learner=outcome.learner_id)
    deposit.outcome = outcome
    deposit.item = item
    deposit.save(update_fields=["outcome", "item", "updated_at"])
    Evidence.objects.filter(deposit=deposit).update(outcome=outcome)
    audit.record(
        actor=actor,
        action="archive.certify",
        obj=outcome,
        org_path=application.org_path,
        after={
            "item": item.code,
            "version": item.version,
            "credits": str(outcome.credits),
            "deposit": deposit.pk,
            "certified_by": org.code,
        },
    )
    return outcome


def resubmit_deposit(deposit: Deposit, *, note: str, files: Sequence[Any], actor: Any) -> Deposit:
    """补正: the learner answers a return with a note and, if asked, more evidence."""
    note = note.strip()
    if not note:
        raise ValidationFailed.for_field(
            "note", _("Please say what you have supplemented or corrected."), code=DepositErrorCode.REQUIRED
        )
    checked = check_evidence(files) if files else []
    saved: list[str] = []
    try:
        with transaction.atomic():
            review_services.resubmit_application(deposit.application, actor=actor, note=note[:500])
            _save_evidence(deposit, files, checked, saved)
    except BaseException:
        _delete_files(saved)
        raise
    return deposit


def submit_deposit_draft(deposit: Deposit, *, files: Sequence[Any], actor: Any) -> Deposit:
    """The learner sends a draft, adding the files it still lacked: it needs at least one."""
    checked = check_evidence(files) if files else []
    if len(checked) + deposit.evidence.count() > EVIDENCE_MAX_FILES:
        raise ValidationFailed.for_field(
            "evidence",
            _("At most {count} files.").format(count=EVIDENCE_MAX_FILES),
            code=DepositErrorCode.TOO_MANY_FILES,
        )
    if not checked and not deposit.evidence.exists():
        check_evidence([])  # the "add at least one file" error
    saved: list[str] = []
    try:
        with transaction.atomic():
            review_services.submit_draft(deposit.application, actor=actor)
            _save_evidence(deposit, files, checked, saved)
    except BaseException:
        _delete_files(saved)
        raise
    return deposit
