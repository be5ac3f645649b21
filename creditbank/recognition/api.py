"""Mutual recognition over the API: ``GET /api/v1/recognition/standards`` and
``/recognition/standards/{code}`` (public: what another region's outcomes count as here), and
``POST /api/v1/me/recognitions`` (a learner imports a credential a partner issued to them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from creditbank.api.auth import LEARNER_AUTH, current_user
from creditbank.api.pagination import Pagination
from creditbank.recognition import selectors, services
from creditbank.recognition.models import RecognitionStandard

# One router (mounted in api/main.py in one line): the lists are public, the import is the learner's.
router = Router(tags=["Mutual recognition"])


class StandardOut(Schema):
    code: str
    name: str
    partner_region: str = Field(description="GB/T 2260 code of the partner's region.")
    partner_region_name: str
    partner_name: str
    status: str = Field(description="published or retired")
    version: int
    published_on: dt.date | None
    accepts_unsigned: bool
    mapping_count: int

    @staticmethod
    def resolve_partner_region(obj: RecognitionStandard) -> str:
        return obj.region_code

    @staticmethod
    def resolve_partner_region_name(obj: RecognitionStandard) -> str:
        return obj.partner_region.name

    @staticmethod
    def resolve_accepts_unsigned(obj: RecognitionStandard) -> bool:
        return obj.allows_unsigned


class MappingOut(Schema):
    partner_code: str
    partner_name: str
    item_code: str = Field(description="Our catalog item it counts as.")
    credit_factor: Decimal | None
    fixed_credits: Decimal | None
    note: str


class StandardDetailOut(StandardOut):
    mappings: list[MappingOut]

    @staticmethod
    def resolve_mappings(obj: RecognitionStandard) -> Any:
        return selectors.list_mappings(obj)


class RecognisedOut(Schema):
    line: int = Field(description="Position of the outcome in the credential, from 1.")
    status: str = Field(description="stored, duplicate, unmapped or error")
    partner_code: str
    partner_name: str
    item_code: str
    credits: str
    outcome_id: int | None
    errors: list[dict[str, str]]


class RecognitionOut(Schema):
    standard: str
    region: str
    rows: int
    imported: int
    duplicates: int
    errors: int
    unmapped: int
    verdict: dict[str, Any] | None
    outcomes: list[RecognisedOut]


@router.get("/recognition/standards", response=list[StandardOut], summary="Mutual-recognition standards", auth=None)
@paginate(Pagination)
def list_standards(request: HttpRequest) -> Any:
    """Published and retired standards with the number of mappings in each."""
    return selectors.list_public_standards()


@router.get(
    "/recognition/standards/{code}",
    response=StandardDetailOut,
    summary="A mutual-recognition standard's mapping table",
    auth=None,
)
def get_standard(request: HttpRequest, code: str) -> Any:
    """Every mapping: the partner's outcome code and name, and the catalog item it counts as."""
    return selectors.get_public_standard(code)


@router.post(
    "/me/recognitions",
    response={201: RecognitionOut},
    summary="Import a credential from another region",
    auth=LEARNER_AUTH,
)
def create_my_recognition(
    request: HttpRequest,
    standard: Form[str],
    credential_json: Form[str] = "",
    credential: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Any:
    """Multipart form: ``standard`` (the number of a published mutual-recognition standard) and
    the credential, as the file ``credential`` or the text ``credential_json`` (an Open Badges 3.0
    or CLR 2.0 credential, at most 2 MB). The credential is verified; a signed one that fails is
    refused (422 ``credential_invalid``, with the verifier's code in ``details``), an unsigned one
    too unless the standard accepts them (``credential_unsigned``). It must be the caller's: an
    ID number in it that is not theirs is refused (``subject_mismatch``). The outcomes the
    standard maps are stored in the caller's archive; the others are listed as ``unmapped``."""
    learner = current_user(request).learner
    found = services.get_standard(standard)
    document = services.read_credential_upload(credential, credential_json)
    result = services.import_credential(learner, document, standard=found, actor=current_user(request))
    return Status(
        201,
        {**result.as_json(), "verdict": result.verdict, "outcomes": [item.as_dict() for item in result.outcomes]},
    )
