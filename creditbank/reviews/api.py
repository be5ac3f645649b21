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
from creditbank.reviews import access, selectors, services, workflow
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
    org: str | None = Field(description="The code of the organisation the step was taken for.")
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.username if obj.actor_id else None

    @staticmethod
    def resolve_org(obj: Any) -> str | None:
        return obj.org.code if obj.org_id else None


class ApplicationDetailOut(ApplicationOut):
    events: list[ReviewEventOut]
    available_actions: list[str] = Field(description="The staff API actions the caller may take on it now.")

    @staticmethod
    def resolve_events(obj: Any) -> Any:
        return obj.events.select_related("actor", "org").order_by("created_at", "id")

    @staticmethod
    def resolve_available_actions(obj: Any, context: Any) -> list[str]:
        actor = current_user(context["request"])
        allowed = set(services.steps_for(actor, obj))
        names = {**workflow.spec(obj.kind).api_actions, **workflow.COMMON_API_ACTIONS}
        return [name for name, event in names.items() if event in allowed]


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
    # The service checks the role (and logs a refusal, as it does an attempt out of scope here).
    application = access.access_for_step(current_user(request), application_id)
    return services.accept_application(application, actor=current_user(request), note=payload.note if payload else "")


@router.post("/applications/{application_id}/first-review", response=ApplicationOut, summary="First review (初审)")
def first_review(request: HttpRequest, application_id: int, payload: FirstReviewIn) -> Any:
    """Approve, reject or return for supplement; for an opening application, approval activates the account."""
    application = access.access_for_step(current_user(request), application_id)
    return DECISIONS[payload.decision](application, actor=current_user(request), note=payload.note)


# --- the staff API of issue 5: /reviews/queue, /reviews/{id}, /reviews/{id}/{action} -----------


class QueueFilter(Schema):
    kind: Annotated[ApplicationKind | None, BlankToNone] = None
    state: str = Field("open", description="open (waiting for someone, the default), all, or one status.")
    item: str = Field("", max_length=32, description="Catalog item code of a deposit.")
    overdue: bool = Field(False, description="Only applications waiting longer than their kind's limit.")

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        return ApplicationFilter._known_status(value)


class QueueItemOut(ApplicationOut):
    days_waiting: int
    overdue: bool

    @staticmethod
    def resolve_days_waiting(obj: Any) -> int:
        return selectors.waiting_days(obj)[0]

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return selectors.waiting_days(obj)[1]


class StepIn(Schema):
    comment: str = Field("", max_length=2000, description="Required to reject or return; the learner reads it.")
    item_code: str = Field("", max_length=32, description='Approving an "other" deposit: the catalog item it is.')


Action = Literal["accept", "first-review", "approve", "reject", "return"]


def _step(application: Any, action: str, actor: Any, payload: StepIn) -> Any:
    """Each action is the kind's own step (``reviews.workflow``: approving a deposit certifies it;
    first review (初审) is the opening's decision); a step the state does not allow answers 409."""
    event = workflow.event_for_api_action(application.kind, action)
    if event == ReviewEventKind.CERTIFIED:
        return services.certify_application(application, actor=actor, note=payload.comment, item_code=payload.item_code)
    return services.take_step(application, actor=actor, event=event, note=payload.comment)


@router.get("/queue", response=list[QueueItemOut], summary="The review queue, oldest first")
@paginate(Pagination)
def review_queue(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    state = "" if filters.state == "all" else filters.state
    return selectors.list_review_queue(
        current_user(request),
        filters=selectors.QueueFilter(
            status=state, kind=filters.kind or "", item_code=filters.item, overdue=filters.overdue
        ),
    )


@router.get("/{application_id}", response=ApplicationDetailOut, summary="One application with its history")
def review_detail(request: HttpRequest, application_id: int) -> Any:
    return access.access_application(current_user(request), application_id)


@router.post(
    "/{application_id}/{action}",
    response=ApplicationOut,
    summary="Take a step: accept, first-review, approve, reject, return",
)
def review_step(request: HttpRequest, application_id: int, action: Action, payload: StepIn | None = None) -> Any:
    """Answers 409 ``invalid_transition`` when the application has moved on (another reviewer was
    first), 403 when the caller's role may not take the step, 404 outside the caller's scope."""
    actor = current_user(request)
    application = access.access_for_step(actor, application_id)
    return _step(application, action, actor, payload or StepIn(comment="", item_code=""))
