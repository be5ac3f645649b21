"""Browsing the operation and login logs (``/console/audit/``). Read-only: the application
only ever appends to these tables, and nothing here edits or deletes a row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from creditbank.audit import selectors
from creditbank.console.decorators import console_user, is_htmx, require_action, staff_view
from creditbank.console.forms import BootstrapFormMixin
from creditbank.console.pagination import paginate, query_without_page


class _LogFilterForm(BootstrapFormMixin, forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.GenericIPAddressField(label=_("IP address"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        for field, value in (("date_from", start), ("date_to", end)):
            if value and not dt.date(1900, 1, 1) <= value <= dt.date(9000, 12, 31):
                self.add_error(field, _("Use a date between the years 1900 and 9000."))
        if start and end and start > end and not self.errors:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def period(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Whole days in the platform's time zone: ``[from 00:00, to + 1 day 00:00)``."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        since = timezone.make_aware(dt.datetime.combine(start, dt.time.min)) if start else None
        until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)) if end else None
        return since, until


class AuditFilterForm(_LogFilterForm):
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        help_text=_("An action such as accounts.open, or an app such as accounts."),
    )
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=200,
        help_text=_("Type (accounts.learner), ID, or part of its name."),
    )
    field_order = ["actor", "action", "object", "date_from", "date_to", "ip"]


class LoginFilterForm(_LogFilterForm):
    identifier = forms.CharField(
        label=_("Login name"),
        required=False,
        max_length=150,
        help_text=_("As typed: username, account number, ID or phone number."),
    )
    method = forms.CharField(label=_("Method"), required=False, max_length=32)
    success = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", _("All")), ("1", _("Succeeded")), ("0", _("Failed"))]
    )
    field_order = ["identifier", "method", "success", "date_from", "date_to", "ip"]


@staff_view
@require_safe
def entry_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "audit.view")
    form = AuditFilterForm(request.GET or None)
    entries = selectors.list_audit_entries(user)
    if form.is_valid():
        data = form.cleaned_data
        since, until = form.period()
        entries = selectors.list_audit_entries(
            user, action=data["action"].strip(), actor_name=data["actor"].strip(), since=since, until=until
        )
        if data["ip"]:
            entries = entries.filter(ip=data["ip"])
        target = data["object"].strip()
        if target:
            entries = entries.filter(
                Q(object_type=target.lower()) | Q(object_id=target) | Q(object_repr__icontains=target)
            )
    elif form.is_bound:
        entries = entries.none()
    context = {"form": form, "page_obj": paginate(request, entries), "filter_query": query_without_page(request)}
    template = "audit/partials/_entry_rows.html" if is_htmx(request) else "audit/entry_list.html"
    return render(request, template, context)


@staff_view
@require_safe
def login_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "audit.view")
    form = LoginFilterForm(request.GET or None)
    entries = selectors.list_login_entries(user)
    if form.is_valid():
        data = form.cleaned_data
        since, until = form.period()
        success = {"1": True, "0": False}.get(data["success"])
        entries = selectors.list_login_entries(
            user,
            identifier=data["identifier"],
            method=data["method"].strip(),
            is_success=success,
            since=since,
            until=until,
        )
        if data["ip"]:
            entries = entries.filter(ip=data["ip"])
    elif form.is_bound:
        entries = entries.none()
    context = {"form": form, "page_obj": paginate(request, entries), "filter_query": query_without_page(request)}
    template = "audit/partials/_login_rows.html" if is_htmx(request) else "audit/login_list.html"
    return render(request, template, context)
