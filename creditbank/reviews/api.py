"""The review queue over HTTP: list, detail, accept (受理) and first review (初审), for staff."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator

from creditbank.api.auth import current_user, staff_auth
from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone, OrgRefOut
from creditbank.reviews import access, selectors, services
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus, ReviewEventKind

router = Router(tags=["Reviews"], auth=staff_auth("reviews.view"))

# ``status`` filter values besides the statuses themselves: waiting for someone, or everything.
QUEUE_FILTERS = ("open", "all")


class ApplicantOut(Schema):
    account_no: str
    name: str
    id_number_masked: str
    phone_masked: str


class ApplicationOut(Schema):
    id: int
    kind: ApplicationKind
    status: ApplicationStatus
    learner: ApplicantOut
    org: OrgRefOut
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str


class ReviewEventOut(Schema):
    kind: ReviewEventKind
    from_status: str
    to_status: str
    note: str
    actor: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.username if obj.actor_id else None


class ApplicationDetailOut(ApplicationOut):
    events: list[ReviewEventOut]

    @staticmethod
    def resolve_events(obj: Any) -> Any:
        return obj.events.select_related("actor").order_by("created_at", "id")


class ApplicationFilter(Schema):
    status: str = Field("open", description="open (waiting for someone, the default), all, or one status.")
    kind: Annotated[ApplicationKind | None, BlankToNone] = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        value = value.strip()
        if value and value not in QUEUE_FILTERS and value not in ApplicationStatus.values:
            allowed = ", ".join((*QUEUE_FILTERS, *ApplicationStatus.values))
            raise ValueError(_("Use one of: {values}.").format(values=allowed))
        return value


class AcceptIn(Schema):
    note: str = Field("", max_length=2000)


class FirstReviewIn(Schema):
    decision: Literal["approve", "reject", "return"]
    note: str = Field("", max_length=2000, description="Required to reject or return; the learner reads it.")


DECISIONS: dict[str, Callable[..., Any]] = {
    "approve": services.approve_first_review,
    "reject": services.reject_application,
    "return": services.return_application,
}


@router.get("/applications", response=list[ApplicationOut], summary="The review queue")
@paginate(Pagination)
def list_applications(request: HttpRequest, filters: Query[ApplicationFilter]) -> Any:
    """Applications in the caller's scope for ``reviews.view``, oldest first."""
    actor = current_user(request)
    status = "" if filters.status == "all" else filters.status
    return selectors.list_review_queue(actor, status=status, kind=filters.kind or "")


@router.get("/applications/{application_id}", response=ApplicationDetailOut, summary="One application with its history")
def get_application(request: HttpRequest, application_id: int) -> Any:
    return access.access_application(current_user(request), application_id)


@router.post("/applications/{application_id}/accept", response=ApplicationOut, summary="Accept an application (受理)")
def accept_application(request: HttpRequest, application_id: int, payload: AcceptIn | None = None) -> Any:
    application = access.access_application(current_user(request), application_id, action="reviews.accept")
    return services.accept_application(application, actor=current_user(request), note=payload.note if payload else "")


@router.post("/applications/{application_id}/first-review", response=ApplicationOut, summary="First review (初审)")
def first_review(request: HttpRequest, application_id: int, payload: FirstReviewIn) -> Any:
    """Approve, reject or return for supplement; for an opening application, approval activates the account."""
    application = access.access_application(current_user(request), application_id)
    return DECISIONS[payload.decision](application, actor=current_user(request), note=payload.note)
