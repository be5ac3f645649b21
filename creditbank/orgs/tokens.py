"""Institution API tokens: issue (the secret is returned once), revoke, and look up a caller."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.audit import services as audit
from creditbank.core.errors import Conflict, Forbidden, ValidationFailed
from creditbank.orgs import permissions
from creditbank.orgs.choices import OrgStatus
from creditbank.orgs.models import InstitutionToken, OrgUnit

PREFIX = "cbi_"
MANAGE_ACTION = "orgs.manage"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_manage(actor: Any, org: OrgUnit) -> None:
    if actor is not None and not permissions.can(actor, MANAGE_ACTION, org.path):
        raise Forbidden(code="role_cannot_orgs_manage")


@transaction.atomic
def issue_institution_token(org: OrgUnit, *, name: str, actor: Any) -> tuple[InstitutionToken, str]:
    """A new token for ``org``; the secret is returned once and only its hash is stored."""
    _require_manage(actor, org)
    name = " ".join(name.split())
    if not name or len(name) > 64:
        raise ValidationFailed.for_field(
            "name", _("Name the token after the system that uses it (at most 64 characters)."), code="token_name"
        )
    if org.status != OrgStatus.ACTIVE:
        raise Conflict(_("This organisation is not in service."), code="org_not_active")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = InstitutionToken.objects.create(
        org=org, org_path=org.path, name=name, key_hash=_digest(secret), prefix=secret[:12], created_by=actor
    )
    audit.record(
        actor=actor,
        action="orgs.token_issue",
        obj=token,
        org_path=org.path,
        after={"name": name, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def revoke_institution_token(token: InstitutionToken, *, actor: Any) -> InstitutionToken:
    _require_manage(actor, token.org)
    token = InstitutionToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            actor=actor, action="orgs.token_revoke", obj=token, org_path=token.org_path, after={"prefix": token.prefix}
        )
    return token


def org_for_token(secret: str) -> tuple[OrgUnit, InstitutionToken] | None:
    """The organisation a live token acts for; None for an unknown, revoked or closed one."""
    if not secret.startswith(PREFIX):
        return None
    token = (
        InstitutionToken.objects.select_related("org").filter(key_hash=_digest(secret), revoked_at__isnull=True).first()
    )
    if token is None or token.org.status != OrgStatus.ACTIVE:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        InstitutionToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.org, token
