"""Console pages for bulk imports: jobs in scope, upload, preview and decision, progress, reports.

Views are thin: jobs come through ``access_import_job`` (data scope), writes through
``imports.services``, which check the role and write the audit rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditbank.audit import services as audit
from creditbank.console.decorators import console_user, is_htmx, require_action, staff_view
from creditbank.console.pagination import paginate
from creditbank.core.errors import ApplicationError, Forbidden
from creditbank.core.forms import add_application_error
from creditbank.imports import outcomes, selectors, services
from creditbank.imports.access import access_import_job
from creditbank.imports.choices import ImportKind, ImportStatus
from creditbank.imports.forms import LearnerUploadForm, OutcomeUploadForm
from creditbank.imports.models import ImportJob
from creditbank.imports.readers import FileRefused
from creditbank.orgs import permissions

ACTION = "accounts.import"
OUTCOME_ACTION = "archive.import"
ERROR_ROWS_SHOWN = 200


def _require_import_role(user: Any) -> None:
    """403 unless the user may run some kind of import; each job is then fetched in the scope
    of its own kind (``access_import_job``)."""
    if not (permissions.can(user, ACTION) or permissions.can(user, OUTCOME_ACTION)):
        raise PermissionDenied


@staff_view
def job_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    _require_import_role(user)
    context = {
        "page_obj": paginate(request, selectors.list_import_jobs(user)),
        "may_import_learners": permissions.can(user, ACTION),
        "may_import_outcomes": permissions.can(user, OUTCOME_ACTION),
    }
    return render(request, "imports/job_list.html", context)


def _add_refusal(form: forms.Form, exc: ApplicationError) -> None:
    if isinstance(exc, FileRefused):
        form.add_error("file", forms.ValidationError(exc.message, code=exc.code))
        for detail in exc.details:
            message = str(detail.get("message", ""))
            if message and message != exc.message:
                form.add_error("file", forms.ValidationError(message, code=str(detail.get("code", exc.code))))
        return
    add_application_error(form, exc)


@staff_view
def job_create(request: HttpRequest) -> HttpResponse:
    return _create(request, LearnerUploadForm, ImportKind.LEARNERS, ACTION)


@staff_view
def outcome_job_create(request: HttpRequest) -> HttpResponse:
    """Bulk deposit of outcomes (学习成果批量存入): the same upload, preview and import."""
    return _create(request, OutcomeUploadForm, ImportKind.OUTCOMES, OUTCOME_ACTION)


def _create(request: HttpRequest, form_class: type[LearnerUploadForm], kind: str, action: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, action)
    form = form_class(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_import_job(
                actor=user, org=form.cleaned_data["org"], upload=form.cleaned_data["file"], kind=kind
            )
        except ApplicationError as exc:
            _add_refusal(form, exc)
        else:
            return redirect("imports:job-detail", pk=job.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "imports/job_create.html", {"form": form, "kind": kind, "kinds": ImportKind}, status=status)


@staff_view
def learner_template(request: HttpRequest) -> HttpResponse:
    require_action(console_user(request), ACTION)
    return _xlsx(services.learner_template(), _("learner-import-template") + ".xlsx")


@staff_view
def outcome_template(request: HttpRequest) -> HttpResponse:
    require_action(console_user(request), OUTCOME_ACTION)
    return _xlsx(outcomes.outcome_template(), _("outcome-deposit-template") + ".xlsx")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    return response


def _job_context(job: ImportJob) -> dict[str, Any]:
    return {
        "job": job,
        "progress": selectors.job_progress(job),
        "error_rows": job.error_sample[:ERROR_ROWS_SHOWN],
        "errors_hidden": max(0, job.errors - min(len(job.error_sample), ERROR_ROWS_SHOWN)),
        "statuses": ImportStatus,
        "kinds": ImportKind,
    }


@staff_view
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    _require_import_role(user)
    job = access_import_job(user, pk)
    return render(request, "imports/job_detail.html", _job_context(job))


@staff_view
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled partial: always 200 for a job in scope; once the job has moved on, htmx is told
    to reload the page, which then shows the preview or the result."""
    user = console_user(request)
    _require_import_role(user)
    job = access_import_job(user, pk)
    response = render(request, "imports/partials/_progress.html", _job_context(job))
    if not job.is_active and is_htmx(request):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@staff_view
def job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    _require_import_role(user)
    job = access_import_job(user, pk)
    try:
        services.confirm_learner_import(job, actor=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("imports:job-detail", pk=job.pk)


@require_POST
@staff_view
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    _require_import_role(user)
    job = access_import_job(user, pk)
    try:
        job = services.cancel_learner_import(job, actor=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == ImportStatus.CANCELLED:
            messages.info(request, _("Import cancelled; nothing was imported."))
        else:
            messages.info(request, _("Stopping the import; everything it wrote will be rolled back."))
    return redirect("imports:job-detail", pk=job.pk)


@staff_view
def job_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The full error report (rows as uploaded, with their reasons). It holds unmasked ID and
    phone numbers, so every download is logged."""
    user = console_user(request)
    _require_import_role(user)
    job = access_import_job(user, pk)
    if not job.error_report:
        raise Http404
    # Unmasked numbers: the person who uploaded the file, or a role that may see them.
    if job.actor_id != user.pk and not permissions.can(user, "accounts.unmask", job.org_path):
        raise Forbidden(code="role_cannot_accounts_unmask")
    audit.record(actor=user, action="imports.download_report", obj=job)
    with job.error_report.open("rb") as handle:
        content = handle.read()
    return _xlsx(content, job.error_report.name.rsplit("/", 1)[-1])
