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


def acting_org(actor: Any, action: str, org_path: str, kinds: frozenset[str] = workflow.ANY_ORG) -> Any:
    """The organisation ``actor`` acts for on a row of ``org_path``: the nearest one above it (or
    itself) where they hold ``action``, among the organisation ``kinds`` allowed; None if none."""
    from creditbank.orgs.models import OrgUnit

    paths = [path for path in permissions.scope_paths(actor, action) if org_path.startswith(path)]
    if not paths:
        return None
    orgs = OrgUnit.objects.filter(path__in=paths)
    if kinds != workflow.ANY_ORG:
        orgs = orgs.filter(kind__in=kinds)
    return orgs.order_by("-path").first()


def handling_org(kind: str, *, learner: Any, chosen: Any = None, subject: Any = None) -> Any:
    """The organisation that handles a new application, as its kind declares."""
    handler = workflow.spec(kind).handler
    if handler == workflow.HANDLER_CHOSEN_ORG:
        return chosen if chosen is not None else learner.org
    if handler == workflow.HANDLER_PROGRAMME_UNIVERSITY and subject is not None:
        return subject.org
    raise ApplicationError(_("No organisation handles this application."), code="no_handling_org", status=422)


@transaction.atomic
def submit_application(
    *, kind: str, learner: Any, actor: Any, org: Any = None, subject: Any = None, draft: bool = False
) -> Application:
    """File an application with the organisation its kind names (or ``org``); a draft waits
    for the learner's own submission and no member of staff sees it."""
    org = org if org is not None else handling_org(kind, learner=learner, subject=subject)
    status = ApplicationStatus.DRAFT if draft else ApplicationStatus.SUBMITTED
    application = Application.objects.create(
        kind=kind, learner=learner, org=org, org_path=org.path, status=status, submitted_at=timezone.now()
    )
    ReviewEvent.objects.create(
        application=application,
        actor=actor,
        org=org,
        kind=ReviewEventKind.DRAFTED if draft else ReviewEventKind.SUBMITTED,
        to_status=application.status,
    )
    if not draft:
        notifications.notify(application, ReviewEventKind.SUBMITTED)
    return application


def _refuse_role(required: str) -> Forbidden:
    return Forbidden(code="role_cannot_" + required.replace(".", "_"))


def _refuse_org_kind(event: str) -> Forbidden:
    if event == ReviewEventKind.CERTIFIED:
        return Forbidden(
            _("Only a certification centre can certify; an acceptance point accepts applications."),
            code="point_cannot_certify",
        )
    return Forbidden(
        _("This step is taken by a certification centre or sub-centre, not by an acceptance point."),
        code="org_cannot_take_step",
    )


def step_org(actor: Any, application: Application, event: str) -> Any:
    """Check that ``actor`` may take ``event`` on this application (role and kind of organisation)
    and answer the organisation they take it for."""
    found = workflow.step(application.kind, event)
    if found is None or found.action is None:
        raise workflow._invalid()
    if not permissions.can(actor, found.action, application.org_path):
        raise _refuse_role(found.action)
    org = acting_org(actor, found.action, application.org_path, found.org_kinds)
    if org is None:
        raise _refuse_org_kind(event)
    return org


def _skip_allowed(actor: Any, application: Application, path: tuple[str, ...], org: Any) -> bool:
    kind_spec = workflow.spec(application.kind)
    if org.kind not in kind_spec.skip_org_kinds:
        return False
    return all(
        (action := workflow.required_action(application.kind, earlier)) is not None
        and permissions.can(actor, action, application.org_path)
        for earlier in path
    )


def _record(application: Application, *, actor: Any, org: Any, event: str, note: str) -> None:
    """One step: the new status, its history line (actor, organisation, time, comment), its audit row."""
    previous = application.status
    target = workflow.next_status(application.kind, previous, event)
    application.status = target
    fields = ["status", "updated_at"]
    if target in workflow.FINAL_STATUSES or target == ApplicationStatus.RETURNED:
        application.decided_at = timezone.now()
        application.decision_note = note
        fields += ["decided_at", "decision_note"]
    application.save(update_fields=fields)
    ReviewEvent.objects.create(
        application=application, actor=actor, org=org, kind=event, from_status=previous, to_status=target, note=note
    )
    audit.record(
        actor=actor,
        action=f"reviews.{event}",
        obj=application,
        before={"status": previous},
        after={"status": target, "note": note, "org": getattr(org, "code", "")},
    )


def take_step(application: Application, *, actor: Any, event: str, note: str = "", item_code: str = "") -> Application:
    """A staff step, as the application's kind declares it. A refusal (a role or organisation that
    may not take it, a state that does not allow it) changes nothing and is written to the
    operation log after the step's transaction is rolled back."""
    try:
        return _take_step(application, actor=actor, event=event, note=note, item_code=item_code)
    except ApplicationError as exc:
        if exc.status in (403, 409):
            record_refusal(application, actor=actor, event=event, code=exc.code)
        raise


def record_refusal(application: Application, *, actor: Any, event: str, code: str) -> None:
    """Write a refused step to the operation log (the refusal changes nothing else)."""
    audit.record(
        actor=actor,
        action="reviews.refused",
        obj=application,
        after={"event": event, "code": code, "status": application.status},
    )


def role_refusal_code(kind: str | None, event: str) -> str:
    """The code of a refusal for want of the role ``event`` needs (in ``kind``, or in any kind)."""
    kinds = [kind] if kind else list(workflow.KINDS)
    actions = sorted({action for name in kinds if (action := workflow.required_action(name, event)) is not None})
    return _refuse_role(actions[0]).code if actions else "invalid_transition"


@transaction.atomic
def _take_step(application: Application, *, actor: Any, event: str, note: str, item_code: str) -> Application:
    """Role and organisation are checked before the row is locked; the state after
    (``select_for_update``), so of two reviewers acting at once exactly one moves it and the other
    gets ``invalid_transition`` (409). A centre may take the levels its kind lets it skip in the
    same step; each is recorded."""
    if event in workflow.LEARNER_EVENTS:
        raise Forbidden(code="not_your_application")
    org = step_org(actor, application, event)
    note = note.strip()
    if event in (ReviewEventKind.REJECTED, ReviewEventKind.RETURNED) and not note:
        raise ValidationFailed.for_field(
            "note", _("Please give the reason; the learner will see it."), code="reason_required"
        )
    application = Application.objects.select_for_update().get(pk=application.pk)
    path: tuple[str, ...] = ()
    if application.status not in workflow.step(application.kind, event).moves:  # type: ignore[union-attr]
        skipped = workflow.skip_path(application.kind, application.status, event)
        if skipped is None or not _skip_allowed(actor, application, skipped, org):
            raise workflow._invalid()
        path = skipped
    if item_code.strip() and application.kind == ApplicationKind.DEPOSIT and event == ReviewEventKind.CERTIFIED:
        from creditbank.archive import deposits

        deposits.assign_item(application, item_code, actor=actor)  # the reviewer names the catalog item
    for earlier in path:
        _record(application, actor=actor, org=org, event=earlier, note="")
    _record(application, actor=actor, org=org, event=event, note=note)
    if application.kind == ApplicationKind.ACCOUNT_OPENING and application.status == ApplicationStatus.APPROVED:
        from creditbank.accounts import services as account_services

        account_services.approve_opening(application.learner, actor=actor)
    if application.kind == ApplicationKind.DEPOSIT and application.status == ApplicationStatus.APPROVED:
        from creditbank.archive import deposits

        deposits.certify_deposit(application, actor=actor)
    if application.kind == ApplicationKind.CONVERSION and application.status == ApplicationStatus.APPROVED:
        from creditbank.conversion import applications as conversions

        conversions.record_conversion(application, actor=actor)
    notifications.notify(application, event)
    return application


def steps_for(actor: Any, application: Application) -> list[str]:
    """The staff steps ``actor`` may take on this application now (direct or skipping a level)."""
    allowed = []
    for event in dict.fromkeys(
        workflow.available_events(application.kind, application.status)
        + workflow.skippable_events(application.kind, application.status)
    ):
        if event in workflow.LEARNER_EVENTS:
            continue
        try:
            org = step_org(actor, application, event)
        except ApplicationError:
            continue
        found = workflow.step(application.kind, event)
        if found is not None and application.status in found.moves:
            allowed.append(event)
            continue
        path = workflow.skip_path(application.kind, application.status, event)
        if path is not None and _skip_allowed(actor, application, path, org):
            allowed.append(event)
    return allowed


def accept_application(application: Application, *, actor: Any, note: str = "") -> Application:
    """受理: the organisation takes the application on."""
    return take_step(application, actor=actor, event=ReviewEventKind.ACCEPTED, note=note)


def approve_first_review(application: Application, *, actor: Any, note: str = "") -> Application:
    """初审通过: for an opening application this activates the account."""
    return take_step(application, actor=actor, event=ReviewEventKind.APPROVED, note=note)


def certify_application(application: Application, *, actor: Any, note: str = "", item_code: str = "") -> Application:
    """认证: a deposit is certified and its outcome stored. For an "other" deposit the reviewer
    names the catalog item it is (``item_code``); a named item replaces the learner's choice."""
    return take_step(application, actor=actor, event=ReviewEventKind.CERTIFIED, note=note, item_code=item_code)


def first_review_deposit(application: Application, *, actor: Any, note: str = "") -> Application:
    """初审 of a deposit: the facts and the evidence hold; certification (认证) follows."""
    return take_step(application, actor=actor, event=ReviewEventKind.FIRST_REVIEWED, note=note)


def reject_application(application: Application, *, actor: Any, note: str) -> Application:
    """驳回, with the reason the learner will read."""
    return take_step(application, actor=actor, event=ReviewEventKind.REJECTED, note=note)


def return_application(application: Application, *, actor: Any, note: str) -> Application:
    """退回补正: the learner corrects and resubmits."""
    return take_step(application, actor=actor, event=ReviewEventKind.RETURNED, note=note)


@transaction.atomic
def _learner_step(application: Application, *, actor: Any, event: str, note: str) -> Application:
    """A step only the applicant takes: submitting a draft, resubmitting, withdrawing."""
    if actor is None or actor.pk != application.learner.user_id:
        raise Forbidden(code="not_your_application")
    application = Application.objects.select_for_update().get(pk=application.pk)
    previous = application.status
    target = workflow.next_status(application.kind, previous, event)
    application.status = target
    if target == ApplicationStatus.SUBMITTED:
        application.submitted_at = timezone.now()
        application.decided_at = None
    else:
        application.decided_at = timezone.now()
    application.save(update_fields=["status", "submitted_at", "decided_at", "updated_at"])
    ReviewEvent.objects.create(
        application=application,
        actor=actor,
        org=application.org,
        kind=event,
        from_status=previous,
        to_status=target,
        note=note.strip()[:500],
    )
    if previous != ApplicationStatus.DRAFT or event == ReviewEventKind.SUBMITTED:
        notifications.notify(application, event)  # nobody was told of a draft: nobody is told it went
    return application


def submit_draft(application: Application, *, actor: Any) -> Application:
    """The learner sends a draft: it joins the handling organisation's queue from now."""
    return _learner_step(application, actor=actor, event=ReviewEventKind.SUBMITTED, note="")


def resubmit_application(application: Application, *, actor: Any, note: str = "") -> Application:
    """The learner answers a return for supplement (补正) and sends the application again."""
    return _learner_step(application, actor=actor, event=ReviewEventKind.RESUBMITTED, note=note)


def withdraw_application(application: Application, *, actor: Any, note: str = "") -> Application:
    """The learner takes a deposit back before it is decided, or discards a draft (nothing is stored)."""
    return _learner_step(application, actor=actor, event=ReviewEventKind.WITHDRAWN, note=note)


def apply_batch(
    applications: list[Application], *, actor: Any, event: str, note: str = ""
) -> tuple[int, list[dict[str, Any]]]:
    """Batch action from the queue: each application in its own transaction; failures are listed."""
    moved = 0
    failures: list[dict[str, Any]] = []
    for application in applications:
        try:
            take_step(application, actor=actor, event=event, note=note)
            moved += 1
        except ApplicationError as exc:
            failures.append({"id": application.pk, "code": exc.code, "message": exc.message})
    return moved, failures
