"""Helpers shared by the console page tests (fixtures live in the root conftest)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.test import Client
from django.urls import reverse

from creditbank.accounts.choices import LearnerStatus, UserKind
from creditbank.accounts.models import User
from creditbank.accounts.tests.factories import make_learner
from creditbank.orgs.models import OrgUnit
from creditbank.reviews import services as review_services
from creditbank.reviews.models import Application


def staff_without_membership_client() -> Client:
    user = User.objects.create_user(username="nomember", password="Staff@pass123", kind=UserKind.STAFF)
    client = Client()
    client.force_login(user)
    return client


def assert_redirects_to_login(response: Any) -> None:
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("accounts:login")


def make_opening_application(org: OrgUnit) -> Application:
    """A self-registered learner's opening application, as ``register_learner`` leaves it."""
    learner = make_learner(org, status=LearnerStatus.PENDING, password=None)
    return review_services.submit_application(kind="account_opening", learner=learner, org=org, actor=None)


def route_names(*namespaces: str) -> set[str]:
    """Every named route of these URL namespaces, as ``namespace:name`` (for the completeness
    checks of the permission matrices)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace in namespaces and pattern.name:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return names
