"""Public and learner pages: every route × caller, and the completeness check for the whole URLconf.

Console namespaces have their matrix in ``creditbank/console/tests/test_permission_matrix.py``,
bulk imports in ``creditbank/imports/tests/test_permissions.py``, the catalog in
``creditbank/catalog/tests/test_console_permissions.py``, the credential pages in
``creditbank/credentials/tests/test_pages.py``, programmes and rules in
``creditbank/conversion/tests/test_console.py``, the REST API in
``tests/test_api_permission_matrix.py``; each of those checks its own routes are all covered.
This file covers the rest, and fails when a route belongs to no matrix at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

OTHER_MATRICES = {
    "console",
    "orgs",
    "learners",
    "reviews",
    "audit",
    "imports",
    "api",
    "catalog",
    "archive",
    "credentials",
    "conversion",
}

LOGIN = "/accounts/login/"
# route name, method: {caller: (status, where a redirect goes or None)}
ROWS: dict[tuple[str, str], dict[str, tuple[int, str | None]]] = {
    ("portal:home", "get"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("portal:help", "get"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("portal:network", "get"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("accounts:login", "get"): {"anonymous": (200, None), "learner": (302, "/me/"), "staff": (302, "/console/")},
    ("accounts:logout", "post"): {"anonymous": (302, "/"), "learner": (302, "/"), "staff": (302, "/")},
    ("accounts:register", "get"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("accounts:register-done", "get"): {
        "anonymous": (302, "/accounts/register/"),
        "learner": (302, "/accounts/register/"),
        "staff": (302, "/accounts/register/"),
    },
    ("accounts:activate", "get"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("accounts:password-reset", "get"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("accounts:send-code", "post"): {"anonymous": (200, None), "learner": (200, None), "staff": (200, None)},
    ("accounts:large-text", "post"): {"anonymous": (302, "/"), "learner": (302, "/"), "staff": (302, "/")},
    ("accounts:me", "get"): {
        "anonymous": (302, LOGIN + "?next=/me/"),
        "learner": (200, None),
        "staff": (302, "/console/"),
    },
    ("accounts:me-settings", "get"): {
        "anonymous": (302, LOGIN + "?next=/me/settings/"),
        "learner": (200, None),
        "staff": (302, "/console/"),
    },
    ("accounts:me-inbox", "get"): {
        "anonymous": (302, LOGIN + "?next=/me/inbox/"),
        "learner": (200, None),
        "staff": (302, "/console/inbox/"),
    },
    ("accounts:me-resubmit", "post"): {
        "anonymous": (302, LOGIN + "?next=/me/resubmit/"),
        "learner": (302, "/me/"),
        "staff": (302, "/console/"),
    },
    ("set_language", "post"): {"anonymous": (302, "/"), "learner": (302, "/"), "staff": (302, "/")},
    ("recognition:me-recognitions", "get"): {
        "anonymous": (302, LOGIN + "?next=/me/recognitions/"),
        "learner": (200, None),
        "staff": (302, "/console/"),
    },
    ("recognition:me-recognitions", "post"): {
        "anonymous": (302, LOGIN + "?next=/me/recognitions/"),
        "learner": (200, None),
        "staff": (302, "/console/"),
    },
    # the JSON 404 for unknown addresses under /api/v1/ (public on purpose)
    ("api-not-found", "get"): {"anonymous": (404, None), "learner": (404, None), "staff": (404, None)},
}
PATHS = {"api-not-found": "/api/v1/no-such-thing"}
CASES = [(name, method, caller, *expected) for (name, method), row in ROWS.items() for caller, expected in row.items()]


@pytest.fixture
def clients(tree: Any, learner_a: Any, centre_admin: Any) -> dict[str, Client]:
    learner, staff = Client(), Client()
    learner.force_login(learner_a.user)
    staff.force_login(centre_admin)
    return {"anonymous": Client(), "learner": learner, "staff": staff}


@pytest.mark.parametrize(("name", "method", "caller", "status", "location"), CASES)
def test_page_answers_each_caller(clients, name, method, caller, status, location):
    # when
    response = getattr(clients[caller], method)(PATHS.get(name) or reverse(name))
    # then
    assert response.status_code == status
    if location is not None:
        assert response["Location"].startswith(location)
    if name == "api-not-found":
        assert response.json()["code"] == "not_found"


def test_me_settings_change_nothing_for_a_staff_member(clients, centre_admin):
    # a staff member posting to the learner settings is sent away and their password stays
    response = clients["staff"].post(
        reverse("accounts:me-settings"),
        {"old_password": "Staff@pass123", "new_password1": "Changed#2026x", "new_password2": "Changed#2026x"},
    )
    assert response.status_code == 302
    centre_admin.refresh_from_db()
    assert centre_admin.check_password("Staff@pass123")


def _named_routes() -> list[tuple[str | None, str]]:
    found: list[tuple[str | None, str]] = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                found.append((namespace, pattern.name or str(pattern.pattern)))

    walk(get_resolver().url_patterns, None)
    return found


def test_every_route_belongs_to_a_permission_matrix():
    covered_here = {name for name, _method in ROWS}
    missing = []
    for namespace, name in _named_routes():
        if namespace in OTHER_MATRICES:
            continue
        full = f"{namespace}:{name}" if namespace else name
        if full not in covered_here:
            missing.append(full)
    assert missing == []


def test_no_stale_rows():
    names = {f"{namespace}:{name}" if namespace else name for namespace, name in _named_routes()}
    assert sorted(name for name, _method in ROWS if name not in names) == []
