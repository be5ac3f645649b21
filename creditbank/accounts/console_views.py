"""Console pages for learners (``/console/learners/``): search, detail with masked personal data,
logged unmasking, freeze/unfreeze/close, and opening an account at the counter.

Every learner is fetched through ``access_learner`` or ``list_learners`` (data scope), and every
write goes through ``accounts.services``, which checks the role and writes the audit row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditbank.accounts import selectors, services
from creditbank.accounts.access import access_learner
from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.console_forms import CounterOpeningForm, LearnerSearchForm, LearnerStatusForm
from creditbank.accounts.models import Learner
from creditbank.console.decorators import console_user, is_htmx, require_action, staff_view
from creditbank.console.pagination import paginate, query_without_page
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import add_application_error
from creditbank.orgs import permissions
from creditbank.orgs.choices import OrgKind
from creditbank.orgs.models import OrgUnit
from creditbank.reviews.selectors import list_learner_applications_for_staff


@staff_view
def learner_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "accounts.view")
    form = LearnerSearchForm(request.GET or None)
    query = status = ""
    if form.is_valid():
        query, status = form.cleaned_data["q"].strip(), form.cleaned_data["status"]
    learners = selectors.list_learners(user, query=query, status=status).order_by("-id")
    context = {
        "form": form,
        "page_obj": paginate(request, learners),
        "filter_query": query_without_page(request),
        "query": query,
    }
    template = (
        "accounts/console/partials/_learner_rows.html" if is_htmx(request) else "accounts/console/learner_list.html"
    )
    return render(request, template, context)


@staff_view
def learner_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of the learners matching the search, within the user's export scope (masked numbers)."""
    user = console_user(request)
    require_action(user, "accounts.export")
    form = LearnerSearchForm(request.GET or None)
    query = status = ""
    if form.is_valid():
        query, status = form.cleaned_data["q"].strip(), form.cleaned_data["status"]
    lines = services.export_learners_csv(user, query=query, status=status)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _("learners") + ".csv") or ""
    return response


def _status_actions(learner: Learner) -> list[dict[str, Any]]:
    """The buttons offered for the learner's current status (the service has the final word)."""
    actions: list[dict[str, Any]] = []
    if learner.status in (LearnerStatus.ACTIVE, LearnerStatus.PENDING):
        actions.append(
            {
                "status": LearnerStatus.FROZEN,
                "label": _("Freeze"),
                "style": "btn-outline-warning",
                "confirm": _("Freeze this account? The learner will not be able to log in."),
            }
        )
    if learner.status == LearnerStatus.FROZEN:
        target = LearnerStatus.ACTIVE if learner.user_id is not None else LearnerStatus.PENDING
        actions.append(
            {
                "status": target,
                "label": _("Unfreeze"),
                "style": "btn-outline-success",
                "confirm": _("Unfreeze this account?"),
            }
        )
    if learner.status != LearnerStatus.CLOSED:
        actions.append(
            {
                "status": LearnerStatus.CLOSED,
                "label": _("Close"),
                "style": "btn-outline-danger",
                "confirm": _("Close this account? Closing is final."),
            }
        )
    return actions


def _render_detail(request: HttpRequest, learner: Learner, **extra: Any) -> HttpResponse:
    user = console_user(request)
    can_manage = permissions.can(user, "accounts.manage", learner.org_path)
    context = {
        "learner": learner,
        "can_unmask": permissions.can(user, "accounts.unmask", learner.org_path),
        "can_manage": can_manage,
        "status_actions": _status_actions(learner) if can_manage else [],
        "can_view_reviews": permissions.can(user, "reviews.view", learner.org_path),
        "applications": list_learner_applications_for_staff(learner).select_related("org")[:20],
        **extra,
    }
    return render(request, "accounts/console/learner_detail.html", context)


@staff_view
def learner_detail(request: HttpRequest, account_no: str) -> HttpResponse:
    learner = access_learner(console_user(request), account_no)
    return _render_detail(request, learner)


@staff_view
@require_POST
def learner_unmask(request: HttpRequest, account_no: str) -> HttpResponse:
    """Show the full ID and phone numbers once; the service logs ``accounts.unmask_pii``."""
    user = console_user(request)
    learner = access_learner(user, account_no, action="accounts.unmask")
    revealed = services.reveal_learner_pii(learner, actor=user)
    if is_htmx(request):
        response = render(request, "accounts/console/partials/_pii.html", {"learner": learner, "revealed": revealed})
    else:
        response = _render_detail(request, learner, revealed=revealed)
    response["Cache-Control"] = "no-store"
    return response


@staff_view
@require_POST
def learner_status(request: HttpRequest, account_no: str) -> HttpResponse:
    user = console_user(request)
    learner = access_learner(user, account_no, action="accounts.manage")
    form = LearnerStatusForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, learner, status_error=_("Choose a valid status."))
    try:
        learner = services.set_learner_status(learner, actor=user, status=form.cleaned_data["status"])
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        learner.refresh_from_db()
        return _render_detail(request, learner, status_error=exc.message)
    messages.success(request, _("The account is now: {status}.").format(status=learner.get_status_display()))
    return redirect("learners:learner-detail", account_no=learner.account_no)


def _opening_orgs(user: Any) -> Any:
    """Where ``user`` may open accounts: active centres, sub-centres and points in scope."""
    return OrgUnit.objects.visible_to(user, "accounts.open").active().exclude(kind=OrgKind.MANAGEMENT).order_by("path")


@staff_view
def learner_open(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "accounts.open")
    orgs = _opening_orgs(user)
    initial: dict[str, Any] = {}
    first_two = list(orgs.values_list("code", flat=True)[:2])
    if len(first_two) == 1:
        initial["org"] = first_two[0]
    form = CounterOpeningForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            learner = services.open_account(
                actor=user,
                org=data["org"],
                name=data["name"],
                id_type=data["id_type"],
                id_number=data["id_number"],
                phone=data["phone"],
                region=data["region"].code if data["region"] is not None else "",
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
            form.mark_invalid()
        else:
            return redirect("learners:learner-opened", account_no=learner.account_no)
    return render(request, "accounts/console/learner_open.html", {"form": form})


@staff_view
def learner_opened(request: HttpRequest, account_no: str) -> HttpResponse:
    learner = access_learner(console_user(request), account_no)
    return render(request, "accounts/console/learner_opened.html", {"learner": learner})
