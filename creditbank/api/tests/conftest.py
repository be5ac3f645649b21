"""Fixtures for the HTTP contract tests of the API (the org tree and role clients are in the root conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from creditbank.api.tests.helpers import bearer_client, make_opening_application
from creditbank.orgs.tests.factories import make_staff


@pytest.fixture
def bearer() -> Callable[[Any], Client]:
    """``bearer(user)`` → a client that sends a fresh bearer token of ``user`` and no session."""
    return bearer_client


@pytest.fixture
def root_reviewer(tree: Any) -> Any:
    return make_staff(tree.mc, "reviewer", username="root_reviewer")


@pytest.fixture
def submitted_application(tree: Any) -> Any:
    """A self-registration in A-PT waiting to be accepted."""
    return make_opening_application(tree.a_point)


@pytest.fixture
def accepted_application(tree: Any) -> Any:
    """A self-registration in A-PT accepted by a centre reviewer, waiting for first review."""
    return make_opening_application(tree.a_point, accepted=True)


@pytest.fixture
def other_application(tree: Any) -> Any:
    """A self-registration in centre B, outside centre A's scope."""
    return make_opening_application(tree.b)
