"""Reads for credentials: stored credentials by UUID, a learner's own outcome for download, and
what our own records say about a credential we issued (the archive row and the ledger)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import cache
from typing import Any

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.core.errors import NotFound
from creditbank.credentials.models import IssuedCredential


def get_issued_credential(credential_uuid: uuid.UUID | str) -> IssuedCredential:
    """A stored credential by its UUID (the QR code's link); 404 ``credential_not_found``."""
    try:
        value = uuid.UUID(str(credential_uuid))
    except ValueError as exc:
        raise NotFound(code="credential_not_found") from exc
    issued = IssuedCredential.objects.filter(uuid=value).first()
    if issued is None:
        raise NotFound(code="credential_not_found")
    return issued


def get_own_outcome(learner: Any, pk: int) -> Outcome:
    """One outcome of the learner's own archive; 404 ``outcome_not_found`` for anyone else's."""
    outcome = Outcome.objects.filter(pk=pk, learner=learner).first()
    if outcome is None:
        raise NotFound(code="outcome_not_found")
    return outcome


_OUTCOME_COLUMNS = ("pk", "item_code", "credits", "achieved_on", "status")


def own_records(verdict: Any) -> list[dict[str, Any]]:
    """For a credential we issued: each outcome it attests, whether the archive row still says what
    the credential says (an edit behind the application's back shows here), and the ledger's
    inclusion proofs of the outcome's events. Two small queries for an outcome credential."""
    credential_id = verdict.credential_id
    if not credential_id.startswith("urn:uuid:"):
        return []
    try:
        value = uuid.UUID(credential_id.removeprefix("urn:uuid:"))
    except ValueError:
        return []
    issued = IssuedCredential.objects.filter(uuid=value).order_by().values_list("pk", "outcome_id").first()
    if issued is None:
        return []
    issued_pk, outcome_id = issued
    if outcome_id is not None:
        rows = Outcome.objects.filter(pk=outcome_id).order_by().values_list(*_OUTCOME_COLUMNS)
    else:
        rows = (
            Outcome.objects.filter(transcripts__pk=issued_pk)
            .order_by("achieved_on", "pk")
            .values_list(*_OUTCOME_COLUMNS)
        )
    claims = {(claim.get("code"), claim.get("achieved_on")): claim for claim in verdict.outcomes}
    records = []
    for pk, item_code, credits, achieved_on, status in rows:
        claim = claims.get((item_code, achieved_on.isoformat()))
        # A credential attests a certified outcome: one revoked since does not match, even if its
        # status bit was never set (a credential issued while the revocation was under way).
        matches = (
            claim is not None
            and claim.get("credits") == str(Decimal(credits).quantize(Decimal("0.1")))
            and status == OutcomeStatus.CERTIFIED
        )
        records.append(
            {
                "record_type": "outcome",
                "record_id": pk,
                "archive_matches": matches,
                "archive_status": status,
                "inclusion": _inclusion("outcome", pk),
            }
        )
    return records


def _inclusion(record_type: str, record_id: int) -> list[dict[str, Any]] | None:
    """The ledger's inclusion proofs of a record; None while this deployment has no ledger."""
    inclusion_for = _ledger_inclusion_for()
    if inclusion_for is None:
        return None
    return list(inclusion_for(record_type, record_id))


@cache
def _ledger_inclusion_for() -> Any:
    try:
        from creditbank.ledger.selectors import inclusion_for
    except ImportError:
        return None
    return inclusion_for
