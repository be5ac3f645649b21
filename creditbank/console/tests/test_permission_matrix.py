"""Every console route × every kind of caller (STYLE.md §3.11), for the console pages of the
service network, staff, learners, reviews and audit.

Callers: anonymous (sent to the login page); a learner and a staff user without a membership
(403: the console is for staff); staff whose roles lack the route's action (403); another
centre's administrator, for whom a target in centre A is out of scope (404, like a missing
one); and staff of centre A's own subtree. Refusals leave no trace: no operation-log row, and
the learner and the application unchanged. ``test_every_console_route_has_a_row`` fails when a
route of these namespaces is added without rows here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from creditbank.audit.models import AuditEntry
from creditbank.console.tests.helpers import make_opening_application, route_names, staff_without_membership_client

pytestmark = pytest.mark.django_db


def _writes() -> int:
    """Operation-log rows of writes: a refused review step is logged (reviews.refused) but writes nothing."""
    return AuditEntry.objects.exclude(action="reviews.refused").count()


NAMESPACES = ("console", "orgs", "learners", "reviews", "audit")
LOGIN = "login"


@dataclass(frozen=True)
class Row:
    method: str = "get"
    kwargs: str = ""  # "org", "account", "application", "staff" or "token": which target goes in the URL
    data: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    without_action: str | None = None  # a client whose roles lack the route's action
    out_of_scope: bool = True  # whether the URL names a target that other_admin cannot see
    own: tuple[str, int] = ("centre_admin_client", 200)


ROUTES: dict[str, Row] = {
    "console:dashboard": Row(out_of_scope=False),
    "reviews:console-inbox": Row(out_of_scope=False),
    "orgs:org-list": Row(out_of_scope=False),
    "orgs:org-detail": Row(kwargs="org", own=("centre_operator_client", 200)),
    "orgs:org-create": Row(query="?parent=A-SUB", without_action="centre_operator_client"),
    "orgs:org-edit": Row(kwargs="org", without_action="centre_operator_client"),
    "orgs:org-tokens": Row(kwargs="org", without_action="centre_operator_client"),
    "orgs:org-token-revoke": Row(
        method="post", kwargs="token", without_action="centre_operator_client", own=("centre_admin_client", 302)
    ),
    "orgs:staff-list": Row(without_action="centre_reviewer_client", out_of_scope=False),
    "orgs:staff-create": Row(without_action="centre_reviewer_client", out_of_scope=False),
    "orgs:staff-memberships": Row(kwargs="staff", without_action="centre_reviewer_client"),
    "orgs:role-list": Row(without_action="centre_reviewer_client", out_of_scope=False),
    "learners:learner-list": Row(
        without_action="root_auditor_client", out_of_scope=False, own=("centre_operator_client", 200)
    ),
    "learners:learner-export": Row(without_action="centre_operator_client", out_of_scope=False),
    "learners:learner-open": Row(
        without_action="centre_reviewer_client", out_of_scope=False, own=("point_operator_client", 200)
    ),
    "learners:learner-detail": Row(kwargs="account", own=("centre_operator_client", 200)),
    "learners:learner-opened": Row(kwargs="account", own=("centre_operator_client", 200)),
    "learners:learner-unmask": Row(method="post", kwargs="account", without_action="centre_operator_client"),
    "learners:learner-status": Row(
        method="post",
        kwargs="account",
        data={"status": "frozen"},
        without_action="centre_operator_client",
        own=("centre_admin_client", 302),
    ),
    "reviews:queue": Row(without_action="root_auditor_client", out_of_scope=False, own=("centre_reviewer_client", 200)),
    "reviews:application-detail": Row(kwargs="application", own=("centre_reviewer_client", 200)),
    "reviews:application-action": Row(
        method="post",
        kwargs="application",
        data={"event": "accepted"},
        without_action="centre_admin_client",
        own=("centre_reviewer_client", 302),
    ),
    # Out of scope for batches means "not moved" (see reviews/tests/test_views.py), not 404.
    "reviews:batch": Row(
        method="post",
        data={"event": "accepted"},
        without_action="centre_admin_client",
        out_of_scope=False,
        own=("centre_reviewer_client", 302),
    ),
    "audit:entry-list": Row(
        without_action="centre_operator_client", out_of_scope=False, own=("root_auditor_client", 200)
    ),
    "audit:login-list": Row(
        without_action="centre_operator_client", out_of_scope=False, own=("root_auditor_client", 200)
    ),
}


def _cases() -> list[tuple[str, str, str, Any]]:
    cases: list[tuple[str, str, str, Any]] = []
    for name, row in ROUTES.items():
        cases.append((name, "anonymous", "anon_client", LOGIN))
        cases.append((name, "learner", "learner_client", 403))
        cases.append((name, "staff without membership", "nomember", 403))
        if row.without_action:
            cases.append((name, "role without the action", row.without_action, 403))
        if row.out_of_scope:
            cases.append((name, "other centre's administrator", "other_admin_client", 404))
        cases.append((name, "own scope", row.own[0], row.own[1]))
    return cases


@pytest.fixture
def world(tree, learner_a, point_operator, centre_admin, centre_reviewer, centre_operator, other_admin, root_auditor):
    from creditbank.orgs.tokens import issue_institution_token

    token, _secret = issue_institution_token(tree.a_sub, name="教务系统", actor=None)
    return {
        "learner": learner_a,
        "application": make_opening_application(tree.a_point),
        "staff": point_operator,
        "token": token,
    }


def _url(name: str, row: Row, world: dict[str, Any]) -> str:
    args = {
        "": [],
        "org": ["A-SUB"],
        "account": [world["learner"].account_no],
        "application": [world["application"].pk],
        "staff": [world["staff"].username],
        "token": ["A-SUB", world["token"].pk],
    }[row.kwargs]
    return reverse(name, args=args) + row.query


def _state(world: dict[str, Any]) -> tuple[Any, ...]:
    world["learner"].refresh_from_db()
    world["application"].refresh_from_db()
    return world["learner"].status, world["application"].status, _writes()


@pytest.mark.parametrize(("name", "_case", "client_name", "expected"), _cases())
def test_console_permissions(request, world, name, _case, client_name, expected):
    # given
    row = ROUTES[name]
    client = staff_without_membership_client() if client_name == "nomember" else request.getfixturevalue(client_name)
    data = dict(row.data)
    if name == "reviews:batch":
        data["ids"] = [world["application"].pk]
    before = _state(world)
    # when
    response = getattr(client, row.method)(_url(name, row, world), data)
    # then
    if expected == LOGIN:
        assert response.status_code == 302
        assert urlparse(response["Location"]).path == reverse("accounts:login")
    else:
        assert response.status_code == expected
    if expected in (LOGIN, 403, 404):
        assert _state(world) == before


def test_every_console_route_has_a_row():
    # then
    assert route_names(*NAMESPACES) == set(ROUTES)
