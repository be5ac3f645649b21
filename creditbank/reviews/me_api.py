"""The learner's side of the review workflow: ``GET /api/v1/me/applications``,
``POST /api/v1/me/applications/{id}/resubmit``, ``.../withdraw`` and ``.../submit`` (a draft).

A learner sees every application of theirs with its status, the reason when it was returned or
rejected, and its history — without the names of the staff who took each step.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from creditbank.api.auth import LEARNER_AUTH, current_user
from creditbank.api.pagination import Pagination
from creditbank.core.errors import NotFound
from creditbank.reviews import selectors, services
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus
from creditbank.reviews.models import Application

router = Router(tags=["My applications"], auth=LEARNER_AUTH)


class StepOut(Schema):
    kind: str
    label: str
    at: dt.datetime
    org: str = Field(description="The organisation that took the step (never the member of staff).")
    note: str


class MyApplicationOut(Schema):
    id: int
    kind: ApplicationKind
    status: ApplicationStatus
    org: str = Field(description="The organisation handling it.")
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str = Field(description="Why it was returned or rejected, when it was.")
    deposit_id: int | None
    history: list[StepOut]

    @staticmethod
    def resolve_org(obj: Application) -> str:
        return obj.org.name

    @staticmethod
    def resolve_reason(obj: Application) -> str:
        return obj.decision_note if obj.status in (ApplicationStatus.RETURNED, ApplicationStatus.REJECTED) else ""

    @staticmethod
    def resolve_deposit_id(obj: Application) -> int | None:
        deposit = getattr(obj, "deposit", None) if obj.kind == ApplicationKind.DEPOSIT else None
        return deposit.pk if deposit is not None else None

    @staticmethod
    def resolve_history(obj: Application) -> list[dict[str, Any]]:
        return selectors.learner_history(obj)


class NoteIn(Schema):
    note: str = Field("", max_length=500)


def _mine(request: HttpRequest, application_id: int) -> Application:
    learner = current_user(request).learner
    application = selectors.list_learner_applications(learner).select_related("org").filter(pk=application_id).first()
    if application is None:
        raise NotFound(code="application_not_found")
    return application


@router.get("/me/applications", response=list[MyApplicationOut], summary="My applications and their history")
@paginate(Pagination)
def list_my_applications(request: HttpRequest) -> Any:
    return selectors.list_learner_applications(current_user(request).learner).select_related("org", "deposit")


@router.post(
    "/me/applications/{application_id}/resubmit",
    response=MyApplicationOut,
    summary="Answer a return (补正) and send again",
)
def resubmit_my_application(
    request: HttpRequest,
    application_id: int,
    payload: Form[NoteIn],
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Multipart: ``note`` (what was supplemented), and for a deposit optionally more ``evidence`` files."""
    application = _mine(request, application_id)
    actor = current_user(request)
    if application.kind == ApplicationKind.DEPOSIT:
        from creditbank.archive import deposits

        deposits.resubmit_deposit(application.deposit, note=payload.note, files=evidence or [], actor=actor)
    else:
        services.resubmit_application(application, actor=actor, note=payload.note)
    return _mine(request, application_id)


@router.post(
    "/me/applications/{application_id}/submit", response=MyApplicationOut, summary="Submit a draft application"
)
def submit_my_application(
    request: HttpRequest,
    application_id: int,
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """A draft (saved with ``draft``) reaches the handling organisation's queue only now;
    multipart ``evidence`` files may be added (a deposit needs at least one in all)."""
    application = _mine(request, application_id)
    actor = current_user(request)
    if application.kind == ApplicationKind.DEPOSIT:
        from creditbank.archive import deposits

        deposits.submit_deposit_draft(application.deposit, files=evidence or [], actor=actor)
    else:
        services.submit_draft(application, actor=actor)
    return _mine(request, application_id)


@router.post(
    "/me/applications/{application_id}/withdraw",
    response=MyApplicationOut,
    summary="Withdraw an application, or discard a draft",
)
def withdraw_my_application(request: HttpRequest, application_id: int, payload: NoteIn | None = None) -> Any:
    application = _mine(request, application_id)
    services.withdraw_application(application, actor=current_user(request), note=payload.note if payload else "")
    return _mine(request, application_id)
