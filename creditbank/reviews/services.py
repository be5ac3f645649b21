"""Writes of the review workflow. Each step is one transaction with its event and audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.audit import services as audit
from creditbank.core.errors import ApplicationError, Forbidden, ValidationFailed
from creditbank.orgs import permissions
from creditbank.reviews import notifications, workflow
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus, ReviewEventKind
from creditbank.reviews.models import Application, ReviewEvent


@transaction.atomic
def submit_application(*, kind: str, learner: Any, org: Any, actor: Any) -> Application:
    application = Application.objects.create(
        kind=kind,
        learner=learner,
        org=org,
        org_path=org.path,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    ReviewEvent.objects.create(
        application=application, actor=actor, kind=ReviewEventKind.SUBMITTED, to_status=application.status
    )
    notifications.notify(application, ReviewEventKind.SUBMITTED)
    return application


@transaction.atomic
def _move(application: Application, *, actor: Any, event: str, note: str = "") -> Application:
    if event in workflow.LEARNER_EVENTS:
        raise Forbidden(code="not_your_application")
    required = workflow.REQUIRED_ACTION.get(event)
    if required is not None and not permissions.can(actor, required, application.org_path):
        raise Forbidden(code="role_cannot_" + required.replace(".", "_"))
    application = Application.objects.select_for_update().get(pk=application.pk)
    target = workflow.next_status(application.kind, application.status, event)
    if event in (ReviewEventKind.REJECTED, ReviewEventKind.RETURNED) and not note.strip():
        raise ValidationFailed.for_field(
            "note", _("Please give the reason; the learner will see it."), code="reason_required"
        )
    before = {"status": application.status}
    previous = application.status
    application.status = target
    fields = ["status", "updated_at"]
    if target in workflow.FINAL_STATUSES or target == ApplicationStatus.RETURNED:
        application.decided_at = timezone.now()
        application.decision_note = note.strip()
        fields += ["decided_at", "decision_note"]
    application.save(update_fields=fields)
    ReviewEvent.objects.create(
        application=application, actor=actor, kind=event, from_status=previous, to_status=target, note=note.strip()
    )
    audit.record(
        actor=actor,
        action=f"reviews.{event}",
        obj=application,
        before=before,
        after={"status": target, "note": note.strip()},
    )
    if application.kind == ApplicationKind.ACCOUNT_OPENING and target == ApplicationStatus.APPROVED:
        from creditbank.accounts import services as account_services

        account_services.approve_opening(application.learner, actor=actor)
    if application.kind == ApplicationKind.DEPOSIT and target == ApplicationStatus.APPROVED:
        from creditbank.archive import deposits

        deposits.certify_deposit(application, actor=actor)
    notifications.notify(application, event)
    return application


def accept_application(application: Application, *, actor: Any, note: str = "") -> Application:
    """受理: the organisation takes the application on."""
    return _move(application, actor=actor, event=ReviewEventKind.ACCEPTED, note=note)


def approve_first_review(application: Application, *, actor: Any, note: str = "") -> Application:
    """初审通过: for an opening application this activates the account."""
    return _move(application, actor=actor, event=ReviewEventKind.APPROVED, note=note)


@transaction.atomic
def certify_application(application: Application, *, actor: Any, note: str = "", item_code: str = "") -> Application:
    """认证: a deposit is certified and its outcome stored. For an "other" deposit the reviewer
    names the catalog item it is (``item_code``); a named item replaces the learner's choice."""
    if item_code.strip() and application.kind == ApplicationKind.DEPOSIT:
        from creditbank.archive import deposits

        required = workflow.REQUIRED_ACTION[ReviewEventKind.CERTIFIED]
        if not permissions.can(actor, required, application.org_path):
            raise Forbidden(code="role_cannot_" + required.replace(".", "_"))
        deposits.assign_item(application, item_code, actor=actor)
    return _move(application, actor=actor, event=ReviewEventKind.CERTIFIED, note=note)


def first_review_deposit(application: Application, *, actor: Any, note: str = "") -> Application:
    """初审 of a deposit: the facts and the evidence hold; certification (认证) follows."""
    return _move(application, actor=actor, event=ReviewEventKind.FIRST_REVIEWED, note=note)


def reject_application(application: Application, *, actor: Any, note: str) -> Application:
    """驳回, with the reason the learner will read."""
    return _move(application, actor=actor, event=ReviewEventKind.REJECTED, note=note)


def return_application(application: Application, *, actor: Any, note: str) -> Application:
    """退回补正: the learner corrects and resubmits."""
    return _move(application, actor=actor, event=ReviewEventKind.RETURNED, note=note)


@transaction.atomic
def resubmit_application(application: Application, *, actor: Any, note: str = "") -> Application:
    """The learner answers a return for supplement (补正) and sends the application again."""
    learner_user_id = application.learner.user_id
    if actor is None or actor.pk != learner_user_id:
        raise Forbidden(code="not_your_application")
    application = Application.objects.select_for_update().get(pk=application.pk)
    target = workflow.next_status(application.kind, application.status, ReviewEventKind.RESUBMITTED)
    previous = application.status
    application.status = target
    application.submitted_at = timezone.now()
    application.decided_at = None
    application.save(update_fields=["status", "submitted_at", "decided_at", "updated_at"])
    ReviewEvent.objects.create(
        application=application,
        actor=actor,
        kind=ReviewEventKind.RESUBMITTED,
        from_status=previous,
        to_status=target,
        note=note.strip(),
    )
    notifications.notify(application, ReviewEventKind.RESUBMITTED)
    return application


@transaction.atomic
def withdraw_application(application: Application, *, actor: Any, note: str = "") -> Application:
    """The learner takes a deposit back before it is decided (a final step: nothing is stored)."""
    if actor is None or actor.pk != application.learner.user_id:
        raise Forbidden(code="not_your_application")
    application = Application.objects.select_for_update().get(pk=application.pk)
    target = workflow.next_status(application.kind, application.status, ReviewEventKind.WITHDRAWN)
    previous = application.status
    application.status = target
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at", "updated_at"])
    ReviewEvent.objects.create(
        application=application,
        actor=actor,
        kind=ReviewEventKind.WITHDRAWN,
        from_status=previous,
        to_status=target,
        note=note.strip()[:500],
    )
    notifications.notify(application, ReviewEventKind.WITHDRAWN)
    return application


def apply_batch(
    applications: list[Application], *, actor: Any, event: str, note: str = ""
) -> tuple[int, list[dict[str, Any]]]:
    """Batch action from the queue: each application in its own transaction; failures are listed."""
    moved = 0
    failures: list[dict[str, Any]] = []
    for application in applications:
        try:
            _move(application, actor=actor, event=event, note=note)
            moved += 1
        except ApplicationError as exc:
            failures.append({"id": application.pk, "code": exc.code, "message": exc.message})
    return moved, failures
