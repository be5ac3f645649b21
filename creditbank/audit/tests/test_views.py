"""Browsing the operation and login logs in the console: who sees which rows, filters, read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from creditbank.audit import services as audit
from creditbank.audit.models import AuditEntry, LoginEntry
from creditbank.console.tests.helpers import assert_redirects_to_login, staff_without_membership_client

pytestmark = pytest.mark.django_db

ENTRIES = "/console/audit/"
LOGINS = "/console/audit/logins/"


def _rows(response):
    return list(response.context["page_obj"])


@pytest.fixture
def entries(tree, centre_admin, other_admin, learner_a, learner_b):
    """One row in A's subtree, one in B's, one that belongs to no org (a system action)."""
    in_a = audit.record(
        actor=centre_admin,
        action="accounts.set_status",
        obj=learner_a,
        before={"status": "active"},
        after={"status": "frozen"},
    )
    in_b = audit.record(actor=other_admin, action="accounts.open", obj=learner_b)
    system = audit.record(actor=None, action="system.maintenance", object_type="system", object_id="1", org_path="")
    return {"a": in_a, "b": in_b, "system": system}


@pytest.fixture
def logins(tree, centre_admin, learner_a):
    ok = audit.record_login(identifier="centre_admin", method="password", is_success=True, user=centre_admin)
    learner = audit.record_login(
        identifier=learner_a.account_no,
        method="password",
        is_success=False,
        user=learner_a.user,
        reason="invalid_credentials",
    )
    unknown = audit.record_login(
        identifier="13900000000", method="password", is_success=False, reason="invalid_credentials"
    )
    return {"ok": ok, "learner": learner, "unknown": unknown}


def test_url_names():
    # then
    assert reverse("audit:entry-list") == ENTRIES
    assert reverse("audit:login-list") == LOGINS


@pytest.mark.parametrize("url", [ENTRIES, LOGINS])
def test_anonymous_is_sent_to_login(anon_client, url):
    # when
    response = anon_client.get(url)
    # then
    assert_redirects_to_login(response)


@pytest.mark.parametrize("url", [ENTRIES, LOGINS])
def test_learner_staff_without_membership_and_roles_without_audit_view_are_refused(
    learner_client, centre_operator_client, centre_reviewer_client, url
):
    # when
    codes = [
        client.get(url).status_code
        for client in (
            learner_client,
            staff_without_membership_client(),
            centre_operator_client,
            centre_reviewer_client,
        )
    ]
    # then
    assert codes == [403, 403, 403, 403]


def test_management_centre_auditor_sees_every_entry(root_auditor_client, entries):
    # when
    response = root_auditor_client.get(ENTRIES)
    # then: newest first, including rows that belong to no org
    assert response.status_code == 200
    assert _rows(response)[:3] == [entries["system"], entries["b"], entries["a"]]


def test_centre_administrator_sees_its_subtree_only(centre_admin_client, entries):
    # when
    response = centre_admin_client.get(ENTRIES)
    # then
    rows = _rows(response)
    assert entries["a"] in rows
    assert entries["b"] not in rows
    assert entries["system"] not in rows
    assert all(row.org_path.startswith(response.wsgi_request.user.memberships.get().org.path) for row in rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "accounts.set_status"}, ["a"]),
        ({"action": "accounts"}, ["b", "a"]),
        ({"actor": "other_admin"}, ["b"]),
        ({"object": "system"}, ["system"]),
        ({"ip": "10.9.9.9"}, []),
    ],
)
def test_entry_filters(root_auditor_client, entries, query, expected):
    # when
    response = root_auditor_client.get(ENTRIES, query)
    # then
    rows = [row for row in _rows(response) if row.pk in {entry.pk for entry in entries.values()}]
    assert rows == [entries[key] for key in expected]


def test_entry_filter_by_object_id_and_date_range(root_auditor_client, entries, learner_a):
    # given
    today = timezone.localdate()
    # when
    by_object = root_auditor_client.get(ENTRIES, {"object": str(learner_a.pk), "action": "accounts.set_status"})
    in_range = root_auditor_client.get(
        ENTRIES, {"date_from": today.isoformat(), "date_to": today.isoformat(), "action": "system"}
    )
    before = root_auditor_client.get(ENTRIES, {"date_to": (today - dt.timedelta(days=1)).isoformat()})
    # then
    assert _rows(by_object) == [entries["a"]]
    assert _rows(in_range) == [entries["system"]]
    assert _rows(before) == []


def test_bad_filters_answer_200_with_errors_and_no_rows(root_auditor_client, entries):
    # when
    response = root_auditor_client.get(ENTRIES, {"date_from": "2025-13-40", "ip": "not-an-ip"})
    reversed_range = root_auditor_client.get(ENTRIES, {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    # then
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"date_from", "ip"}
    assert _rows(response) == []
    assert "date_to" in reversed_range.context["form"].errors


def test_entry_list_answers_htmx_with_rows_partial(root_auditor_client, entries):
    # when
    response = root_auditor_client.get(ENTRIES, {"action": "system"}, HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    assert response.templates[0].name == "audit/partials/_entry_rows.html"


@pytest.mark.parametrize("url", [ENTRIES, LOGINS])
def test_logs_are_read_only(root_auditor_client, entries, logins, url):
    # given
    before = (AuditEntry.objects.count(), LoginEntry.objects.count())
    # when
    responses = [root_auditor_client.post(url, {"id": entries["a"].pk}), root_auditor_client.delete(url)]
    # then
    assert [response.status_code for response in responses] == [405, 405]
    assert (AuditEntry.objects.count(), LoginEntry.objects.count()) == before


def test_login_log_for_the_management_centre(root_auditor_client, logins):
    # when
    response = root_auditor_client.get(LOGINS)
    # then: failed logins under unknown names belong to no org; the root sees them
    rows = _rows(response)
    assert rows[:3] == [logins["unknown"], logins["learner"], logins["ok"]]
    assert "139****0000" in response.content.decode()
    assert "13900000000" not in response.content.decode()


def test_login_log_scope_of_a_centre(centre_admin_client, other_admin_client, logins):
    # when
    own = _rows(centre_admin_client.get(LOGINS))
    other = _rows(other_admin_client.get(LOGINS))
    # then: A's staff and learners are in A's log, not in B's; the unknown name is in neither
    assert own == [logins["learner"], logins["ok"]]
    assert other == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"success": "1"}, ["ok"]),
        ({"success": "0"}, ["unknown", "learner"]),
        ({"identifier": "13900000000"}, ["unknown"]),
        ({"method": "sms"}, []),
        ({"success": "maybe"}, []),
    ],
)
def test_login_filters(root_auditor_client, logins, query, expected):
    # when
    response = root_auditor_client.get(LOGINS, query)
    # then
    assert response.status_code == 200
    assert _rows(response) == [logins[key] for key in expected]


@pytest.mark.parametrize("size", [10, 100])
def test_query_budgets(root_auditor_client, centre_admin, learner_a, django_assert_max_num_queries, size):
    # given
    for index in range(size):
        audit.record(actor=centre_admin, action="accounts.set_status", obj=learner_a, after={"n": index})
        audit.record_login(identifier="centre_admin", method="password", is_success=True, user=centre_admin)
    # when / then
    with django_assert_max_num_queries(8):
        operations = root_auditor_client.get(ENTRIES, {"action": "accounts.set_status"})
    with django_assert_max_num_queries(8):
        logins = root_auditor_client.get(LOGINS, {"success": "1"})
    assert len(_rows(operations)) == min(size, 50)
    assert len(_rows(logins)) == min(size, 50)


@pytest.mark.parametrize("path", ["/console/audit/?date_to=9999-12-31", "/console/audit/logins/?date_from=0001-01-01"])
def test_dates_out_of_range_are_a_form_error_not_a_500(root_admin_client, path):
    response = root_admin_client.get(path)
    assert response.status_code == 200
    assert "1900" in response.content.decode()
