"""Writes on stored outcomes that are not deposits: revoking a certified outcome (撤销认证).

A certified outcome is never edited or deleted; when it turns out to be wrong (a forged
certificate, an outcome stored twice under two codes), an administrator of an organisation in
scope revokes it with a reason. It stays in the archive, marked revoked, and counts for nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.audit import services as audit
from creditbank.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger
from creditbank.orgs import permissions

REVOKE_ACTION = "archive.revoke"


def access_outcome(actor: Any, pk: int, *, action: str = "archive.view") -> Outcome:
    """An outcome in the actor's scope for ``action``; 404 when out of scope or missing."""
    outcome = Outcome.objects.visible_to(actor, action).filter(pk=pk).select_related("learner", "item").first()
    if outcome is None:
        raise NotFound(code="outcome_not_found")
    return outcome


@transaction.atomic
def revoke_outcome(outcome: Outcome, *, actor: Any, reason: str) -> Outcome:
    reason = " ".join(reason.split())
    if (
        actor is not None
        and not permissions.can(actor, REVOKE_ACTION, outcome.learner.org_path)
        and not permissions.can(actor, REVOKE_ACTION, outcome.org_path)
    ):
        raise Forbidden(code="role_cannot_archive_revoke")
    if not reason:
        raise ValidationFailed.for_field(
            "reason", _("Please give the reason; the learner will see it."), code="reason_required"
        )
    outcome = Outcome.objects.select_for_update().get(pk=outcome.pk)
    if outcome.status == OutcomeStatus.REVOKED:
        raise Conflict(_("This outcome is already revoked."), code="outcome_already_revoked")
    before = {"status": outcome.status}
    outcome.status = OutcomeStatus.REVOKED
    outcome.revoked_at = timezone.now()
    outcome.revoke_reason = reason[:2000]
    outcome.save(update_fields=["status", "revoked_at", "revoke_reason", "updated_at"])
    ledger.append(ledger_events.OUTCOME_REVOKED, record=outcome, learner=outcome.learner_id)
    from creditbank.credentials.services import revoke_outcome_credentials

    # Its credentials (and transcripts that list it) are revoked in their status lists, in this transaction.
    revoke_outcome_credentials(outcome)
    audit.record(
        actor=actor,
        action="archive.revoke",
        obj=outcome,
        org_path=outcome.learner.org_path,
        before=before,
        after={"status": outcome.status, "reason": reason},
    )
    return outcome
