"""Console pages of the review queue (``/console/reviews/``): opening applications, oldest first,
with the next steps the user's roles grant. Writes go through ``reviews.services``, which check
the role and the state machine, and write the review event and the audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from creditbank.console.decorators import console_user, is_htmx, require_action, staff_view
from creditbank.console.pagination import paginate, query_without_page
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import add_application_error
from creditbank.orgs import permissions
from creditbank.reviews import selectors, services, workflow
from creditbank.reviews.access import access_application, access_for_step
from creditbank.reviews.choices import ApplicationKind, ReviewEventKind
from creditbank.reviews.forms import ApplicationActionForm, BatchForm, QueueFilterForm
from creditbank.reviews.models import Application

E = ReviewEventKind

# The button of each step; the labels are what reviewers (and the end-to-end test) click.
STEPS: dict[str, dict[str, Any]] = {
    E.ACCEPTED: {"label": gettext_lazy("Accept"), "style": "btn-primary", "needs_reason": False},
    E.APPROVED: {"label": gettext_lazy("Pass first review"), "style": "btn-success", "needs_reason": False},
    E.FIRST_REVIEWED: {"label": gettext_lazy("First review passed"), "style": "btn-primary", "needs_reason": False},
    E.CERTIFIED: {"label": gettext_lazy("Certify"), "style": "btn-success", "needs_reason": False},
    E.RETURNED: {"label": gettext_lazy("Return for supplement"), "style": "btn-outline-warning", "needs_reason": True},
    E.REJECTED: {"label": gettext_lazy("Reject"), "style": "btn-outline-danger", "needs_reason": True},
}

SERVICES: dict[str, Callable[..., Application]] = {
    E.ACCEPTED: services.accept_application,
    E.APPROVED: services.approve_first_review,
    E.CERTIFIED: services.certify_application,
    E.FIRST_REVIEWED: services.first_review_deposit,
    E.RETURNED: services.return_application,
    E.REJECTED: services.reject_application,
}

BATCH_EVENTS = (E.ACCEPTED, E.APPROVED, E.FIRST_REVIEWED, E.CERTIFIED, E.REJECTED)


def _granted(user: Any, event: str, kind: str | None = None, org_path: str | None = None) -> bool:
    """Whether the user's roles grant ``event`` (for one kind, or for some kind)."""
    kinds = [kind] if kind else list(workflow.KINDS)
    actions = {workflow.required_action(k, event) for k in kinds} - {None}
    return any(permissions.can(user, action, org_path) for action in actions if action)


@staff_view
def queue(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "reviews.view")
    form = QueueFilterForm(request.GET or None)
    applications = selectors.list_review_queue(user, filters=form.queue_filter())
    page_obj = paginate(request, applications)
    now = timezone.now()
    for application in page_obj:
        application.days_waiting, application.is_overdue = selectors.waiting_days(application, now)
    context = {
        "form": form,
        "page_obj": page_obj,
        "filter_query": query_without_page(request),
        "status_value": (form.cleaned_data.get("status") if form.is_bound and form.is_valid() else "") or "open",
        "batch_steps": [(event, STEPS[event]["label"]) for event in BATCH_EVENTS if _granted(user, event)],
    }
    template = "reviews/partials/_queue_rows.html" if is_htmx(request) else "reviews/queue.html"
    return render(request, template, context)


def _render_detail(
    request: HttpRequest, application: Application, *, form: ApplicationActionForm | None = None, failed_event: str = ""
) -> HttpResponse:
    user = console_user(request)
    allowed = set(services.steps_for(user, application))  # the kind's steps, with the levels it may skip
    steps = [
        {"event": event, **step}
        for event, step in STEPS.items()  # in the order of STEPS: forward first, reject last
        if event in allowed
    ]
    deposit = getattr(application, "deposit", None) if application.kind == ApplicationKind.DEPOSIT else None
    conversion = (
        getattr(application, "conversion_request", None) if application.kind == ApplicationKind.CONVERSION else None
    )
    context = {
        "conversion": conversion,
        "application": application,
        "learner": application.learner,
        "events": application.events.select_related("actor", "org").order_by("created_at", "id"),
        "steps": steps,
        "form": form,
        "failed_event": failed_event,
        "deposit": deposit,
        "evidence": deposit.evidence.all() if deposit is not None else [],
        "can_view_evidence": deposit is not None and permissions.can(user, "archive.view"),
    }
    return render(request, "reviews/application_detail.html", context)


@staff_view
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_application(console_user(request), pk)
    return _render_detail(request, application)


@staff_view
@require_POST
def application_action(request: HttpRequest, pk: int) -> HttpResponse:
    user = console_user(request)
    application = access_for_step(user, pk)
    form = ApplicationActionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, form=form)
    event = form.cleaned_data["event"]
    if not _granted(user, event, application.kind, application.org_path):
        services.record_refusal(
            application, actor=user, event=event, code=services.role_refusal_code(application.kind, event)
        )
        raise PermissionDenied
    extra = {"item_code": form.cleaned_data["item_code"]} if event == E.CERTIFIED else {}
    try:
        application = SERVICES[event](application, actor=user, note=form.cleaned_data["note"], **extra)
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        add_application_error(form, exc)
        form.mark_invalid()
        application.refresh_from_db()
        return _render_detail(request, application, form=form, failed_event=event)
    messages.success(
        request,
        _("Application #{number}: {step}. Status now: {status}.").format(
            number=application.pk, step=STEPS[event]["label"], status=application.get_status_display()
        ),
    )
    return redirect("reviews:application-detail", pk=application.pk)


@staff_view
@require_POST
def batch(request: HttpRequest) -> HttpResponse:
    """Move every selected application in scope; those outside it or in the wrong state are reported."""
    user = console_user(request)
    require_action(user, "reviews.view")
    form = BatchForm(request.POST)
    back = reverse("reviews:queue")
    status = request.POST.get("status", "")
    if status:
        back += "?" + urlencode({"status": status})
    if not form.is_valid():
        for error in [message for messages_ in form.errors.values() for message in messages_]:
            messages.error(request, str(error))
        return redirect(back)
    event = form.cleaned_data["event"]
    ids: list[int] = form.cleaned_data["ids"]
    # Each application is checked by its kind's step (role, kind of organisation, state).
    applications = list(
        Application.objects.visible_to(user).filter(pk__in=ids).select_related("learner").order_by("submitted_at", "id")
    )
    if not _granted(user, event):
        for application in applications:
            services.record_refusal(
                application, actor=user, event=event, code=services.role_refusal_code(application.kind, event)
            )
        raise PermissionDenied
    moved, failures = services.apply_batch(applications, actor=user, event=event, note=form.cleaned_data["note"])
    if moved:
        messages.success(
            request, _("{step}: {count} applications done.").format(step=STEPS[event]["label"], count=moved)
        )
    missing = len(ids) - len(applications)
    if missing:
        messages.warning(
            request, _("{count} selected applications were not found or are outside your scope.").format(count=missing)
        )
    for failure in failures[:10]:
        messages.error(
            request, _("Application #{number}: {message}").format(number=failure["id"], message=failure["message"])
        )
    if len(failures) > 10:
        messages.error(request, _("…and {count} more could not be processed.").format(count=len(failures) - 10))
    return redirect(back)


# --- the inbox (站内消息) ----------------------------------------------------------------------


def _inbox(request: HttpRequest, template: str) -> HttpResponse:
    from creditbank.reviews.models import Notification

    user: Any = request.user
    mine = Notification.objects.filter(recipient_id=user.pk)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect(request.path)
    context = {"notifications": list(mine[:100]), "unread": mine.filter(read_at__isnull=True).count()}
    return render(request, template, context)


@staff_view
def console_inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request, "reviews/console_inbox.html")


@login_required
def me_inbox(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "is_staff_member", False):
        return redirect("reviews:console-inbox")
    return _inbox(request, "reviews/me_inbox.html")
