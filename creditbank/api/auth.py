"""Who is calling: a browser session (with CSRF on unsafe methods) or an app's bearer token.

Staff routers use ``staff_auth(action)``: before the endpoint runs, it answers 403
``staff_only`` to a learner and 403 ``role_cannot_<action>`` to staff whose roles grant the
router's action nowhere, so no lookup ever happens for them (STYLE.md §3.4, order of checks).
Inside the endpoint, ``access_*`` gates answer 404 out of scope, then 403 for a role without
the endpoint's own action.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from creditbank.accounts import services as account_services
from creditbank.accounts.models import User
from creditbank.core.errors import Forbidden
from creditbank.orgs import permissions

# Where the bearer secret of the current request is kept, for ``DELETE /auth/token``.
# The name contains TOKEN, so Django's error reports hide it.
TOKEN_META_KEY = "CREDITBANK_API_TOKEN"  # noqa: S105 - a META key name, not a secret
_MAX_TOKEN_LENGTH = 200


class StaffOnly(Forbidden):
    default_code = "staff_only"
    default_message = _("This endpoint is for staff of the service network.")


class CsrfFailed(Forbidden):
    default_code = "csrf_failed"
    default_message = _("The CSRF check failed: send the X-CSRFToken header with a session-authenticated request.")


class LearnerOnly(Forbidden):
    default_code = "learner_only"
    default_message = _("This endpoint is for learners: it answers about the caller's own account.")


def _checked(user: Any, *, staff_only: bool, action: str | None, learner_only: bool = False) -> Any:
    if staff_only and not getattr(user, "is_staff_member", False):
        raise StaffOnly()
    if learner_only and getattr(user, "learner", None) is None:
        raise LearnerOnly()
    if action is not None and not permissions.can(user, action):
        raise Forbidden(code="role_cannot_" + action.replace(".", "_"))
    return user


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for apps; tokens come from ``POST /auth/token``."""

    def __init__(self, *, staff_only: bool = False, action: str | None = None, learner_only: bool = False) -> None:
        self.staff_only = staff_only
        self.action = action
        self.learner_only = learner_only
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        user = account_services.user_for_token(token)
        if user is None:
            return None
        _checked(user, staff_only=self.staff_only, action=self.action, learner_only=self.learner_only)
        # Code below the API (services, audit) reads request.user, as it does for pages.
        request.user = user
        request.META[TOKEN_META_KEY] = token
        return user


class SessionAuth(APIKeyCookie):
    """The browser's Django session. Unlike ninja's ``django_auth``, CSRF is checked only once
    the session is known to be signed in, so that an anonymous caller gets 401, not 403."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self, *, staff_only: bool = False, action: str | None = None, learner_only: bool = False) -> None:
        self.staff_only = staff_only
        self.action = action
        self.learner_only = learner_only
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise CsrfFailed()
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return _checked(request.user, staff_only=self.staff_only, action=self.action, learner_only=self.learner_only)


class InstitutionAuth(HttpBearer):
    """``Authorization: Bearer cbi_…``: an organisation's own system (a university pushing course
    results), with a token issued in the console. ``request.auth`` is the organisation; the token
    is kept in ``request.institution_token`` for the audit log."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from creditbank.orgs.tokens import org_for_token

        token = token.strip()
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        found = org_for_token(token)
        if found is None:
            return None
        org, record = found
        request.institution_token = record  # type: ignore[attr-defined]
        return org


INSTITUTION_AUTH = [InstitutionAuth()]

# Bearer first: an app that sends a token is never asked for a CSRF token.
ANY_USER_AUTH = [BearerAuth(), SessionAuth()]
BEARER_AUTH = [BearerAuth()]
# Learners only (their own archive): staff get 403 learner_only.
LEARNER_AUTH = [BearerAuth(learner_only=True), SessionAuth(learner_only=True)]


def staff_auth(action: str) -> list[BearerAuth | SessionAuth]:
    """Staff only, and only those whose roles grant ``action`` somewhere."""
    return [BearerAuth(staff_only=True, action=action), SessionAuth(staff_only=True, action=action)]


def current_user(request: HttpRequest) -> User:
    """The authenticated caller (set by one of the auth classes above)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def current_token(request: HttpRequest) -> str:
    return str(request.META.get(TOKEN_META_KEY, ""))
