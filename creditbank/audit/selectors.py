"""Reads of the operation and login logs, scoped by ``audit.view``, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from creditbank.audit.models import AuditEntry, LoginEntry
from creditbank.audit.services import login_name_hash
from creditbank.core import validators


def _scoped(queryset: Any, actor: Any) -> Any:
    """Rows in the actor's ``audit.view`` scope. Rows that belong to no org (failed logins under
    unknown names, system actions) are network-wide: only the management centre's staff see them."""
    paths = actor.scope_paths("audit.view") if getattr(actor, "is_authenticated", False) else ()
    if any(path.count(".") == 1 for path in paths):  # a membership at the root: every row
        return queryset.all()
    return queryset.visible_to(actor, "audit.view")


def list_audit_entries(
    actor: Any,
    *,
    action: str = "",
    actor_name: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """``action`` matches exactly or as an app prefix (``accounts`` finds ``accounts.open``)."""
    queryset = _scoped(AuditEntry.objects, actor).select_related("org")
    if action:
        queryset = queryset.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if actor_name:
        queryset = queryset.filter(actor_name=actor_name)
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset.order_by("-created_at", "-id")


def list_login_entries(
    actor: Any,
    *,
    identifier: str = "",
    method: str = "",
    is_success: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[LoginEntry]:
    """``identifier`` is the login name as typed; it is matched by its keyed hash, normalised as
    ``accounts.services.login_with_password`` does, so masked ID and phone numbers can be searched."""
    queryset = _scoped(LoginEntry.objects, actor).select_related("user")
    if validators.normalize_text(identifier):
        queryset = queryset.filter(identifier_hash=login_name_hash(validators.normalize_login_name(identifier)))
    if method:
        queryset = queryset.filter(method=method)
    if is_success is not None:
        queryset = queryset.filter(is_success=is_success)
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset.order_by("-created_at", "-id")
