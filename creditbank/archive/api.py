"""The learner's archive for apps: ``GET /api/v1/me/outcomes``, ``/me/outcomes/{id}``,
``/me/summary``, ``/me/transcript.pdf``, ``GET``/``POST /api/v1/me/deposits``.

Learners only (a staff caller gets 403 ``learner_only``); every answer is about the caller's
own account, so there is no scope to check beyond "whose token is this".
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from creditbank.api.auth import LEARNER_AUTH, current_user
from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone
from creditbank.archive import selectors, transcripts
from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Deposit, Outcome

router = Router(tags=["Personal archive"], auth=LEARNER_AUTH)


def _learner(request: HttpRequest) -> Any:
    return current_user(request).learner


class RefOut(Schema):
    code: str
    name: str


class OutcomeOut(Schema):
    id: int
    item_code: str
    item_version: int
    name: str
    type: RefOut
    issuer: RefOut
    level: int | None
    credits: Decimal
    hours: int | None
    score: str
    achieved_on: dt.date
    certificate_no: str
    source: str = Field(description="bulk, self, institution, conversion or mutual_recognition")
    status: str = Field(description="stored, certified or revoked")
    deposited_by: RefOut
    stored_at: dt.datetime
    certified_at: dt.datetime | None

    @staticmethod
    def resolve_item_version(obj: Outcome) -> int:
        return obj.item.version

    @staticmethod
    def resolve_name(obj: Outcome) -> str:
        return obj.item.name

    @staticmethod
    def resolve_type(obj: Outcome) -> Any:
        return obj.item.outcome_type

    @staticmethod
    def resolve_issuer(obj: Outcome) -> Any:
        return obj.item.issuer

    @staticmethod
    def resolve_level(obj: Outcome) -> int | None:
        return obj.item.level.number if obj.item.level is not None else None

    @staticmethod
    def resolve_deposited_by(obj: Outcome) -> Any:
        return obj.org

    @staticmethod
    def resolve_stored_at(obj: Outcome) -> dt.datetime:
        return obj.created_at


class OutcomeFilter(Schema):
    type: str = Field("", max_length=32, description="Outcome type code, e.g. one_plus_x.")
    year: Annotated[int | None, BlankToNone] = Field(None, ge=1900, le=9999, description="Year achieved.")
    status: Annotated[OutcomeStatus | None, BlankToNone] = None
    source: Annotated[OutcomeSource | None, BlankToNone] = None


class TotalOut(Schema):
    code: str | None = None
    level: int | None = None
    name: str | None
    outcomes: int
    credits: Decimal


class SummaryOut(Schema):
    outcomes: int
    credits: Decimal = Field(description="Credits of stored and certified outcomes (revoked ones count for nothing).")
    certified_credits: Decimal
    by_status: dict[str, int]
    by_type: list[TotalOut]
    by_level: list[TotalOut]
    years: list[int]


class DepositOut(Schema):
    id: int
    application_id: int
    item_code: str | None
    name: str
    achieved_on: dt.date
    status: str = Field(description="The review status of the application.")
    reason: str = Field(description="Why it was returned or rejected, when it was.")
    submitted_at: dt.datetime
    evidence: list[str] = Field(description="File names of the evidence sent.")
    outcome_id: int | None

    @staticmethod
    def resolve_item_code(obj: Deposit) -> str | None:
        return obj.item.code if obj.item is not None else None

    @staticmethod
    def resolve_name(obj: Deposit) -> str:
        return obj.title

    @staticmethod
    def resolve_status(obj: Deposit) -> str:
        return obj.application.status

    @staticmethod
    def resolve_reason(obj: Deposit) -> str:
        return obj.application.decision_note if obj.application.status in ("returned", "rejected") else ""

    @staticmethod
    def resolve_submitted_at(obj: Deposit) -> dt.datetime:
        return obj.application.submitted_at

    @staticmethod
    def resolve_evidence(obj: Deposit) -> list[str]:
        return [evidence.filename for evidence in obj.evidence.all()]


class DepositIn(Schema):
    item_code: str = Field(max_length=32, description='A published catalog item code, or "other".')
    achieved_on: str = Field(max_length=20, description="2024-05-17, 2024/5/17 or 2024年5月17日.")
    score: str = Field("", max_length=16)
    certificate_no: str = Field("", max_length=80)
    hours: str = Field("", max_length=8)
    other_name: str = Field("", max_length=200, description='What the outcome is (for "other").')
    other_issuer: str = Field("", max_length=128)
    note: str = Field("", max_length=2000)
    draft: bool = Field(False, description="Save as a draft: nobody reviews it until it is submitted.")


@router.get("/me/outcomes", response=list[OutcomeOut], summary="My outcomes (personal archive)")
@paginate(Pagination)
def list_my_outcomes(request: HttpRequest, filters: Query[OutcomeFilter]) -> Any:
    """Newest first."""
    return selectors.learner_outcomes(
        _learner(request),
        selectors.ArchiveFilter(
            type_code=filters.type.strip(),
            year=filters.year,
            status=filters.status or "",
            source=filters.source or "",
        ),
    )


@router.get("/me/outcomes/{outcome_id}", response=OutcomeOut, summary="One of my outcomes")
def get_my_outcome(request: HttpRequest, outcome_id: int) -> Any:
    return selectors.get_learner_outcome(_learner(request), outcome_id)


@router.get("/me/summary", response=SummaryOut, summary="Totals of my archive")
def get_my_summary(request: HttpRequest) -> Any:
    return selectors.archive_summary(_learner(request))


_PDF_RESPONSES = {
    "responses": {
        "200": {
            "description": "The PDF (A4), as an attachment.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        "429": {"description": "Too many certificates asked for in a short time (code rate_limited)."},
        "503": {"description": "The server cannot print Chinese text (codes transcript_font_missing, …)."},
    }
}


@router.get(
    "/me/transcript.pdf",
    summary="My certificate of learning outcomes (学习成果证明, PDF)",
    openapi_extra=_PDF_RESPONSES,
)
def get_my_transcript(request: HttpRequest) -> Any:
    """Every stored and certified outcome (revoked ones are left out), with totals, the
    deployment's seal and a QR code of the transcript's verifiable credential (the same
    credential while the certified outcomes are the same; no QR code while none is certified).
    Limited to 5 a minute and 60 an hour per user."""
    transcript = transcripts.generate_transcript(_learner(request), actor=current_user(request))
    return transcripts.pdf_response(transcript)


@router.get("/me/deposits", response=list[DepositOut], summary="What I asked to store, and its review status")
@paginate(Pagination)
def list_my_deposits(request: HttpRequest) -> Any:
    return selectors.learner_deposits(_learner(request)).prefetch_related("evidence")


@router.post("/me/deposits", response={201: DepositOut}, summary="Ask to store an outcome, with evidence")
def create_my_deposit(
    request: HttpRequest,
    payload: Form[DepositIn],
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Multipart form: the fields, and one to ten ``evidence`` files (PDF, JPG or PNG by content,
    at most 10 MB each). The deposit becomes an application that the learner's service
    organisation reviews; with ``draft`` it waits (files may follow) for
    ``POST /api/v1/me/applications/{id}/submit``."""
    learner = _learner(request)
    fields = payload.dict()
    draft = bool(fields.pop("draft", False))
    deposit = submit_deposit(learner, DepositData(**fields), evidence or [], actor=current_user(request), draft=draft)
    return Status(201, selectors.get_learner_deposit(learner, deposit.pk))
