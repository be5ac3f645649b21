"""Console review queue for opening applications: scope, roles, steps, batch actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from creditbank.accounts.choices import LearnerStatus
from creditbank.audit.models import AuditEntry
from creditbank.console.tests.helpers import (
    assert_redirects_to_login,
    make_opening_application,
    staff_without_membership_client,
)
from creditbank.reviews.models import Application, ReviewEvent

pytestmark = pytest.mark.django_db

QUEUE = "/console/reviews/"
BATCH = "/console/reviews/batch/"


def _detail(application):
    return f"/console/reviews/{application.pk}/"


def _action(application):
    return f"/console/reviews/{application.pk}/action/"


def _ids(response):
    return [application.pk for application in response.context["page_obj"]]


@pytest.fixture
def app_a(tree):
    return make_opening_application(tree.a_point)


@pytest.fixture
def app_b(tree):
    return make_opening_application(tree.b)


def test_url_names():
    # then
    assert reverse("reviews:queue") == QUEUE
    assert reverse("reviews:batch") == BATCH
    assert reverse("reviews:application-detail", args=[7]) == "/console/reviews/7/"
    assert reverse("reviews:application-action", args=[7]) == "/console/reviews/7/action/"


# --- who gets in -------------------------------------------------------------------------------


def _requests(application):
    return [
        ("get", QUEUE, {}),
        ("get", _detail(application), {}),
        ("post", _action(application), {"event": "accepted"}),
        ("post", BATCH, {"event": "accepted", "ids": [application.pk]}),
    ]


def test_anonymous_is_sent_to_login(anon_client, app_a):
    for method, url, data in _requests(app_a):
        # when
        response = getattr(anon_client, method)(url, data)
        # then
        assert_redirects_to_login(response)
    app_a.refresh_from_db()
    assert app_a.status == "submitted"


def test_learner_and_staff_without_membership_are_refused(learner_client, app_a):
    # given
    nomember = staff_without_membership_client()
    for method, url, data in _requests(app_a):
        # when
        codes = [getattr(client, method)(url, data).status_code for client in (learner_client, nomember)]
        # then
        assert codes == [403, 403]
    app_a.refresh_from_db()
    assert app_a.status == "submitted"


def test_roles_without_reviews_view_are_refused(root_auditor_client, app_a):
    # when
    queue = root_auditor_client.get(QUEUE)
    detail = root_auditor_client.get(_detail(app_a))
    # then
    assert queue.status_code == 403
    assert detail.status_code == 404


# --- the queue ---------------------------------------------------------------------------------


def test_queue_in_scope_oldest_first(centre_reviewer_client, tree, app_b):
    # given
    newer = make_opening_application(tree.a_point)
    older = make_opening_application(tree.a_sub)
    Application.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3))
    # when
    response = centre_reviewer_client.get(QUEUE)
    # then
    assert response.status_code == 200
    assert _ids(response) == [older.pk, newer.pk]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", ["submitted", "accepted"]),
        ("open", ["submitted", "accepted"]),
        ("submitted", ["submitted"]),
        ("accepted", ["accepted"]),
        ("approved", ["approved"]),
        ("rejected", ["rejected"]),
        ("returned", ["returned"]),
        ("all", ["submitted", "accepted", "approved", "rejected", "returned"]),
        ("nonsense", ["submitted", "accepted"]),
    ],
)
def test_queue_filters_by_status(centre_reviewer_client, tree, status, expected):
    # given: one application in each status, in this order of age
    now = timezone.now()
    for index, state in enumerate(["submitted", "accepted", "approved", "rejected", "returned"]):
        application = make_opening_application(tree.a_point)
        Application.objects.filter(pk=application.pk).update(
            status=state, submitted_at=now - dt.timedelta(hours=10 - index)
        )
    # when
    response = centre_reviewer_client.get(QUEUE, {"status": status} if status else {})
    # then
    assert response.status_code == 200
    assert [application.status for application in response.context["page_obj"]] == expected


def test_queue_offers_batch_steps_by_role(centre_reviewer_client, centre_operator_client, app_a):
    # when
    reviewer = centre_reviewer_client.get(QUEUE)
    operator = centre_operator_client.get(QUEUE)
    # then
    assert [event for event, _label in reviewer.context["batch_steps"]] == [
        "accepted",
        "approved",
        "first_reviewed",
        "certified",
        "rejected",
    ]
    assert 'name="ids"' in reviewer.content.decode()
    assert operator.context["batch_steps"] == []
    assert 'name="ids"' not in operator.content.decode()


def test_queue_answers_htmx_with_rows_partial(centre_reviewer_client, app_a):
    # when
    response = centre_reviewer_client.get(QUEUE, {"status": "submitted"}, HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    assert response.templates[0].name == "reviews/partials/_queue_rows.html"
    assert _ids(response) == [app_a.pk]


def test_queue_shows_applicants_masked(centre_reviewer_client, app_a):
    # when
    content = centre_reviewer_client.get(QUEUE).content.decode()
    # then
    assert app_a.learner.name not in content
    assert app_a.learner.account_no in content


@pytest.mark.parametrize("size", [10, 100])
def test_queue_query_budget(centre_reviewer_client, tree, django_assert_max_num_queries, size):
    # given
    for _ in range(size):
        make_opening_application(tree.a_point)
    # when / then
    with django_assert_max_num_queries(8):
        response = centre_reviewer_client.get(QUEUE)
    assert len(response.context["page_obj"]) == min(size, 50)


# --- one application -----------------------------------------------------------------------------


def test_detail_out_of_scope_is_404(other_admin_client, app_a):
    # when
    response = other_admin_client.get(_detail(app_a))
    # then
    assert response.status_code == 404


def test_detail_of_missing_application_is_404(centre_reviewer_client, tree):
    # when
    response = centre_reviewer_client.get("/console/reviews/-1/")
    # then
    assert response.status_code == 404


def test_detail_shows_the_steps_the_role_grants(
    centre_reviewer_client, centre_admin_client, point_reviewer_client, app_a
):
    # when
    reviewer = point_reviewer_client.get(_detail(app_a))
    centre = centre_reviewer_client.get(_detail(app_a))
    admin = centre_admin_client.get(_detail(app_a))
    # then: a submitted application can be accepted, returned or rejected at the point; a centre
    # may also accept and pass the first review in one step; the admin may only look
    assert reviewer.status_code == 200
    assert [step["event"] for step in reviewer.context["steps"]] == ["accepted", "returned", "rejected"]
    assert [step["event"] for step in centre.context["steps"]] == ["accepted", "approved", "returned", "rejected"]
    content = reviewer.content.decode()
    with translation.override("zh-hans"):
        labels = [
            translation.gettext(label) for label in ("Accept", "Pass first review", "Return for supplement", "Reject")
        ]
    assert [f">{label}</button>" in content for label in labels] == [True, False, True, True]
    assert admin.status_code == 200
    assert admin.context["steps"] == []
    assert app_a.learner.name not in content
    assert app_a.learner.id_number not in content
    assert [event.kind for event in reviewer.context["events"]] == ["submitted"]


def test_accept_then_pass_first_review_activates_the_account(centre_reviewer_client, centre_reviewer, app_a):
    # when
    accepted = centre_reviewer_client.post(_action(app_a), {"event": "accepted"})
    after_accept = centre_reviewer_client.get(_detail(app_a))
    approved = centre_reviewer_client.post(_action(app_a), {"event": "approved"})
    # then
    assert accepted.status_code == 302
    assert accepted["Location"] == _detail(app_a)
    assert [step["event"] for step in after_accept.context["steps"]] == ["approved", "returned", "rejected"]
    assert approved.status_code == 302
    app_a.refresh_from_db()
    app_a.learner.refresh_from_db()
    assert app_a.status == "approved"
    assert app_a.learner.status == LearnerStatus.ACTIVE
    assert list(ReviewEvent.objects.filter(application=app_a).values_list("kind", flat=True)) == [
        "submitted",
        "accepted",
        "approved",
    ]
    entries = AuditEntry.objects.filter(
        actor=centre_reviewer, object_type="reviews.application", object_id=str(app_a.pk)
    )
    assert list(entries.values_list("action", flat=True).order_by("id")) == ["reviews.accepted", "reviews.approved"]


@pytest.mark.parametrize("event", ["returned", "rejected"])
def test_return_and_reject_need_a_reason(centre_reviewer_client, app_a, event):
    # when
    response = centre_reviewer_client.post(_action(app_a), {"event": event, "note": "  "})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert response.context["failed_event"] == event
    app_a.refresh_from_db()
    assert app_a.status == "submitted"
    assert AuditEntry.objects.filter(action=f"reviews.{event}").count() == 0


@pytest.mark.parametrize(("event", "status"), [("returned", "returned"), ("rejected", "rejected")])
def test_return_and_reject_with_a_reason(centre_reviewer_client, app_a, event, status):
    # when
    response = centre_reviewer_client.post(_action(app_a), {"event": event, "note": "证件照片不清晰"})
    # then
    assert response.status_code == 302
    app_a.refresh_from_db()
    assert (app_a.status, app_a.decision_note) == (status, "证件照片不清晰")
    assert AuditEntry.objects.filter(action=f"reviews.{event}").count() == 1


def test_step_not_possible_in_current_state_rerenders(point_reviewer_client, app_a):
    # when: first review, at a point, of an application not yet accepted
    response = point_reviewer_client.post(_action(app_a), {"event": "approved"})
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    app_a.refresh_from_db()
    assert app_a.status == "submitted"


def test_unknown_step_rerenders(centre_reviewer_client, app_a):
    # when
    response = centre_reviewer_client.post(_action(app_a), {"event": "resubmitted"})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["event"]
    app_a.refresh_from_db()
    assert app_a.status == "submitted"


def test_step_refused_for_role_without_it(centre_admin_client, app_a):
    # when
    response = centre_admin_client.post(_action(app_a), {"event": "accepted"})
    # then
    assert response.status_code == 403
    app_a.refresh_from_db()
    assert app_a.status == "submitted"
    assert AuditEntry.objects.filter(action="reviews.accepted").count() == 0


def test_step_out_of_scope_is_404(other_admin_client, tree, app_a):
    # given: B's reviewer would have the role, but not the scope
    from creditbank.orgs.tests.factories import make_staff

    reviewer_b = make_staff(tree.b, "reviewer", username="reviewer_b")
    other_admin_client.force_login(reviewer_b)
    # when
    response = other_admin_client.post(_action(app_a), {"event": "accepted"})
    # then
    assert response.status_code == 404
    app_a.refresh_from_db()
    assert app_a.status == "submitted"
    assert ReviewEvent.objects.filter(application=app_a).count() == 1


# --- batch ---------------------------------------------------------------------------------------


def test_batch_accept_moves_exactly_the_selected_applications_in_scope(centre_reviewer_client, tree, app_b):
    # given
    first, second, untouched = (make_opening_application(tree.a_point) for _ in range(3))
    # when
    response = centre_reviewer_client.post(
        BATCH, {"event": "accepted", "ids": [first.pk, second.pk, app_b.pk], "status": "open"}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/console/reviews/?status=open"
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "accepted", second.pk: "accepted", untouched.pk: "submitted", app_b.pk: "submitted"}
    assert sorted(AuditEntry.objects.filter(action="reviews.accepted").values_list("object_id", flat=True)) == sorted(
        [str(first.pk), str(second.pk)]
    )


def test_batch_first_review_reports_applications_in_the_wrong_state(point_reviewer_client, tree):
    # given
    accepted = make_opening_application(tree.a_point)
    Application.objects.filter(pk=accepted.pk).update(status="accepted")
    submitted = make_opening_application(tree.a_point)
    # when
    response = point_reviewer_client.post(BATCH, {"event": "approved", "ids": [accepted.pk, submitted.pk]}, follow=True)
    # then
    accepted.refresh_from_db()
    submitted.refresh_from_db()
    assert (accepted.status, submitted.status) == ("approved", "submitted")
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 2
    assert any(f"#{submitted.pk}" in message for message in messages)


def test_batch_refused_for_role_without_the_step(centre_admin_client, centre_operator_client, app_a):
    # when
    codes = [
        client.post(BATCH, {"event": "accepted", "ids": [app_a.pk]}).status_code
        for client in (centre_admin_client, centre_operator_client)
    ]
    # then
    assert codes == [403, 403]
    app_a.refresh_from_db()
    assert app_a.status == "submitted"


@pytest.mark.parametrize(
    "data", [{"event": "accepted"}, {"event": "accepted", "ids": ["x"]}, {"event": "rejected", "ids": ["1"]}]
)
def test_batch_with_bad_input_changes_nothing(centre_reviewer_client, app_a, data):
    # when
    response = centre_reviewer_client.post(BATCH, data, follow=True)
    # then
    assert response.status_code == 200
    assert len(list(response.context["messages"])) == 1
    app_a.refresh_from_db()
    assert app_a.status == "submitted"


def test_batch_reject_takes_one_reason_for_all_and_needs_it(centre_reviewer_client, tree):
    # given
    first, second = (make_opening_application(tree.a_point) for _ in range(2))
    # when: no reason
    refused = centre_reviewer_client.post(BATCH, {"event": "rejected", "ids": [first.pk, second.pk]}, follow=True)
    # then: nothing moved, the reviewer is told why
    assert set(Application.objects.values_list("status", flat=True)) == {"submitted"}
    assert any("reason" in str(m).lower() or "原因" in str(m) for m in refused.context["messages"])
    # when: one reason
    centre_reviewer_client.post(BATCH, {"event": "rejected", "ids": [first.pk, second.pk], "note": "重复申请"})
    # then: both rejected, each with the reason the learner reads
    assert set(Application.objects.values_list("status", "decision_note")) == {("rejected", "重复申请")}
    assert AuditEntry.objects.filter(action="reviews.rejected").count() == 2


def test_a_batch_with_an_id_no_database_can_hold_is_refused_not_a_500(centre_reviewer_client, app_a):
    # when: an id beyond 64 bits (SQLite cannot even compare it)
    response = centre_reviewer_client.post(
        BATCH, {"event": "accepted", "ids": [str(app_a.pk), "99999999999999999999"]}, follow=True
    )
    # then
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == ["所选内容无效。"]
    app_a.refresh_from_db()
    assert app_a.status == "submitted"
