"""The console's front page: what is in the user's scope at a glance."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.console.decorators import console_user, staff_view
from creditbank.orgs import permissions
from creditbank.orgs.choices import OrgKind
from creditbank.orgs.models import OrgUnit
from creditbank.reviews import selectors as review_selectors


@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    context: dict[str, Any] = {
        "can_view_learners": permissions.can(user, "accounts.view"),
        "can_view_reviews": permissions.can(user, "reviews.view"),
        "can_view_orgs": permissions.can(user, "orgs.view"),
    }
    if context["can_view_learners"]:
        by_status = dict(
            Learner.objects.visible_to(user, "accounts.view")
            .order_by()
            .values_list("status")
            .annotate(count=Count("id"))
        )
        context["learners_by_status"] = [
            {"status": status, "label": label, "count": by_status.get(status, 0)}
            for status, label in LearnerStatus.choices
        ]
        context["learners_total"] = sum(by_status.values())
        by_kind = dict(
            Learner.objects.visible_to(user, "accounts.view")
            .order_by()
            .values_list("org__kind")
            .annotate(count=Count("id"))
        )
        context["chart"] = {
            "title": _("Learners"),
            "labels": [
                str(label) for kind, label in OrgKind.choices if kind != OrgKind.MANAGEMENT or by_kind.get(kind)
            ],
            "values": [
                by_kind.get(kind, 0)
                for kind, _label in OrgKind.choices
                if kind != OrgKind.MANAGEMENT or by_kind.get(kind)
            ],
        }
    if context["can_view_reviews"]:
        open_counts = review_selectors.count_open_by_status(user)
        context["open_applications"] = sum(open_counts.values())
        context["open_by_status"] = open_counts
        context["queue_tile"] = review_selectors.queue_tile(user)
        context["queue_by_org"] = review_selectors.queue_tiles_by_org(user)
    if context["can_view_orgs"]:
        by_org_kind = dict(
            OrgUnit.objects.visible_to(user, "orgs.view").order_by().values_list("kind").annotate(count=Count("id"))
        )
        context["orgs_total"] = sum(by_org_kind.values())
        context["orgs_by_kind"] = [
            {"label": label, "count": by_org_kind.get(kind, 0)} for kind, label in OrgKind.choices
        ]
    return render(request, "console/dashboard.html", context)
