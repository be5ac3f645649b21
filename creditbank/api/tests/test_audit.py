"""``/api/v1/audit/entries`` and ``/audit/logins``: the logs, for staff with ``audit.view``, in scope."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from creditbank.api.tests.helpers import count_queries
from creditbank.audit import services as audit
from creditbank.audit.models import AuditEntry, LoginEntry

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/audit/entries"
LOGINS = "/api/v1/audit/logins"


@pytest.fixture
def entries(tree, root_admin, learner_a, learner_b):
    """One operation-log row in centre A's subtree, one in B's, one that belongs to no org."""
    return {
        "a": audit.record(actor=root_admin, action="accounts.unmask_pii", obj=learner_a),
        "b": audit.record(actor=root_admin, action="accounts.set_status", obj=learner_b, before={"status": "active"}),
        "none": audit.record(actor=None, action="system.cleanup", org_path=""),
    }


def _ids(response):
    return [item["id"] for item in response.json()["items"]]


def test_centre_admin_sees_its_subtree_only(entries, centre_admin_client):
    # when
    response = centre_admin_client.get(ENTRIES + "?action=accounts")
    # then
    assert response.status_code == 200
    assert _ids(response) == [entries["a"].pk]
    item = response.json()["items"][0]
    assert item == {
        "id": entries["a"].pk,
        "created_at": item["created_at"],
        "actor": "root_admin",
        "org": "MC",
        "action": "accounts.unmask_pii",
        "object_type": "accounts.learner",
        "object_id": str(entries["a"].object_id),
        "object_repr": entries["a"].object_repr,
        "before": None,
        "after": None,
        "ip": None,
    }


def test_management_centre_sees_everything_newest_first(entries, root_admin_client):
    # when
    response = root_admin_client.get(ENTRIES + "?limit=200")
    # then
    ids = _ids(response)
    assert ids == sorted(ids, reverse=True)
    assert {entries["a"].pk, entries["b"].pk, entries["none"].pk} <= set(ids)
    assert response.json()["count"] == AuditEntry.objects.count()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=accounts.set_status", ["b"]),
        ("action=accounts", ["b", "a"]),
        ("action=accounts.", ["b", "a"]),
        ("action=account", []),
        ("actor=system&action=system", ["none"]),
        ("actor=nobody", []),
    ],
)
def test_entry_filters(entries, root_admin_client, query, expected):
    # when
    response = root_admin_client.get(f"{ENTRIES}?{query}")
    # then
    assert response.status_code == 200
    assert _ids(response) == [entries[key].pk for key in expected]


def test_entry_time_window(entries, root_admin, learner_b, root_admin_client):
    # given: an entry written three days ago (the log is append-only, so it is written then, not edited)
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=three_days_ago):
        old = audit.record(actor=root_admin, action="accounts.set_status", obj=learner_b)
    yesterday = (timezone.localtime() - dt.timedelta(days=1)).date().isoformat()
    # when
    recent = root_admin_client.get(f"{ENTRIES}?action=accounts&since={yesterday}")
    older = root_admin_client.get(f"{ENTRIES}?action=accounts&until={yesterday}T00:00:00%2B08:00")
    # then
    assert _ids(recent) == [entries["b"].pk, entries["a"].pk]
    assert _ids(older) == [old.pk]


def test_bad_time_is_422(entries, root_admin_client):
    # when
    response = root_admin_client.get(ENTRIES + "?since=yesterday")
    # then
    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == ["since"]


def test_entries_query_count_does_not_grow_with_rows(
    tree, root_admin, learner_a, root_admin_client, django_assert_max_num_queries
):
    # given
    for _ in range(10):
        audit.record(actor=root_admin, action="accounts.unmask_pii", obj=learner_a)
    small, small_body = count_queries(
        django_assert_max_num_queries, root_admin_client, ENTRIES + "?limit=200&action=accounts", budget=6
    )
    for _ in range(90):
        audit.record(actor=root_admin, action="accounts.unmask_pii", obj=learner_a)
    # when
    large, large_body = count_queries(
        django_assert_max_num_queries, root_admin_client, ENTRIES + "?limit=200&action=accounts", budget=6
    )
    # then
    assert (small_body["count"], len(large_body["items"])) == (10, 100)
    assert large == small


# --- logins ----------------------------------------------------------------------------------


@pytest.fixture
def logins(tree, learner_a, learner_b):
    return {
        "a": audit.record_login(
            identifier=learner_a.account_no, method="password", is_success=True, user=learner_a.user
        ),
        "b": audit.record_login(
            identifier=learner_b.id_number, method="api_token", is_success=True, user=learner_b.user
        ),
        "unknown": audit.record_login(
            identifier="nobody", method="password", is_success=False, reason="invalid_credentials"
        ),
    }


def test_logins_in_scope(logins, centre_admin_client, learner_a):
    # when
    response = centre_admin_client.get(LOGINS)
    # then
    assert response.status_code == 200
    assert _ids(response) == [logins["a"].pk]
    item = response.json()["items"][0]
    assert item == {
        "id": logins["a"].pk,
        "created_at": item["created_at"],
        "identifier": learner_a.account_no,
        "username": learner_a.account_no,
        "method": "password",
        "is_success": True,
        "reason": "",
        "ip": None,
        "user_agent": "",
    }


def test_management_centre_sees_failed_logins_of_unknown_names(logins, root_admin_client):
    # when
    response = root_admin_client.get(LOGINS + "?success=false")
    # then
    assert _ids(response) == [logins["unknown"].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("method=api_token", ["b"]),
        ("success=true", ["b", "a"]),
        ("success=", ["unknown", "b", "a"]),
        ("actor=nobody", ["unknown"]),
    ],
)
def test_login_filters(logins, root_admin_client, query, expected):
    # when
    response = root_admin_client.get(f"{LOGINS}?{query}")
    # then
    assert response.status_code == 200
    assert _ids(response) == [logins[key].pk for key in expected]


def test_login_search_by_id_number_finds_the_masked_row(logins, root_admin_client, learner_b):
    # when
    response = root_admin_client.get(LOGINS, {"actor": learner_b.id_number})
    # then
    assert _ids(response) == [logins["b"].pk]
    assert response.json()["items"][0]["identifier"] == learner_b.id_number_masked


def test_logins_query_count_does_not_grow_with_rows(tree, learner_a, root_admin_client, django_assert_max_num_queries):
    # given
    for _ in range(10):
        audit.record_login(identifier=learner_a.account_no, method="password", is_success=True, user=learner_a.user)
    small, small_body = count_queries(django_assert_max_num_queries, root_admin_client, LOGINS + "?limit=200", budget=6)
    for _ in range(90):
        audit.record_login(identifier=learner_a.account_no, method="password", is_success=True, user=learner_a.user)
    # when
    large, large_body = count_queries(django_assert_max_num_queries, root_admin_client, LOGINS + "?limit=200", budget=6)
    # then
    assert (small_body["count"], len(large_body["items"])) == (10, 100)
    assert large == small
    assert LoginEntry.objects.count() == 100


@pytest.mark.parametrize(
    "query", ["since=0001-01-01", "until=9999-12-31T23:59:59-12:00", "since=2024-02-30", "until=soon"]
)
def test_times_out_of_range_are_422(entries, root_admin_client, query):
    # when
    response = root_admin_client.get(f"{ENTRIES}?{query}")
    # then
    assert response.status_code == 422
    detail = response.json()["details"][0]
    assert detail["field"] == query.split("=")[0]
    assert not detail["message"].startswith("Value error")
