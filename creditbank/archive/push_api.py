"""Institution push (机构推送): ``POST /api/v1/outcomes:batch``.

An organisation's own system (a university's academic records, a training body's platform)
sends up to 10,000 records a call with its institution token. Each record goes through exactly
the rules of a bulk deposit file (``imports.outcomes.deposit_outcome_records``); ``external_id``
is the record's idempotency key, so a retried call stores nothing twice. The answer has one
result per record, in order.
"""

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from creditbank.api.auth import INSTITUTION_AUTH
from creditbank.audit import services as audit
from creditbank.core.errors import Conflict, ValidationFailed
from creditbank.imports.errors import ImportErrorCode
from creditbank.imports.outcomes import deposit_outcome_records

router = Router(tags=["Institution push"], auth=INSTITUTION_AUTH)

MAX_RECORDS = 10_000
PUSH_LOCK_CLASS = 4901  # pg_advisory_xact_lock(class, org id): the institution-push lock


class RecordIn(Schema):
    id_number: str = Field(max_length=40, description="The learner's ID number.")
    name: str = Field(max_length=64, description="The learner's name, as on the ID.")
    item_code: str = Field(max_length=40, description="A published catalog item code.")
    achieved_on: str = Field(max_length=32, description="2024-05-17 (other office spellings are accepted too).")
    score: str = Field("", max_length=16)
    certificate_no: str = Field("", max_length=80)
    hours: str = Field("", max_length=8)
    credits: str = Field("", max_length=8)
    external_id: str = Field(
        "", max_length=64, description="Your id of the record: a retry with the same id is a duplicate."
    )


class BatchIn(Schema):
    records: list[RecordIn] = Field(description="1 to 10,000 records.")
    strict: bool = Field(False, description="Store nothing when any record is bad.")


class RecordOut(Schema):
    index: int = Field(description="Position of the record in the request, from 0.")
    status: str = Field(description="stored, duplicate, error, or skipped (valid, but strict and another was bad)")
    outcome_id: int | None
    errors: list[dict[str, str]]


class SummaryOut(Schema):
    rows: int
    imported: int
    duplicates: int
    errors: int
    seconds: float


class BatchOut(Schema):
    summary: SummaryOut
    results: list[RecordOut]


@router.post("/outcomes:batch", response=BatchOut, summary="Push outcomes (institution token)")
def push_outcomes(request: HttpRequest, payload: BatchIn) -> Any:
    org = request.auth  # type: ignore[attr-defined]
    count = len(payload.records)
    if not 1 <= count <= MAX_RECORDS:
        raise ValidationFailed.for_field(
            "records",
            _("Send from 1 to {limit} records a call.").format(limit=MAX_RECORDS),
            code="batch_size",
        )
    token = request.institution_token  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            # One push of an organisation at a time: a retry sent while the first call still runs
            # waits for it, then finds its records stored (duplicates), instead of colliding.
            _lock_pushes_of(org)
            outcome = deposit_outcome_records(
                [record.dict() for record in payload.records], org=org, actor=None, strict=payload.strict
            )
    except IntegrityError:  # another import stored one of these outcomes at the same instant
        raise Conflict(
            _("Some of these outcomes were stored by another deposit at the same moment; send the call again."),
            code="push_conflict",
        ) from None
    results, unknown = _answers(outcome.records)
    audit.record(
        actor=None,
        action="archive.push",
        obj=token,
        org_path=org.path,
        after={
            **outcome.summary.as_json(),
            "token": token.prefix,
            "strict": payload.strict,
            "unknown_learners": unknown,
        },
    )
    return {"summary": outcome.summary.as_json(), "results": results}


# An institution may not learn from us whether an ID number has an account, or under which name:
# both answers are one, and how many a call had is in the operation log.
_IDENTITY_CODES = frozenset({ImportErrorCode.LEARNER_NOT_FOUND, ImportErrorCode.NAME_MISMATCH})


def _answers(records: list[Any]) -> tuple[list[dict[str, Any]], int]:
    message = str(_("No learner has an account with this ID number and this name."))
    unknown = 0
    results = []
    for item in records:
        errors = list(item.errors)
        if any(error.get("code") in _IDENTITY_CODES for error in errors):
            unknown += 1
            errors = [error for error in errors if error.get("code") not in _IDENTITY_CODES]
            errors.insert(0, {"field": "id_number", "code": "learner_unknown", "message": message})
        results.append({"index": item.index, "status": item.status, "outcome_id": item.outcome_id, "errors": errors})
    return results, unknown


def _lock_pushes_of(org: Any) -> None:
    """A transaction-scoped lock on the organisation's pushes (PostgreSQL); SQLite writes one
    transaction at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PUSH_LOCK_CLASS, org.pk])
