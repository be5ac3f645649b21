"""The operation and login logs over HTTP, for staff whose roles grant ``audit.view``."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import AfterValidator

from creditbank.api.auth import current_user, staff_auth
from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone
from creditbank.audit import selectors

router = Router(tags=["Audit"], auth=staff_auth("audit.view"))


_EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A time without an offset is read in the platform's time zone (Asia/Shanghai). Years near
    1 or 9999 cannot be converted to UTC for the query, so they are refused here."""
    if value is None:
        return None
    if timezone.is_naive(value):
        if not _EARLIEST.replace(tzinfo=None) <= value <= _LATEST.replace(tzinfo=None):
            raise ValueError(_("Use a time between the years 1900 and 9000."))
        value = timezone.make_aware(value)
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(_("Use a time between the years 1900 and 9000."))
    return value


Moment = Annotated[dt.datetime | None, BlankToNone, AfterValidator(_aware)]


class AuditEntryOut(Schema):
    id: int
    created_at: dt.datetime
    actor: str = Field(description="Username of the actor, or 'system'.")
    org: str | None = Field(description="Code of the organisation the actor acted for.")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_name)

    @staticmethod
    def resolve_org(obj: Any) -> str | None:
        return obj.org.code if obj.org_id else None


class LoginEntryOut(Schema):
    id: int
    created_at: dt.datetime
    identifier: str = Field(description="The login name as typed; ID and phone numbers are masked.")
    username: str | None
    method: str
    is_success: bool
    reason: str
    ip: str | None
    user_agent: str

    @staticmethod
    def resolve_username(obj: Any) -> str | None:
        return obj.user.username if obj.user_id else None


class AuditEntryFilter(Schema):
    action: str = Field("", max_length=64, description="An action (accounts.open) or an app (accounts).")
    actor: str = Field("", max_length=150, description="Username of the actor.")
    since: Moment = Field(None, description="From this time on (inclusive).")
    until: Moment = Field(None, description="Before this time (exclusive).")


class LoginEntryFilter(Schema):
    actor: str = Field(
        "", max_length=150, description="The login name as typed (username, account, ID or phone number)."
    )
    method: str = Field("", max_length=32)
    success: Annotated[bool | None, BlankToNone] = None
    since: Moment = Field(None, description="From this time on (inclusive).")
    until: Moment = Field(None, description="Before this time (exclusive).")


@router.get("/entries", response=list[AuditEntryOut], summary="The operation log")
@paginate(Pagination)
def list_entries(request: HttpRequest, filters: Query[AuditEntryFilter]) -> Any:
    """Staff writes and every view of unmasked personal data in the caller's scope, newest first."""
    actor = current_user(request)
    return selectors.list_audit_entries(
        actor, action=filters.action.strip(), actor_name=filters.actor.strip(), since=filters.since, until=filters.until
    )


@router.get("/logins", response=list[LoginEntryOut], summary="The login log")
@paginate(Pagination)
def list_logins(request: HttpRequest, filters: Query[LoginEntryFilter]) -> Any:
    """Sign-in attempts (successful or not) of people in the caller's scope, newest first."""
    actor = current_user(request)
    return selectors.list_login_entries(
        actor,
        identifier=filters.actor,
        method=filters.method.strip(),
        is_success=filters.success,
        since=filters.since,
        until=filters.until,
    )
