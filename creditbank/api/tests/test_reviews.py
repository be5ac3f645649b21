"""``/api/v1/reviews/applications``: the queue, one application, accept (受理) and first review (初审)."""

import pytest

from creditbank.api.tests.helpers import count_queries, make_opening_application, post_json
from creditbank.audit.models import AuditEntry
from creditbank.reviews.models import Application, ReviewEvent

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/reviews/applications"


def _ids(response):
    return [item["id"] for item in response.json()["items"]]


def test_queue_is_oldest_first_and_in_scope(tree, centre_reviewer_client, other_application):
    # given
    first = make_opening_application(tree.a_point)
    second = make_opening_application(tree.a_sub)
    Application.objects.filter(pk=first.pk).update(submitted_at=second.submitted_at.replace(year=2020))
    # when
    response = centre_reviewer_client.get(QUEUE)
    # then
    assert response.status_code == 200
    assert _ids(response) == [first.pk, second.pk]
    item = response.json()["items"][1]
    assert item == {
        "id": second.pk,
        "kind": "account_opening",
        "status": "submitted",
        "learner": {
            "account_no": second.learner.account_no,
            "name": second.learner.name,
            "id_number_masked": second.learner.id_number_masked,
            "phone_masked": second.learner.phone_masked,
        },
        "org": {"code": "A-SUB", "name": "蜀山分中心"},
        "submitted_at": item["submitted_at"],
        "decided_at": None,
        "decision_note": "",
    }
    assert second.learner.id_number not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["submitted", "accepted"]),
        ("?status=open", ["submitted", "accepted"]),
        ("?status=accepted", ["accepted"]),
        ("?status=approved", []),
        ("?status=all", ["submitted", "accepted", "rejected"]),
        ("?status=", ["submitted", "accepted", "rejected"]),
        ("?kind=account_opening", ["submitted", "accepted"]),
    ],
)
def test_queue_filters(tree, centre_reviewer_client, centre_reviewer, query, expected):
    # given
    from creditbank.reviews import services

    make_opening_application(tree.a_point)
    make_opening_application(tree.a_point, accepted=True)
    services.reject_application(make_opening_application(tree.a_point), actor=centre_reviewer, note="材料不全")
    # when
    response = centre_reviewer_client.get(QUEUE + query)
    # then
    assert response.status_code == 200
    assert [item["status"] for item in response.json()["items"]] == expected


@pytest.mark.parametrize(("query", "field"), [("?status=lost", "status"), ("?kind=loan", "kind")])
def test_unknown_filter_values_are_422(tree, centre_reviewer_client, query, field):
    # when
    response = centre_reviewer_client.get(QUEUE + query)
    # then
    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == [field]


def test_queue_query_count_does_not_grow_with_rows(tree, centre_reviewer_client, django_assert_max_num_queries):
    # given
    for _ in range(10):
        make_opening_application(tree.a_point)
    small, small_body = count_queries(
        django_assert_max_num_queries, centre_reviewer_client, QUEUE + "?limit=200", budget=6
    )
    for _ in range(90):
        make_opening_application(tree.a_sub)
    # when
    large, large_body = count_queries(
        django_assert_max_num_queries, centre_reviewer_client, QUEUE + "?limit=200", budget=6
    )
    # then
    assert (small_body["count"], len(large_body["items"])) == (10, 100)
    assert large == small


def test_detail_has_the_history(tree, centre_reviewer_client, accepted_application):
    # when
    response = centre_reviewer_client.get(f"{QUEUE}/{accepted_application.pk}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"]) == (accepted_application.pk, "accepted")
    assert [(event["kind"], event["from_status"], event["to_status"]) for event in body["events"]] == [
        ("submitted", "", "submitted"),
        ("accepted", "submitted", "accepted"),
    ]
    assert body["events"][0]["actor"] == accepted_application.learner.account_no


def test_detail_out_of_scope_looks_missing(tree, centre_reviewer_client, other_application):
    # when
    response = centre_reviewer_client.get(f"{QUEUE}/{other_application.pk}")
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "application_not_found"


def test_accepts_an_application(tree, centre_reviewer_client, centre_reviewer, submitted_application):
    # when
    response = post_json(centre_reviewer_client, f"{QUEUE}/{submitted_application.pk}/accept", {"note": "收到"})
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    submitted_application.refresh_from_db()
    assert submitted_application.status == "accepted"
    assert AuditEntry.objects.filter(action="reviews.accepted", actor=centre_reviewer).count() == 1


def test_accept_takes_an_empty_body(tree, centre_reviewer_client, submitted_application):
    # when: a client that sends no body at all
    response = centre_reviewer_client.post(
        f"{QUEUE}/{submitted_application.pk}/accept", "", content_type="application/json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"


def test_accepting_twice_is_a_409(tree, centre_reviewer_client, accepted_application):
    # given
    events = ReviewEvent.objects.count()
    # when
    response = post_json(centre_reviewer_client, f"{QUEUE}/{accepted_application.pk}/accept")
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert ReviewEvent.objects.count() == events


def test_first_review_approval_activates_the_account(tree, centre_reviewer_client, accepted_application):
    # when
    response = post_json(
        centre_reviewer_client,
        f"{QUEUE}/{accepted_application.pk}/first-review",
        {"decision": "approve", "note": "材料齐全"},
    )
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_note"]) == ("approved", "材料齐全")
    accepted_application.learner.refresh_from_db()
    assert accepted_application.learner.status == "active"


@pytest.mark.parametrize(("decision", "status"), [("reject", "rejected"), ("return", "returned")])
def test_first_review_rejects_or_returns_with_a_reason(
    tree, centre_reviewer_client, accepted_application, decision, status
):
    # when
    response = post_json(
        centre_reviewer_client,
        f"{QUEUE}/{accepted_application.pk}/first-review",
        {"decision": decision, "note": "照片不清晰"},
    )
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_note"]) == (status, "照片不清晰")
    accepted_application.learner.refresh_from_db()
    assert accepted_application.learner.status == "pending"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"decision": "reject"}, 422, "reason_required"),
        ({"decision": "maybe"}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"decision": "approve", "note": "x" * 2001}, 422, "validation_error"),
    ],
)
def test_bad_first_review_changes_nothing(tree, centre_reviewer_client, accepted_application, body, status, code):
    # given
    events = ReviewEvent.objects.count()
    # when
    response = post_json(centre_reviewer_client, f"{QUEUE}/{accepted_application.pk}/first-review", body)
    # then
    assert response.status_code == status
    assert response.json()["code"] == code
    accepted_application.refresh_from_db()
    assert accepted_application.status == "accepted"
    assert ReviewEvent.objects.count() == events


def test_rejection_without_reason_names_the_field(tree, centre_reviewer_client, accepted_application):
    # when
    response = post_json(
        centre_reviewer_client, f"{QUEUE}/{accepted_application.pk}/first-review", {"decision": "reject"}
    )
    # then
    assert [(detail["field"], detail["code"]) for detail in response.json()["details"]] == [("note", "reason_required")]


def test_operator_cannot_first_review(tree, centre_operator_client, accepted_application):
    # when
    response = post_json(
        centre_operator_client, f"{QUEUE}/{accepted_application.pk}/first-review", {"decision": "approve"}
    )
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "role_cannot_reviews_first_review"
    accepted_application.refresh_from_db()
    assert accepted_application.status == "accepted"
