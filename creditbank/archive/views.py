"""The personal archive pages: the learner's own (``/me/archive/``, ``/me/deposits/``) and the
staff view of a learner's archive in the console (``/console/learners/<no>/archive/``).

A learner only ever reaches their own rows (every selector takes the learner); staff reach a
learner through ``access_learner`` with ``archive.view`` (data scope), and evidence through
``access_evidence``. Every staff download of evidence is logged.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from creditbank.accounts.access import access_learner
from creditbank.accounts.models import Learner
from creditbank.archive import exports, sections, selectors, transcripts
from creditbank.archive import services as archive_services
from creditbank.archive.deposits import OTHER, resubmit_deposit, submit_deposit, submit_deposit_draft
from creditbank.archive.forms import ArchiveFilterForm, DepositForm
from creditbank.archive.models import Evidence
from creditbank.audit import services as audit
from creditbank.catalog import selectors as catalog_selectors
from creditbank.console.decorators import console_user, require_action, staff_view
from creditbank.core.errors import ApplicationError, NotFound
from creditbank.core.forms import add_application_error, error_text
from creditbank.ledger import selectors as ledger_selectors
from creditbank.orgs import permissions
from creditbank.reviews import services as review_services
from creditbank.reviews.selectors import learner_history

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _learner(request: HttpRequest) -> Learner | None:
    """The signed-in learner, or None for staff (sent to the console)."""
    user: Any = request.user
    if user.is_staff_member:
        return None
    learner = getattr(user, "learner", None)
    if learner is None:
        raise Http404
    return cast(Learner, learner)


def learner_page(view: Any) -> Any:
    """Login required; staff are sent to the console; ``NotFound`` becomes 404."""

    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        learner = _learner(request)
        if learner is None:
            return redirect("/console/")
        try:
            return cast(HttpResponse, view(request, learner, *args, **kwargs))
        except NotFound:
            raise Http404 from None

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _archive_context(request: HttpRequest, learner: Learner) -> dict[str, Any]:
    summary = selectors.archive_summary(learner)
    form = ArchiveFilterForm(request.GET or None, years=summary.years)
    filters = selectors.ArchiveFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ArchiveFilter(
            type_code=data["type"].code if data["type"] else "",
            year=data["year"],
            status=data["status"],
            source=data["source"],
        )
    outcomes = list(selectors.learner_outcomes(learner, filters)[:500])
    sections.annotate(learner, outcomes)
    by_year: dict[int, list[Any]] = {}
    for outcome in outcomes:
        by_year.setdefault(outcome.achieved_on.year, []).append(outcome)
    return {
        "learner": learner,
        "summary": summary,
        "form": form,
        "timeline": sorted(by_year.items(), reverse=True),
        "shown": len(outcomes),
        "filtered": filters != selectors.ArchiveFilter(),
        "sections": sections.sections_for(learner),
    }


@learner_page
@require_http_methods(["GET"])
def me_archive(request: HttpRequest, learner: Learner) -> HttpResponse:
    context = _archive_context(request, learner)
    context["deposits"] = selectors.learner_deposits(learner)[:50]
    return render(request, "archive/me_archive.html", context)


def _xlsx_response(learner: Learner) -> HttpResponse:
    content = exports.archive_xlsx(
        selectors.learner_outcomes(learner).iterator(chunk_size=1000), title=_("Learning-outcome archive")
    )
    response = HttpResponse(content, content_type=_XLSX)
    name = f"{_('archive')}-{learner.account_no}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


@learner_page
@require_http_methods(["GET"])
def me_archive_export(request: HttpRequest, learner: Learner) -> HttpResponse:
    return _xlsx_response(learner)


@learner_page
@require_http_methods(["GET"])
def me_archive_transcript(request: HttpRequest, learner: Learner) -> HttpResponseBase:
    """学习成果证明 (PDF); when it cannot be printed, back to the archive with the reason."""
    try:
        transcript = transcripts.generate_transcript(learner, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect("archive:me-archive")
    return transcripts.pdf_response(transcript)


@learner_page
@require_http_methods(["GET"])
def me_outcome(request: HttpRequest, learner: Learner, pk: int) -> HttpResponse:
    outcome = selectors.get_learner_outcome(learner, pk)
    context = {
        "outcome": outcome,
        "evidence": selectors.outcome_evidence(outcome),
        "deposit": getattr(outcome, "deposit", None),
        "ledger_leaves": ledger_selectors.inclusion_for("outcome", outcome.pk),
    }
    return render(request, "archive/me_outcome.html", context)


@learner_page
@require_http_methods(["GET", "POST"])
def me_deposit_new(request: HttpRequest, learner: Learner) -> HttpResponse:
    """Step 1: find the outcome in the catalog (or choose "other"); step 2: the facts and files."""
    code = (request.POST.get("item_code") or request.GET.get("item") or "").strip()
    query = request.GET.get("q", "").strip()[:64]
    if not code:
        results = catalog_selectors.search_items(query=query)[:30] if query else []
        return render(request, "archive/me_deposit_pick.html", {"query": query, "results": results})
    other = code.lower() == OTHER
    item = None
    if not other:
        try:
            item = catalog_selectors.get_published_item(code)
        except NotFound:
            messages.error(request, _('This outcome is not in the catalog; search again or choose "other".'))
            return redirect("archive:me-deposit-new")
    form = DepositForm(request.POST or None, request.FILES or None, other=other, initial={"item_code": code})
    if request.method == "POST" and form.is_valid():
        draft = bool(request.POST.get("draft"))
        try:
            deposit = submit_deposit(
                learner, form.deposit_data(), form.cleaned_data["evidence"], actor=request.user, draft=draft
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            if draft:
                messages.success(request, _("Saved as a draft. Send it when it is complete."))
            else:
                messages.success(
                    request,
                    _("Sent. {org} will review it; you can follow it here.").format(org=learner.org.name),
                )
            return redirect("archive:me-deposit", pk=deposit.pk)
    return render(request, "archive/me_deposit_form.html", {"form": form, "item": item, "other": other})


@learner_page
@require_http_methods(["GET"])
def me_deposit(request: HttpRequest, learner: Learner, pk: int) -> HttpResponse:
    deposit = selectors.get_learner_deposit(learner, pk)
    context = {
        "deposit": deposit,
        "application": deposit.application,
        "history": learner_history(deposit.application),
        "evidence": deposit.evidence.all(),
    }
    return render(request, "archive/me_deposit.html", context)


@learner_page
@require_http_methods(["POST"])
def me_deposit_resubmit(request: HttpRequest, learner: Learner, pk: int) -> HttpResponse:
    """补正: the learner answers a return with a note and, if asked, more files."""
    deposit = selectors.get_learner_deposit(learner, pk)
    try:
        resubmit_deposit(
            deposit,
            note=request.POST.get("note", "")[:500],
            files=request.FILES.getlist("evidence"),
            actor=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Sent again. Your service organisation will review it."))
    return redirect("archive:me-deposit", pk=deposit.pk)


@learner_page
@require_http_methods(["POST"])
def me_deposit_submit(request: HttpRequest, learner: Learner, pk: int) -> HttpResponse:
    """A draft goes to the service organisation, with the files it still lacked."""
    deposit = selectors.get_learner_deposit(learner, pk)
    try:
        submit_deposit_draft(deposit, files=request.FILES.getlist("evidence"), actor=request.user)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("Sent. {org} will review it; you can follow it here.").format(org=deposit.application.org.name)
        )
    return redirect("archive:me-deposit", pk=deposit.pk)


@learner_page
@require_http_methods(["POST"])
def me_deposit_withdraw(request: HttpRequest, learner: Learner, pk: int) -> HttpResponse:
    deposit = selectors.get_learner_deposit(learner, pk)
    try:
        was_draft = deposit.application.status == "draft"
        review_services.withdraw_application(deposit.application, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if was_draft:
            messages.success(request, _("The draft was discarded."))
        else:
            messages.success(request, _("Withdrawn. Nothing will be stored from this application."))
    return redirect("archive:me-deposit", pk=deposit.pk)


def _file_response(evidence: Evidence) -> FileResponse:
    # Photos open in the browser; PDFs download (a browser's PDF viewer refuses sandboxed pages).
    inline = evidence.content_type.startswith("image/")
    response = FileResponse(evidence.file.open("rb"), filename=evidence.filename, as_attachment=not inline)
    response["Content-Type"] = evidence.content_type
    # Shown inline (a photo, a PDF) but never run: no sniffing, no scripts, no framing by others.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@learner_page
@require_http_methods(["GET"])
def me_evidence(request: HttpRequest, learner: Learner, pk: int) -> FileResponse:
    return _file_response(selectors.get_own_evidence(learner, pk))


# --- staff ----------------------------------------------------------------------------------


@staff_view
def learner_archive(request: HttpRequest, account_no: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, "archive.view")
    learner = access_learner(user, account_no, action="archive.view")
    context = _archive_context(request, learner)
    context["deposits"] = selectors.staff_deposits(learner)[:50]
    return render(request, "archive/console/learner_archive.html", context)


@staff_view
def learner_archive_export(request: HttpRequest, account_no: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, "archive.view")
    learner = access_learner(user, account_no, action="archive.view")
    audit.record(actor=user, action="archive.export", obj=learner, org_path=learner.org_path, after={"format": "xlsx"})
    return _xlsx_response(learner)


@staff_view
@require_http_methods(["GET"])
def learner_archive_transcript(request: HttpRequest, account_no: str) -> HttpResponseBase:
    """A learner's 学习成果证明 printed at the counter (logged as ``archive.transcript``)."""
    user = console_user(request)
    require_action(user, "archive.view")
    learner = access_learner(user, account_no, action="archive.view")
    try:
        transcript = transcripts.generate_transcript(learner, actor=user)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, error_text(exc))
        return redirect("archive:learner-archive", account_no=learner.account_no)
    return transcripts.pdf_response(transcript)


@staff_view
def staff_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """One outcome in scope, with its evidence, and the revoke form for those who may."""
    user = console_user(request)
    require_action(user, "archive.view")
    outcome = archive_services.access_outcome(user, pk)
    context = {
        "outcome": outcome,
        "learner": outcome.learner,
        "evidence": selectors.outcome_evidence(outcome),
        "ledger_leaves": ledger_selectors.inclusion_for("outcome", outcome.pk),
        "can_revoke": outcome.status != "revoked"
        and (
            permissions.can(user, archive_services.REVOKE_ACTION, outcome.learner.org_path)
            or permissions.can(user, archive_services.REVOKE_ACTION, outcome.org_path)
        ),
    }
    return render(request, "archive/console/outcome_detail.html", context)


@staff_view
@require_http_methods(["POST"])
def staff_outcome_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    require_action(user, archive_services.REVOKE_ACTION)
    outcome = archive_services.access_outcome(user, pk)
    try:
        archive_services.revoke_outcome(outcome, actor=user, reason=request.POST.get("reason", "")[:2000])
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The outcome is revoked; it stays in the archive and counts for nothing."))
    return redirect("archive:staff-outcome", pk=outcome.pk)


@staff_view
def staff_evidence(request: HttpRequest, pk: int) -> FileResponse:
    user = console_user(request)
    require_action(user, "archive.view")
    evidence = selectors.access_evidence(user, pk)
    audit.record(
        actor=user,
        action="archive.evidence_view",
        obj=evidence,
        org_path=evidence.learner.org_path,
        after={"file": evidence.filename},
    )
    return _file_response(evidence)
