"""Pages: the public verification page (paste a credential, or open a QR code's link), the
deployment's DID document, and the learner's download of an outcome's credential.

The verification page is public on purpose (anyone a learner shows a credential to must be able
to check it) and rate-limited per address, like the other public forms.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from creditbank.accounts.models import Learner
from creditbank.archive.views import learner_page
from creditbank.core import ratelimit
from creditbank.core.context import client_ip
from creditbank.core.errors import ApplicationError, NotFound, TooManyRequests
from creditbank.core.forms import error_text
from creditbank.credentials import did, selectors, services
from creditbank.credentials.verification import MAX_DOCUMENT_BYTES

# Verifications per address and minute, for the page and the API together.
VERIFY_RATE_LIMIT = (60, 60)
CREDENTIAL_CONTENT_TYPE = "application/vc+ld+json"


def check_verify_rate(request: HttpRequest) -> None:
    ratelimit.hit(
        "credential-verify:" + (client_ip(request) or "unknown"),
        limit=VERIFY_RATE_LIMIT[0],
        window=VERIFY_RATE_LIMIT[1],
    )


@require_GET
def did_document(request: HttpRequest) -> JsonResponse:
    """``/.well-known/did.json``: the did:web document of this deployment (did:web §3.2.2)."""
    response = JsonResponse(did.own_did_document(), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = "application/did+json"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


def _submitted_text(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
            return upload.read(MAX_DOCUMENT_BYTES + 1).decode("utf-8", "replace")
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace")
    return request.POST.get("credential", "")


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Paste a credential's JSON (or choose its file) and see the verdict."""
    context: dict[str, Any] = {"text": ""}
    if request.method == "POST":
        text = _submitted_text(request)
        context["text"] = text
        if not text.strip():
            context["error"] = services.message_for("empty")
        else:
            try:
                check_verify_rate(request)
            except TooManyRequests as exc:
                context["error"] = error_text(exc)
            else:
                context["verdict"] = services.verify(text)
    return render(request, "credentials/verify.html", context)


@require_GET
def verify_stored(request: HttpRequest, credential_uuid: str) -> HttpResponse:
    """``/verify/c/<uuid>``, where a QR code points: the verdict on a credential we issued."""
    try:
        issued = selectors.get_issued_credential(credential_uuid)
    except NotFound:
        raise Http404 from None
    verdict = services.verify(issued.document)
    context = {"verdict": verdict, "issued": issued, "stored": True}
    return render(request, "credentials/verify.html", context)


@require_GET
def stored_credential_json(request: HttpRequest, credential_uuid: str) -> HttpResponse:
    """The JSON of a stored credential, for a verifier who scanned its QR code (byte for byte as signed)."""
    try:
        issued = selectors.get_issued_credential(credential_uuid)
    except NotFound:
        raise Http404 from None
    return credential_response(issued, attachment=False)


def credential_response(issued: Any, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(issued.document.encode(), content_type=CREDENTIAL_CONTENT_TYPE + "; charset=utf-8")
    if attachment:
        response["Content-Disposition"] = f'attachment; filename="credential-{issued.uuid}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@learner_page
@require_GET
def me_outcome_credential(request: HttpRequest, learner: Learner, pk: int) -> HttpResponse:
    """下载可验证凭证: the learner's own certified outcome as an Open Badges 3.0 credential file."""
    outcome = selectors.get_own_outcome(learner, pk)
    try:
        issued = services.issue_outcome_credential(outcome, actor=request.user)
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, error_text(exc))
        return redirect("archive:me-outcome", pk=pk)
    return credential_response(issued, attachment=True)
