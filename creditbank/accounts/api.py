"""Identity and learners over HTTP: bearer tokens, ``/me``, and staff work on learner accounts.

Two routers: ``identity_router`` (tokens and ``/me``, for anyone signed in) and ``router``
(``/learners``, staff only). Endpoints fetch through ``access_*``/selectors, call a service,
and return a schema; ID and phone numbers leave only masked, except through ``/unmask``.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Discriminator, Tag

from creditbank.accounts import access, selectors, services
from creditbank.accounts.choices import IdType, LearnerStatus, OpeningChannel
from creditbank.accounts.errors import AccountErrorCode
from creditbank.api.auth import ANY_USER_AUTH, BEARER_AUTH, current_token, current_user, staff_auth
from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone, ErrorOut, OrgRefOut, RegionOut
from creditbank.core import context, ratelimit
from creditbank.core.errors import NotFound
from creditbank.orgs import access as org_access
from creditbank.orgs import selectors as org_selectors

# Per client IP, on top of the per-account lockout that ``login_with_password`` applies.
TOKEN_RATE_LIMIT = 20
TOKEN_RATE_WINDOW = 60

identity_router = Router(tags=["Identity"], auth=ANY_USER_AUTH)
router = Router(tags=["Learners"], auth=staff_auth("accounts.view"))


# --- schemas ---------------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(
        min_length=1, max_length=150, description="Staff username, or a learner's account number, ID number or phone."
    )
    password: str = Field(min_length=1, max_length=256)
    name: str = Field("", max_length=64, description="A label for the token, e.g. the app's name.")


class TokenOut(Schema):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")
    expires_at: dt.datetime
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name, not a secret


class OrgKindRefOut(Schema):
    code: str
    name: str
    kind: str


class MembershipOut(Schema):
    org: OrgKindRefOut
    roles: list[str]
    actions: list[str]

    @staticmethod
    def resolve_roles(obj: Any) -> list[str]:
        return sorted(role.code for role in obj.roles.all())

    @staticmethod
    def resolve_actions(obj: Any) -> list[str]:
        return sorted({action for role in obj.roles.all() for action in role.actions})


class StaffMeOut(Schema):
    kind: Literal["staff"] = "staff"
    username: str
    display_name: str
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj: Any) -> Any:
        return org_selectors.list_memberships(obj)


class LearnerMeOut(Schema):
    """The learner's own account: their name in full, numbers masked as everywhere else."""

    kind: Literal["learner"] = "learner"
    account_no: str
    name: str
    status: LearnerStatus
    org: OrgRefOut
    region: RegionOut | None
    id_type: IdType
    id_number_masked: str
    phone_masked: str
    birth_date: dt.date | None
    gender: str
    activated_at: dt.datetime | None


def _me_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", ""))
    return "learner" if hasattr(value, "account_no") else "staff"


# The view returns a Learner or a User; the discriminator tells them apart without a ``kind`` on Learner.
MeOut = Annotated[
    Annotated[LearnerMeOut, Tag("learner")] | Annotated[StaffMeOut, Tag("staff")], Discriminator(_me_kind)
]


class LearnerOut(Schema):
    """A learner as staff see them: ID and phone numbers masked."""

    account_no: str
    name: str
    id_type: IdType
    id_number_masked: str
    phone_masked: str
    status: LearnerStatus
    org: OrgRefOut
    region: RegionOut | None
    opened_via: OpeningChannel
    activated_at: dt.datetime | None
    created_at: dt.datetime


class LearnerFilter(Schema):
    q: str = Field("", max_length=64, description="Account number, ID number, phone or name, whichever was typed.")
    id_number: str = Field("", max_length=32)
    phone: str = Field("", max_length=32)
    name: str = Field("", max_length=64, description="Matches names that start with it.")
    account_no: str = Field("", max_length=32)
    status: Annotated[LearnerStatus | None, BlankToNone] = None


class LearnerIn(Schema):
    org: str = Field(max_length=32, description="Code of the organisation opening the account.")
    name: str = Field(max_length=64)
    id_type: str = Field("", max_length=32, description="Defaults to the resident ID card.")
    id_number: str = Field(max_length=32)
    phone: str = Field(max_length=32)
    region: str = Field("", max_length=6, description="GB/T 2260 code of where the learner lives.")


class LearnerPiiOut(Schema):
    account_no: str
    id_number: str
    phone: str


class LearnerStatusIn(Schema):
    status: LearnerStatus


# --- identity --------------------------------------------------------------------------------


@identity_router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    summary="Issue a bearer token",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Any:
    """Exchange a password for a bearer token. Failures count towards the account's lockout."""
    ratelimit.hit(
        "api-token:" + (context.client_ip(request) or "unknown"), limit=TOKEN_RATE_LIMIT, window=TOKEN_RATE_WINDOW
    )
    user = services.login_with_password(
        request, identifier=payload.username, password=payload.password, method="api_token"
    )
    token, secret = services.issue_api_token(user, name=payload.name)
    return TokenOut(token=secret, expires_at=token.expires_at)


@identity_router.delete(
    "/auth/token", auth=BEARER_AUTH, response={204: None}, summary="Revoke the current bearer token"
)
def revoke_token(request: HttpRequest) -> Any:
    services.revoke_api_token(current_token(request), actor=current_user(request))
    return Status(204, None)


@identity_router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest) -> Any:
    """A learner's own account, or a staff member's memberships with their roles and actions."""
    user = current_user(request)
    if not user.is_learner:
        return user
    learner = getattr(user, "learner", None)
    if learner is None:
        raise NotFound(code=AccountErrorCode.LEARNER_NOT_FOUND)
    return learner


# --- learners (staff) ------------------------------------------------------------------------


@router.get("", response=list[LearnerOut], summary="Find learners")
@paginate(Pagination)
def list_learners(request: HttpRequest, filters: Query[LearnerFilter]) -> Any:
    """Learners in the caller's scope for ``accounts.view``, newest first."""
    actor = current_user(request)
    return selectors.list_learners(
        actor, **filters.model_dump(exclude={"q", "status"}), query=filters.q, status=filters.status or ""
    )


@router.post("", response={201: LearnerOut}, summary="Open an account at the counter")
def open_account(request: HttpRequest, payload: LearnerIn) -> Any:
    org = org_access.access_org(current_user(request), payload.org.strip().upper(), action="accounts.open")
    learner = services.open_account(actor=current_user(request), org=org, **payload.model_dump(exclude={"org"}))
    return Status(201, learner)


@router.get("/{account_no}", response=LearnerOut, summary="One learner")
def get_learner(request: HttpRequest, account_no: str) -> Any:
    return access.access_learner(current_user(request), account_no)


@router.post("/{account_no}/unmask", response=LearnerPiiOut, summary="Show the unmasked ID and phone numbers")
def unmask_learner(request: HttpRequest, account_no: str) -> Any:
    """Logged in the operation log as ``accounts.unmask_pii``."""
    learner = access.access_learner(current_user(request), account_no, action="accounts.unmask")
    values = services.reveal_learner_pii(learner, actor=current_user(request))
    return LearnerPiiOut(account_no=learner.account_no, **values)


@router.post("/{account_no}/status", response=LearnerOut, summary="Freeze, unfreeze or close an account")
def set_learner_status(request: HttpRequest, account_no: str, payload: LearnerStatusIn) -> Any:
    learner = access.access_learner(current_user(request), account_no, action="accounts.manage")
    return services.set_learner_status(learner, actor=current_user(request), status=payload.status)
