"""Institution push (机构推送): ``POST /api/v1/outcomes:batch``.

An organisation's own system (a university's academic records, a training body's platform)
sends up to 10,000 records a call with its institution token. Each record goes through exactly
the rules of a bulk deposit file (``imports.outcomes.deposit_outcome_records``); ``external_id``
is the record's idempotency key, so a retried call stores nothing twice. The answer has one
result per record, in order.
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from creditbank.api.auth import INSTITUTION_AUTH
from creditbank.audit import services as audit
from creditbank.core.errors import ValidationFailed
from creditbank.imports.outcomes import deposit_outcome_records

router = Router(tags=["Institution push"], auth=INSTITUTION_AUTH)

MAX_RECORDS = 10_000


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
    outcome = deposit_outcome_records(
        [record.dict() for record in payload.records], org=org, actor=None, strict=payload.strict
    )
    audit.record(
        actor=None,
        action="archive.push",
        obj=token,
        org_path=org.path,
        after={**outcome.summary.as_json(), "token": token.prefix, "strict": payload.strict},
    )
    return {
        "summary": outcome.summary.as_json(),
        "results": [
            {"index": item.index, "status": item.status, "outcome_id": item.outcome_id, "errors": list(item.errors)}
            for item in outcome.records
        ],
    }
