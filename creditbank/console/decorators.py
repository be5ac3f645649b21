"""The gate every console page passes: signed-in staff with at least one membership.

Anonymous visitors go to the login page; learners and staff without a membership get 403.
``NotFound`` and ``Forbidden`` raised by ``access_*`` gates and services become 404 and 403,
so views can call them without wrapping each call (out of scope looks like missing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

from creditbank.accounts.models import User
from creditbank.core.errors import Forbidden, NotFound
from creditbank.orgs import permissions

View = Callable[..., HttpResponseBase]


def is_console_user(user: Any) -> bool:
    """Staff with at least one membership at an org in service."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_staff_member", False)
        and permissions.grants_by_path(user)
    )


def staff_view(view: View) -> View:
    """Decorate a console view: login, staff membership, and error codes as HTTP statuses."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_console_user(request.user):
            raise PermissionDenied
        try:
            response = view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except Forbidden:
            raise PermissionDenied from None
        # One URL answers with the whole page or, to htmx, with a partial: caches must tell them apart.
        patch_vary_headers(response, ("HX-Request",))
        return response

    return wrapper


def console_user(request: HttpRequest) -> User:
    """The signed-in staff user (``staff_view`` has checked it)."""
    return cast(User, request.user)


def require_action(user: Any, action: str) -> None:
    """403 unless some membership of ``user`` grants ``action`` (list pages and forms)."""
    if not permissions.can(user, action):
        raise PermissionDenied


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a partial (django-htmx sets ``request.htmx``). A history
    restore after "Back" wants the whole page, although htmx sends it too."""
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "history_restore_request", False)
