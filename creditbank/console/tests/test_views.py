"""The console layout and dashboard: who gets in, what the menu offers, what is counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.tests.factories import make_learner
from creditbank.console.tests.helpers import (
    assert_redirects_to_login,
    make_opening_application,
    staff_without_membership_client,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/console/"


def test_dashboard_url_name():
    # then
    assert reverse("console:dashboard") == DASHBOARD


def test_anonymous_is_sent_to_login(anon_client):
    # when
    response = anon_client.get(DASHBOARD)
    # then
    assert_redirects_to_login(response)
    assert "next=/console/" in response["Location"]


def test_learner_is_refused(learner_client):
    # when
    response = learner_client.get(DASHBOARD)
    # then
    assert response.status_code == 403


def test_staff_without_membership_is_refused(tree):
    # given
    client = staff_without_membership_client()
    # when
    response = client.get(DASHBOARD)
    # then
    assert response.status_code == 403


def test_counts_only_what_is_in_scope(centre_admin_client, tree, learner_a, learner_b):
    # given: two more learners in A's subtree, and open applications in A and in B
    make_learner(tree.a_sub, status=LearnerStatus.FROZEN, password=None)
    make_opening_application(tree.a_point)
    make_opening_application(tree.b)
    # when
    response = centre_admin_client.get(DASHBOARD)
    # then: learner_a, the frozen one and the applicant (pending) in A; B's are not counted
    assert response.status_code == 200
    counts = {row["status"]: row["count"] for row in response.context["learners_by_status"]}
    assert counts == {"pending": 1, "active": 1, "frozen": 1, "closed": 0}
    assert response.context["learners_total"] == 3
    assert response.context["open_applications"] == 1
    assert response.context["orgs_total"] == 3  # A, A-SUB, A-PT
    assert response.context["chart"]["values"] == [0, 1, 2]  # centre, sub-centre, point
    assert 'data-chart="bar"' in response.content.decode()


def test_management_centre_counts_everything(root_admin_client, tree, learner_a, learner_b):
    # when
    response = root_admin_client.get(DASHBOARD)
    # then
    assert response.context["learners_total"] == 2
    assert response.context["orgs_total"] == 5


def test_auditor_sees_no_learner_figures(root_auditor_client, tree, learner_a):
    # when
    response = root_auditor_client.get(DASHBOARD)
    # then: the auditor's roles do not grant accounts.view, so no counts and no chart
    assert response.status_code == 200
    assert "learners_total" not in response.context
    assert "chart" not in response.context


@pytest.mark.parametrize(
    ("client_name", "shown", "hidden"),
    [
        ("centre_admin_client", ["orgs:staff-list", "learners:learner-list", "audit:entry-list"], []),
        ("centre_operator_client", ["learners:learner-open", "reviews:queue"], ["orgs:staff-list", "audit:entry-list"]),
        (
            "centre_reviewer_client",
            ["reviews:queue", "learners:learner-list"],
            ["learners:learner-open", "orgs:role-list"],
        ),
        ("root_auditor_client", ["audit:entry-list", "audit:login-list"], ["learners:learner-list", "reviews:queue"]),
    ],
)
def test_menu_shows_only_allowed_sections(request, client_name, shown, hidden):
    # given
    client = request.getfixturevalue(client_name)
    # when
    content = client.get(DASHBOARD).content.decode()
    # then
    for name in shown:
        assert f'href="{reverse(name)}"' in content
    for name in hidden:
        assert f'href="{reverse(name)}"' not in content


def test_menu_links_to_bulk_import(centre_operator_client):
    # when
    content = centre_operator_client.get(DASHBOARD).content.decode()
    # then: operators import learners, so the menu offers it (the imports app owns the page)
    assert 'href="/console/imports/"' in content


def test_htmx_history_restore_gets_the_whole_page(centre_admin_client, tree):
    # when: "Back" after an htmx filter asks for the pushed URL with both headers
    partial = centre_admin_client.get("/console/orgs/?kind=point", HTTP_HX_REQUEST="true")
    restore = centre_admin_client.get(
        "/console/orgs/?kind=point", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    # then
    assert "<html" not in partial.content.decode()
    assert "<html" in restore.content.decode()
    assert "HX-Request" in partial["Vary"]
