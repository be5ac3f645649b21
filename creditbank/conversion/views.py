"""The learner's side of conversion (``/me/programmes/``): the programmes their outcomes already
convert into, with the credits, courses and warnings, and a one-click application."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from creditbank.accounts.models import Learner
from creditbank.archive.views import learner_page
from creditbank.conversion import applications, offers
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import error_text


@learner_page
@require_http_methods(["GET"])
def me_programmes(request: HttpRequest, learner: Learner) -> HttpResponse:
    return render(request, "conversion/me_programmes.html", {"offers": offers.offers_for(learner)})


@learner_page
@require_http_methods(["POST"])
def me_programme_apply(request: HttpRequest, learner: Learner, code: str) -> HttpResponse:
    try:
        made = applications.apply(learner, code, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("Sent: {org} reviews your application for {credits} credits; you will hear of every step.").format(
                org=made.application.org.name, credits=made.credits_applied
            ),
        )
    return redirect("conversion:me-programmes")
