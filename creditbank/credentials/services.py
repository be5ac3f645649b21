"""Issuing verifiable credentials (可验证凭证) and revoking them through Bitstring Status Lists.

A certified outcome becomes an Open Badges 3.0 credential, the archive a CLR 2.0 transcript; both
are signed with eddsa-jcs-2022 by the deployment's key (``core.signing``) under its ``did:web``.
Issuing is idempotent: while nothing changed, the learner gets the credential issued before, so
that QR codes stay valid and status lists do not fill up. ``verify`` (in ``verification``) is
re-exported here: it is the service the CLI, the API and the public page call.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.audit import services as audit
from creditbank.core import signing
from creditbank.core.errors import Conflict, NotFound
from creditbank.credentials import dataintegrity, did, documents, statuslist
from creditbank.credentials.choices import CredentialKind, StatusPurpose
from creditbank.credentials.models import IssuedCredential, StatusList
from creditbank.credentials.verification import Verdict, message_for, verify

__all__ = [
    "Verdict",
    "issue_outcome_credential",
    "issue_transcript",
    "message_for",
    "revoke_outcome_credentials",
    "status_list_bits",
    "status_list_credential",
    "status_list_url",
    "verify",
    "verify_url",
]

ISSUE_ACTION = "credentials.issue"
_LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
_SIGNED_LIST_SECONDS = 3600
_BITS_SECONDS = 60


def status_list_url(status_list_id: int) -> str:
    return documents.public_url(f"/api/v1/credentials/status/{status_list_id}")


def verify_url(issued: IssuedCredential) -> str:
    """The public verification page of a stored credential (what its QR code holds)."""
    return documents.public_url(reverse("credentials:verify-stored", args=[issued.uuid]))


def _sign(document: dict[str, Any]) -> dict[str, Any]:
    return dataintegrity.sign_document(
        document,
        sign=signing.sign,
        verification_method=did.own_verification_method(),
        created=dataintegrity.format_datetime(timezone.now()),
    )


def _allocate_status_entry() -> tuple[StatusList, int]:
    """The next free entry of the current revocation list (a new list when it is full), in the caller's transaction."""
    status_list = (
        StatusList.objects.select_for_update()
        .filter(purpose=StatusPurpose.REVOCATION, allocated__lt=statuslist.MIN_BITS)
        .order_by("id")
        .first()
    )
    if status_list is None:
        status_list = StatusList.objects.create(purpose=StatusPurpose.REVOCATION)
        status_list = StatusList.objects.select_for_update().get(pk=status_list.pk)
    index = statuslist.permute(bytes.fromhex(status_list.permutation_key), status_list.allocated, status_list.size)
    status_list.allocated += 1
    status_list.save(update_fields=["allocated", "updated_at"])
    return status_list, index


def _valid_until(outcome: Outcome) -> dt.datetime | None:
    """The end of a certificate's validity (catalog ``validity_years``), counted from the date achieved."""
    years = outcome.item.validity_years
    if not years:
        return None
    achieved = outcome.achieved_on
    try:
        end = achieved.replace(year=achieved.year + years)
    except ValueError:  # 29 February in a year that has none
        end = achieved.replace(year=achieved.year + years, day=28)
    return dt.datetime.combine(end, dt.time.min, tzinfo=_LOCAL_ZONE)


def _current(queryset: Any) -> IssuedCredential | None:
    """The newest unrevoked credential of ``queryset`` signed with today's DID and key."""
    return (
        queryset.filter(
            revoked_at__isnull=True, issuer=did.own_did(), verification_method=did.own_verification_method()
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _store(
    *,
    kind: str,
    learner: Any,
    outcome: Outcome | None,
    build: Any,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
    actor: Any,
) -> IssuedCredential:
    status_list, index = _allocate_status_entry()
    credential_uuid = uuid.uuid4()
    document = build(
        credential_id=f"urn:uuid:{credential_uuid}",
        issuer=did.own_did(),
        status=documents.status_entry(status_list_url(status_list.pk), index),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    signed = _sign(document)
    issued = IssuedCredential.objects.create(
        uuid=credential_uuid,
        kind=kind,
        learner=learner,
        outcome=outcome,
        document=json.dumps(signed, ensure_ascii=False, indent=2),
        issuer=did.own_did(),
        verification_method=did.own_verification_method(),
        status_list=status_list,
        status_index=index,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    audit.record(
        actor=actor,
        action=ISSUE_ACTION,
        obj=issued,
        org_path=learner.org_path,
        after={"kind": kind, "outcome": outcome.pk if outcome else None, "status_index": index},
    )
    return issued


@transaction.atomic
def issue_outcome_credential(outcome: Outcome, *, actor: Any = None) -> IssuedCredential:
    """The Open Badges 3.0 credential of a certified outcome: the one issued before while it is
    still current, else a new one with its own status-list entry. 409 ``outcome_not_certified``
    for an outcome that is only stored, or revoked."""
    # Locked first: a revocation under way (which locks the row too) finishes before the status is
    # read, so it cannot miss a credential issued meanwhile.
    list(Outcome.objects.select_for_update().filter(pk=outcome.pk).values_list("pk", flat=True))
    outcome = (
        Outcome.objects.select_related(
            "learner",
            "item",
            "item__outcome_type",
            "item__issuer",
            "item__level",
            "item__discipline",
            "item__standard",
            "certified_by_org",
        )
        .filter(pk=outcome.pk)
        .get()
    )
    if outcome.status != OutcomeStatus.CERTIFIED:
        raise Conflict(
            _("Only a certified outcome can be issued as a verifiable credential."), code="outcome_not_certified"
        )
    existing = _current(IssuedCredential.objects.filter(kind=CredentialKind.OUTCOME, outcome=outcome))
    if existing is not None:
        return existing
    valid_until = _valid_until(outcome)
    return _store(
        kind=CredentialKind.OUTCOME,
        learner=outcome.learner,
        outcome=outcome,
        build=lambda **kwargs: documents.outcome_credential(outcome, **kwargs),
        valid_from=outcome.certified_at or timezone.now(),
        valid_until=valid_until,
        actor=actor,
    )


@transaction.atomic
def issue_transcript(learner: Any, *, actor: Any = None) -> IssuedCredential:
    """The learner's transcript (学习成果证明) as a CLR 2.0 credential carrying the OB3 credential of
    every certified outcome. The same transcript is returned while the certified outcomes are the
    same (three queries); 409 ``no_certified_outcomes`` when there is none (CLR 2.0 requires at
    least one)."""
    wanted = list(
        Outcome.objects.select_for_update()  # as in issue_outcome_credential: no revocation misses it
        .filter(learner=learner, status=OutcomeStatus.CERTIFIED)
        .order_by("achieved_on", "id")
        .values_list("pk", flat=True)
    )
    if not wanted:
        raise Conflict(
            _("There is no certified outcome in this archive yet, so there is nothing to attest."),
            code="no_certified_outcomes",
        )
    existing = _current(IssuedCredential.objects.filter(kind=CredentialKind.TRANSCRIPT, learner=learner))
    if existing is not None and set(existing.included_outcomes.values_list("pk", flat=True)) == set(wanted):
        return existing
    current: dict[int, IssuedCredential] = {}
    for credential in IssuedCredential.objects.filter(
        kind=CredentialKind.OUTCOME,
        outcome_id__in=wanted,
        revoked_at__isnull=True,
        issuer=did.own_did(),
        verification_method=did.own_verification_method(),
    ).order_by("outcome_id", "-created_at", "-id"):
        current.setdefault(credential.outcome_id, credential)  # type: ignore[arg-type]
    for outcome in Outcome.objects.filter(pk__in=set(wanted) - set(current)):
        current[outcome.pk] = issue_outcome_credential(outcome, actor=actor)
    embedded = [current[pk].as_dict() for pk in wanted]
    issued = _store(
        kind=CredentialKind.TRANSCRIPT,
        learner=learner,
        outcome=None,
        build=lambda **kwargs: documents.transcript_credential(learner, embedded, **kwargs),
        valid_from=timezone.now(),
        valid_until=None,
        actor=actor,
    )
    issued.included_outcomes.set(wanted)
    return issued


def _bits_key(status_list_id: int) -> str:
    return f"credentials:status-bits:{status_list_id}"


def revoke_outcome_credentials(outcome: Outcome) -> int:
    """Set the revocation bit of every credential that attests ``outcome`` (its own, and every
    transcript that includes it), in the caller's transaction (``archive.services.revoke_outcome``).
    Returns how many credentials were revoked."""
    credentials = list(
        IssuedCredential.objects.filter(Q(outcome=outcome) | Q(included_outcomes=outcome), revoked_at__isnull=True)
        .distinct()
        .values_list("pk", "status_list_id", "status_index")
    )
    if not credentials:
        return 0
    by_list: dict[int, list[int]] = {}
    for _pk, list_id, index in credentials:
        by_list.setdefault(list_id, []).append(index)
    for status_list in StatusList.objects.select_for_update().filter(pk__in=by_list).order_by("pk"):
        bits = bytes(status_list.bits)
        for index in by_list[status_list.pk]:
            bits = statuslist.set_bit(bits, index)
        status_list.bits = bits
        status_list.version += 1
        status_list.save(update_fields=["bits", "version", "updated_at"])
    IssuedCredential.objects.filter(pk__in=[pk for pk, _list, _index in credentials]).update(revoked_at=timezone.now())
    # Now (a reader may miss the cache and read the old row: harmless) and after commit (so that
    # no reader keeps the bits of before the commit).
    _forget_bits(by_list)
    transaction.on_commit(lambda: _forget_bits(by_list))
    return len(credentials)


# Bits of our own lists kept in this process for a moment: verifying reads one bit per
# credential, and a cache round trip costs more than the whole signature check. Revoking clears
# it in the revoking process at once; other processes see the bit within this many seconds.
_LOCAL_BITS: dict[int, tuple[float, bytes]] = {}


def _local_bits_seconds() -> float:
    # Off in tests by default: their rolled-back transactions reuse list ids.
    default = 0.0 if getattr(settings, "TESTING", False) else 2.0
    return float(getattr(settings, "CREDITBANK_STATUS_LIST_LOCAL_SECONDS", default))


def _forget_bits(list_ids: Any) -> None:
    cache.delete_many([_bits_key(list_id) for list_id in list_ids])
    for list_id in list_ids:
        _LOCAL_BITS.pop(list_id, None)


def status_list_bits(status_list_id: int) -> bytes | None:
    """The bits of one of our lists, None when there is no such list: from this process (for
    ``CREDITBANK_STATUS_LIST_LOCAL_SECONDS``), else the shared cache (a minute; revoking clears
    it), else the database."""
    now = time.monotonic()
    local = _LOCAL_BITS.get(status_list_id)
    if local is not None and local[0] > now:
        return local[1]
    key = _bits_key(status_list_id)
    bits = cache.get(key)
    if bits is None:
        row = StatusList.objects.filter(pk=status_list_id).values_list("bits", flat=True).first()
        if row is None:
            return None
        bits = bytes(row)
        cache.set(key, bits, _BITS_SECONDS)
    bits = bytes(bits)
    seconds = _local_bits_seconds()
    if seconds > 0:
        _LOCAL_BITS[status_list_id] = (now + seconds, bits)
    return bits


def status_list_credential(status_list_id: int) -> dict[str, Any]:
    """The signed BitstringStatusListCredential of one of our lists (GZIP, base64url multibase)."""
    status_list = StatusList.objects.filter(pk=status_list_id).first()
    if status_list is None:
        raise NotFound(code="status_list_not_found")
    key = f"credentials:status-list:{status_list.pk}:{status_list.version}:{did.own_verification_method()}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    document = documents.status_list_credential(
        status_list_url(status_list.pk),
        issuer=did.own_did(),
        encoded_list=statuslist.encode_list(bytes(status_list.bits)),
        valid_from=status_list.updated_at,
    )
    signed = _sign(document)
    cache.set(key, signed, _SIGNED_LIST_SECONDS)
    return signed
