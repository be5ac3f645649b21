"""The public portal: the home page for learners, help, and the directory of the service network."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from creditbank.core import validators
from creditbank.orgs import selectors as org_selectors
from creditbank.orgs.choices import OrgCategory, OrgKind

NETWORK_PAGE_SIZE = 20


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help.html")


def _choice(value: str, allowed: Any) -> str:
    return value if value in allowed else ""


@require_GET
def network(request: HttpRequest) -> HttpResponse:
    """Find a service point: by city and county, kind, category and words; htmx swaps the results."""
    regions = list(org_selectors.list_regions().exclude(level="province").order_by("code"))
    cities = [region for region in regions if region.level == "city"]
    city = _choice(request.GET.get("city", ""), {region.code for region in cities})
    counties = [region for region in regions if region.level != "city" and city and region.code[:4] == city[:4]]
    county = _choice(request.GET.get("county", ""), {region.code for region in counties})
    kind = _choice(request.GET.get("kind", ""), OrgKind.values)
    category = _choice(request.GET.get("category", ""), OrgCategory.values)
    query = validators.normalize_text(request.GET.get("q", ""))[:64]

    orgs = org_selectors.list_public_orgs(region=county or city, kind=kind, category=category, query=query)
    page = Paginator(orgs, NETWORK_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"city": city, "county": county, "kind": kind, "category": category, "q": query}
    querystring = urlencode({key: value for key, value in filters.items() if value})
    context = {
        "page": page,
        "cities": cities,
        "counties": counties,
        "kinds": OrgKind.choices,
        "categories": OrgCategory.choices,
        "filters": filters,
        "querystring": querystring,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/partials/_network_results.html", context)
    return render(request, "portal/network.html", context)
