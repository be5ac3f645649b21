"""The learner's learning map (学习地图) pages: ``/me/programmes/map/`` (pick any open programme)
and ``/me/programmes/<code>/map/`` (the map: a chart over a plain list that works without
JavaScript). Only the signed-in learner's own data; a closed or unknown programme is a 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from creditbank.accounts.models import Learner
from creditbank.archive.views import learner_page
from creditbank.conversion import learning_map, selectors

PICK_LIMIT = 100


@learner_page
@require_http_methods(["GET"])
def me_programme_maps(request: HttpRequest, learner: Learner) -> HttpResponse:
    query = request.GET.get("q", "")[:64]
    programmes = list(selectors.search_programmes(query=query)[: PICK_LIMIT + 1])
    context = {"query": query, "programmes": programmes[:PICK_LIMIT], "more": len(programmes) > PICK_LIMIT}
    return render(request, "conversion/me_programme_maps.html", context)


@learner_page
@require_http_methods(["GET"])
def me_programme_map(request: HttpRequest, learner: Learner, code: str) -> HttpResponse:
    programme = selectors.get_open_programme(code)  # NotFound → 404
    plan = learning_map.learning_map(learner, programme)
    context = {
        "programme": programme,
        "map": plan,
        "chart": learning_map.map_report(plan),
        "hours_per_credit": learning_map.HOURS_PER_CREDIT,
    }
    return render(request, "conversion/me_programme_map.html", context)
