from __future__ import annotations

from typing import TYPE_CHECKING

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.audit.models import AuditEntry, LoginEntry  # noqa: F401


class AuditEntryQuerySet(ScopedQuerySet["AuditEntry"]):
    scope_path = "org_path"
    view_action = "audit.view"


class LoginEntryQuerySet(ScopedQuerySet["LoginEntry"]):
    scope_path = "org_path"
    view_action = "audit.view"
