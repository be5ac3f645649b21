"""Console pages of degree-upgrade programmes and their conversion rules (read-only for now):
``/console/conversion/`` and ``/console/conversion/<code>/``.

Staff with ``conversion.manage`` see the programmes of their subtree (the management centre
sees all); another centre's programme is a 404. Programmes and rules are written by the imports
(``creditbank import-programmes``, ``import-rules``) and the services.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from creditbank.console.decorators import console_user, require_action, staff_view
from creditbank.console.pagination import paginate, query_without_page
from creditbank.conversion import selectors

VIEW_ACTION = "conversion.manage"


@staff_view
def programme_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    query = request.GET.get("q", "")[:64]
    context = {
        "query": query,
        "page_obj": paginate(request, selectors.list_console_programmes(user, query=query)),
        "filter_query": query_without_page(request),
    }
    return render(request, "conversion/console/programme_list.html", context)


@staff_view
def programme_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    programme = selectors.access_console_programme(user, code)
    context = {
        "programme": programme,
        "groups": selectors.programme_groups(programme),
        "rules": selectors.console_rules(programme),
    }
    return render(request, "conversion/console/programme_detail.html", context)
