"""Writing the logs. Services call ``record`` inside their own transaction (Zulip's RealmAuditLog)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from creditbank.audit.models import AuditEntry, LoginEntry
from creditbank.core import context, pii


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as JSON values, for ``before``/``after``. Never pass PII fields."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def actor_org(actor: Any) -> Any:
    """The org the actor acts for: their first membership (staff), else None."""
    memberships = getattr(actor, "_creditbank_memberships", None)
    if memberships is None and getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff_member", False):
        from creditbank.orgs.models import Membership

        memberships = list(Membership.objects.filter(user_id=actor.pk).select_related("org").order_by("org__path")[:1])
        actor._creditbank_memberships = memberships
    return memberships[0].org if memberships else None


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_path: str | None = None,
) -> AuditEntry:
    """Append one operation-log row. ``org_path`` is the owning org of the object (for scope)."""
    info = context.current()
    org = actor_org(actor) if actor is not None else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if org_path is None:
            org_path = getattr(obj, "org_path", None) or getattr(obj, "path", None)
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=str(getattr(actor, "username", "") or "system")[:150],
        org=org,
        org_path=org_path or (org.path if org is not None else ""),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip=info.ip if info else None,
    )


def mask_identifier(identifier: str) -> str:
    """Login names that are ID, passport or phone numbers are personal data: keep them masked.
    A 12-digit account number and a staff username are kept as typed."""
    if len(identifier) == 12 and identifier.isdigit():
        return identifier
    if len(identifier) == 18:
        return pii.mask_id_number(identifier)
    if len(identifier) == 11 and identifier.isdigit():
        return pii.mask_phone(identifier)
    if sum(char.isdigit() for char in identifier) >= 5:
        return pii.mask_id_number(identifier)
    return identifier[:150]


def login_name_hash(normalized: str) -> str:
    """Keyed hash of a normalised login name (``validators.normalize_login_name``): lets the log be
    searched by an ID or phone number that it only shows masked."""
    return pii.lookup_hash("login:" + normalized.lower())


def record_login(
    *,
    identifier: str,
    method: str,
    is_success: bool,
    user: Any = None,
    reason: str = "",
) -> LoginEntry:
    info = context.current()
    org_path = ""
    if user is not None:
        if getattr(user, "is_staff_member", False):
            org = actor_org(user)
            org_path = org.path if org is not None else ""
        else:
            learner = getattr(user, "learner", None)
            org_path = learner.org_path if learner is not None else ""
    return LoginEntry.objects.create(
        user=user,
        identifier=mask_identifier(identifier),
        identifier_hash=login_name_hash(identifier),
        method=method,
        is_success=is_success,
        reason=reason,
        ip=info.ip if info else None,
        user_agent=info.user_agent if info else "",
        org_path=org_path,
    )
