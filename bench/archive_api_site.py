"""Bench only (``bench/archive_api.py``): the product's settings and URLs plus one baseline view.

Used as ``DJANGO_SETTINGS_MODULE`` *and* as ``ROOT_URLCONF``, so that the benchmark's server
serves the real API and, beside it, ``GET /bench/minimal?learner=N``: the issue's "minimal
Django JSON view doing one indexed query", through the same middleware, settings, server and
database connections. Nothing here is part of the product.
"""

from __future__ import annotations

from typing import Any

from creditbank.settings import *  # noqa: F403 - the product's settings, unchanged

ROOT_URLCONF = "bench.archive_api_site"


def minimal(request: Any) -> Any:
    """One indexed query (``learner_id = ?`` on the natural-key index), a small JSON answer."""
    from django.http import JsonResponse

    from creditbank.archive.models import Outcome

    learner = int(request.GET.get("learner", "0") or 0)
    rows = list(Outcome.objects.filter(learner_id=learner).values_list("id", "item_code")[:10])
    return JsonResponse({"learner": learner, "outcomes": [{"id": pk, "code": code} for pk, code in rows]})


def __getattr__(name: str) -> Any:
    # The URL patterns are built when Django asks for them, after the settings are loaded:
    # include() imports the product's urlconf, which needs the app registry.
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/minimal", minimal), path("", include("creditbank.urls"))]
    raise AttributeError(name)
