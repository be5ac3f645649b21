"""Credentials for apps and verifiers.

Public on purpose: ``POST /api/v1/credentials/verify`` (anyone may check a credential; rate-limited
per address, with the verification page) and ``GET /api/v1/credentials/status/{list_id}`` (the
Bitstring Status Lists every verifier must be able to read). Learners only: their own
credentials, ``GET /api/v1/me/outcomes/{id}/credential`` and ``GET /api/v1/me/transcript/credential``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema

from creditbank.api.auth import LEARNER_AUTH, current_user
from creditbank.api.schemas import ErrorOut
from creditbank.core.errors import ValidationFailed
from creditbank.credentials import selectors, services
from creditbank.credentials.views import CREDENTIAL_CONTENT_TYPE, check_verify_rate

public_router = Router(tags=["Verifiable credentials"], auth=None)
router = Router(tags=["Verifiable credentials"], auth=LEARNER_AUTH)

_CREDENTIAL_RESPONSE = {
    "description": "The signed credential (W3C VC 2.0, eddsa-jcs-2022), byte for byte as issued.",
    "content": {CREDENTIAL_CONTENT_TYPE: {"schema": {"type": "object"}}},
}


class CheckOut(Schema):
    name: str
    label: str
    ok: bool | None = Field(description="None when the check could not be made.")
    code: str
    message: str


class VerdictOut(Schema):
    valid: bool
    code: str = Field(description="valid, or why not: malformed_json, unknown_context, signature_invalid, revoked, …")
    message: str
    kind: str = Field(description="outcome, transcript, status_list or other")
    credential_id: str
    types: list[str]
    name: str
    issuer: dict[str, str]
    learner: dict[str, str] = Field(description="The subject's id and masked name.")
    outcomes: list[dict[str, Any]]
    total_credits: str
    signature: str = Field(description="valid, invalid or unchecked")
    status: str = Field(description="active, revoked, suspended, none (no status entry) or unchecked")
    valid_from: str
    valid_until: str
    is_ours: bool = Field(description="Issued by this deployment.")
    ledger: list[dict[str, Any]] | None = Field(
        description="Ledger inclusion proofs of the outcomes (our credentials)."
    )
    records: list[dict[str, Any]]
    checks: list[CheckOut]


@public_router.post(
    "/credentials/verify",
    response={200: VerdictOut, 422: ErrorOut, 429: ErrorOut},
    summary="Verify a credential",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The credential's JSON, as it was handed out.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def verify_credential(request: HttpRequest) -> Any:
    """The verdict on any VC 2.0 credential signed with eddsa-jcs-2022 (ours or another issuer's):
    200 with ``valid: false`` and a ``code`` for every way it can fail."""
    check_verify_rate(request)
    if not request.body.strip():
        raise ValidationFailed(code="credential_required", message=services.message_for("empty"))
    return services.verify(request.body).to_dict()


@public_router.get(
    "/credentials/status/{list_id}",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="A Bitstring Status List credential",
)
def status_list(request: HttpRequest, list_id: int) -> Any:
    """The signed BitstringStatusListCredential that the ``credentialStatus`` of our credentials points to."""
    response = JsonResponse(services.status_list_credential(list_id), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = CREDENTIAL_CONTENT_TYPE
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _credential(issued: Any) -> HttpResponse:
    response = HttpResponse(issued.document.encode(), content_type=CREDENTIAL_CONTENT_TYPE + "; charset=utf-8")
    response["X-Credential-Verify-URL"] = services.verify_url(issued)
    return response


@router.get(
    "/me/outcomes/{outcome_id}/credential",
    response={200: dict[str, Any], 404: ErrorOut, 409: ErrorOut},
    openapi_extra={"responses": {200: _CREDENTIAL_RESPONSE}},
    summary="The Open Badges 3.0 credential of one of my certified outcomes",
)
def my_outcome_credential(request: HttpRequest, outcome_id: int) -> Any:
    """409 ``outcome_not_certified`` while the outcome is only stored, or after it was revoked."""
    outcome = selectors.get_own_outcome(current_user(request).learner, outcome_id)
    return _credential(services.issue_outcome_credential(outcome, actor=current_user(request)))


@router.get(
    "/me/transcript/credential",
    response={200: dict[str, Any], 409: ErrorOut},
    openapi_extra={"responses": {200: _CREDENTIAL_RESPONSE}},
    summary="My transcript as a CLR 2.0 credential",
)
def my_transcript_credential(request: HttpRequest) -> Any:
    """Every certified outcome, each as its own OB 3.0 credential inside one signed CLR 2.0
    credential; 409 ``no_certified_outcomes`` when there is none yet."""
    user = current_user(request)
    return _credential(services.issue_transcript(user.learner, actor=user))
