"""Console pages for the learning-outcome catalog (``/console/catalog/``) and the standards
(``/console/standards/``).

Centres (``catalog.propose``) browse the catalog and propose drafts; the management centre
(``catalog.publish`` at the root) publishes, edits published items (a new version), retires,
imports and manages the standards. Items are fetched through ``selectors.access_item`` (a draft
of another centre is a 404) and every write goes through the services, which check the role
again and write the audit row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditbank.catalog import selectors, services, standards, transfer
from creditbank.catalog.choices import ItemStatus, StandardKind
from creditbank.catalog.console_forms import (
    AttachmentForm,
    CatalogImportForm,
    ItemForm,
    ItemSearchForm,
    StandardForm,
)
from creditbank.catalog.models import StandardAttachment
from creditbank.console.decorators import console_user, is_htmx, require_action, staff_view
from creditbank.console.pagination import paginate, query_without_page
from creditbank.core.errors import ApplicationError, NotFound
from creditbank.core.forms import add_application_error, error_text
from creditbank.imports import reports
from creditbank.imports.readers import FileRefused

VIEW_ACTION = "catalog.propose"
_IMPORT_SESSION_KEY = "catalog_import_files"
_IMPORT_DIR = "catalog-imports"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    return response


# --- items ----------------------------------------------------------------------------------


@staff_view
def item_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    form = ItemSearchForm(request.GET or None)
    items = selectors.list_console_items(user, **form.filters())
    context = {
        "form": form,
        "page_obj": paginate(request, items),
        "filter_query": query_without_page(request),
        "can_publish": services.may_publish(user),
    }
    template = "catalog/console/partials/_item_rows.html" if is_htmx(request) else "catalog/console/item_list.html"
    return render(request, template, context)


@staff_view
def item_create(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    can_publish = services.may_publish(user)
    form = ItemForm(request.POST or None, can_publish=can_publish)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.create_item(form.item_data(), actor=user, publish=bool(form.cleaned_data.get("publish")))
        except ApplicationError as exc:
            add_application_error(
                form, exc, field_map={"type": "type", "standard": "standard", "discipline": "discipline_code"}
            )
        else:
            messages.success(request, _("Catalog item {code} saved.").format(code=item.code))
            return redirect("catalog:item-detail", code=item.code)
    return render(request, "catalog/console/item_form.html", {"form": form, "item": None})


def _detail_context(user: Any, code: str) -> dict[str, Any]:
    item = selectors.access_item(user, code)
    can_publish = services.may_publish(user)
    editable = item.status == ItemStatus.PUBLISHED and can_publish
    editable = editable or (item.status == ItemStatus.DRAFT and services.may_edit_draft(user, item))
    return {
        "item": item,
        "versions": selectors.item_versions(item.code),
        "can_publish": can_publish,
        "can_edit": editable,
    }


@staff_view
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    return render(request, "catalog/console/item_detail.html", _detail_context(user, code))


@staff_view
def item_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    context = _detail_context(user, code)
    item = context["item"]
    if not context["can_edit"]:
        return render(request, "catalog/console/item_detail.html", context, status=403)
    form = ItemForm(request.POST or None, item=item, initial=ItemForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.update_item(item, form.item_data(), actor=user)
        except ApplicationError as exc:
            add_application_error(form, exc, field_map={"discipline": "discipline_code"})
        else:
            if saved.version != item.version:
                messages.success(request, _("Saved as version {version}.").format(version=saved.version))
            else:
                messages.success(request, _("Draft saved."))
            return redirect("catalog:item-detail", code=saved.code)
    return render(request, "catalog/console/item_form.html", {"form": form, "item": item})


def _state_change(request: HttpRequest, code: str, change: Any, done: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    item = selectors.access_item(user, code)
    try:
        change(item, actor=user)
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("catalog:item-detail", code=item.code)


@staff_view
@require_POST
def item_publish(request: HttpRequest, code: str) -> HttpResponse:
    return _state_change(request, code, services.publish_item, _("Published."))


@staff_view
@require_POST
def item_retire(request: HttpRequest, code: str) -> HttpResponse:
    return _state_change(request, code, services.retire_item, _("Retired: no new outcome can be stored under it."))


# --- import and export ----------------------------------------------------------------------


@staff_view
def catalog_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require_action(console_user(request), VIEW_ACTION)
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        return _download(transfer.export_xlsx(), f"{_('catalog')}-{stamp}.xlsx", _XLSX)
    return _download(transfer.export_csv(), f"{_('catalog')}-{stamp}.csv", "text/csv; charset=utf-8")


@staff_view
def catalog_template(request: HttpRequest) -> HttpResponse:
    require_action(console_user(request), VIEW_ACTION)
    example = [
        "1X-WEB-2",
        "Web前端开发职业技能等级证书（中级）",
        "1+X证书",
        "C10001",
        "工业和信息化部教育与考试中心",
        "5",
        "",
        "",
        "3",
    ]
    instructions = [
        _("How to fill in this template"),
        _("One catalog item per row; keep the header row as it is."),
        _(
            "成果编码 (required): 1 to 32 letters, digits, dots, hyphens or underscores; a code already in the catalog updates that item (a new version)."
        ),
        _("成果类型 (required): one of the outcome types, e.g. 学历教育课程, 1+X证书, 社区与老年教育."),
        _("颁发机构编码 (required) and 颁发机构名称: an unknown issuer code creates the issuer, with this name."),
        _(
            "等级: framework level 1 to 10. 学分: leave empty to compute from 学时 (16 hours a credit) or, for certificates, from the level."
        ),
        _("有效期(年) (optional): how many years the outcome stays valid."),
    ]
    content = reports.template_workbook(transfer.CATALOG_COLUMNS, example, instructions)
    return _download(content, _("catalog-template") + ".xlsx", _XLSX)


def _remember_upload(request: HttpRequest, upload: Any) -> str:
    """Keep the file between preview and import, under a name only this session knows. A session
    keeps one waiting file (a new upload replaces it), and files left by sessions that never
    confirmed are swept after a day."""
    for token in list(request.session.get(_IMPORT_SESSION_KEY, {})):
        _forget_upload(request, token)
    _sweep_stale_uploads()
    suffix = Path(upload.name or "").suffix.lower()[:6]
    token = secrets.token_urlsafe(16)
    stored = default_storage.save(f"{_IMPORT_DIR}/{token}{suffix}", upload)
    request.session[_IMPORT_SESSION_KEY] = {token: {"path": stored, "name": Path(upload.name or "").name[:200]}}
    return token


def _sweep_stale_uploads() -> None:
    cutoff = timezone.now() - dt.timedelta(days=1)
    try:
        _dirs, names = default_storage.listdir(_IMPORT_DIR)
    except FileNotFoundError:
        return
    for name in names:
        path = f"{_IMPORT_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue


def _forget_upload(request: HttpRequest, token: str) -> None:
    files = dict(request.session.get(_IMPORT_SESSION_KEY, {}))
    entry = files.pop(token, None)
    request.session[_IMPORT_SESSION_KEY] = files
    if entry:
        default_storage.delete(entry["path"])


def _run_import(request: HttpRequest, path: str, name: str, *, draft: bool, strict: bool, dry_run: bool) -> Any:
    errors: list[dict[str, Any]] = []

    def collect(row_error: transfer.RowError) -> None:
        if len(errors) < 500:
            errors.append({"line": row_error.line, "reasons": row_error.reasons})

    outcome = transfer.run_catalog_import(
        default_storage.path(path),
        filename=name,
        draft=draft,
        strict=strict,
        dry_run=dry_run,
        on_row_error=collect,
        actor=console_user(request),
    )
    return outcome, errors


@staff_view
def catalog_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview of every row (nothing stored) → import. The file waits, between the two,
    in private storage under a random name held by the session."""
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    form = CatalogImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "can_publish": services.may_publish(user)}
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        entry = request.session.get(_IMPORT_SESSION_KEY, {}).get(token)
        if entry is None:
            messages.error(request, _("The uploaded file is no longer available; please upload it again."))
            return redirect("catalog:catalog-import")
        draft, strict = request.POST.get("draft") == "1", request.POST.get("strict") == "1"
        try:
            outcome, errors = _run_import(
                request, entry["path"], entry["name"], draft=draft, strict=strict, dry_run=False
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
            return redirect("catalog:catalog-import")
        finally:
            _forget_upload(request, token)
        context.update(result=outcome, errors=errors, filename=entry["name"])
        return render(request, "catalog/console/import.html", context)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        draft, strict = form.cleaned_data["draft"], form.cleaned_data["strict"]
        token = _remember_upload(request, upload)
        entry = request.session[_IMPORT_SESSION_KEY][token]
        try:
            outcome, errors = _run_import(
                request, entry["path"], entry["name"], draft=draft, strict=strict, dry_run=True
            )
        except FileRefused as exc:
            _forget_upload(request, token)
            add_application_error(form, exc, field_map={"": "file"})
        except ApplicationError as exc:
            _forget_upload(request, token)
            if exc.status == 403:
                raise
            add_application_error(form, exc)
        except BaseException:
            _forget_upload(request, token)
            raise
        else:
            context.update(
                preview=outcome, errors=errors, token=token, draft=draft, strict=strict, filename=entry["name"]
            )
    return render(request, "catalog/console/import.html", context)


# --- standards ------------------------------------------------------------------------------


@staff_view
def standard_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    query = request.GET.get("q", "")[:64]
    kind = request.GET.get("kind", "")
    kind = kind if kind in StandardKind.values else ""
    context = {
        "page_obj": paginate(request, selectors.list_standards(query=query, kind=kind)),
        "filter_query": query_without_page(request),
        "query": query,
        "kind": kind,
        "kinds": StandardKind.choices,
        "can_publish": services.may_publish(user),
    }
    return render(request, "catalog/console/standard_list.html", context)


def _standard_or_404(pk: int) -> Any:
    return selectors.get_standard(pk)


@staff_view
def standard_create(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    services.require_publish(user)
    form = StandardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            standard = standards.create_standard(form.standard_data(), actor=user)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Standard saved."))
            return redirect("catalog:standard-detail", pk=standard.pk)
    return render(request, "catalog/console/standard_form.html", {"form": form, "standard": None})


@staff_view
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    standard = _standard_or_404(pk)
    context = {
        "standard": standard,
        "attachments": standard.attachments.all(),
        "items": selectors.governed_items(standard)[:200],
        "can_publish": services.may_publish(user),
        "attachment_form": AttachmentForm(),
    }
    return render(request, "catalog/console/standard_detail.html", context)


@staff_view
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    services.require_publish(user)
    standard = _standard_or_404(pk)
    form = StandardForm(request.POST or None, initial=StandardForm.initial_for(standard))
    if request.method == "POST" and form.is_valid():
        try:
            standards.update_standard(standard, form.standard_data(), actor=user)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Standard saved."))
            return redirect("catalog:standard-detail", pk=standard.pk)
    return render(request, "catalog/console/standard_form.html", {"form": form, "standard": standard})


@staff_view
@require_POST
def standard_attach(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    services.require_publish(user)
    standard = _standard_or_404(pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            standards.add_attachment(standard, form.cleaned_data["file"], actor=user)
        except ApplicationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Attachment added."))
    else:
        messages.error(request, _("Choose a file to attach."))
    return redirect("catalog:standard-detail", pk=standard.pk)


def _attachment_or_404(pk: int, attachment_id: int) -> StandardAttachment:
    attachment = StandardAttachment.objects.filter(pk=attachment_id, standard_id=pk).select_related("standard").first()
    if attachment is None:
        raise NotFound()
    return attachment


@staff_view
@require_POST
def standard_detach(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    user = console_user(request)
    services.require_publish(user)
    standards.remove_attachment(_attachment_or_404(pk, attachment_id), actor=user)
    messages.success(request, _("Attachment removed."))
    return redirect("catalog:standard-detail", pk=pk)


@staff_view
def standard_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    require_action(console_user(request), VIEW_ACTION)
    attachment = _attachment_or_404(pk, attachment_id)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
    response["Content-Type"] = attachment.content_type
    return response
