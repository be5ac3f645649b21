"""One engine for every kind: the opening applications of the foundation issue run through the
declarations in ``reviews.workflow``, like deposits; refusals change nothing and are logged."""

import pytest

from creditbank.accounts import services as account_services
from creditbank.accounts import sms
from creditbank.accounts.tests.factories import identity_data
from creditbank.api.tests.helpers import bearer_client, post_json
from creditbank.audit.models import AuditEntry
from creditbank.core.errors import ApplicationError
from creditbank.reviews import services, workflow
from creditbank.reviews.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def opening(tree):
    data = identity_data()
    account_services.send_phone_code(data["phone"], "register")
    registration = account_services.register_learner(
        org=tree.a_point, phone_code=sms.last_code(data["phone"]), password="Good#pass2026", **data
    )
    return registration.application


def test_a_self_registration_files_an_opening_application_of_the_declared_kind(opening, tree):
    assert opening.kind == workflow.ACCOUNT_OPENING.kind
    assert workflow.KINDS[opening.kind] is workflow.ACCOUNT_OPENING
    assert opening.org == tree.a_point  # the handler the kind declares: the organisation the learner chose
    assert services.handling_org(opening.kind, learner=opening.learner) == opening.learner.org


def test_the_opening_moves_only_along_its_declared_steps(opening, point_reviewer, centre_reviewer, monkeypatch):
    seen = []
    real = workflow.next_status

    def spy(kind, status, event):
        seen.append((kind, status, event))
        return real(kind, status, event)

    monkeypatch.setattr(workflow, "next_status", spy)
    services.accept_application(opening, actor=point_reviewer)
    services.approve_first_review(opening, actor=centre_reviewer)
    opening.refresh_from_db()
    opening.learner.refresh_from_db()
    assert (opening.status, opening.learner.status) == ("approved", "active")
    assert seen == [("account_opening", "submitted", "accepted"), ("account_opening", "accepted", "approved")]
    history = list(opening.events.order_by("id").values_list("kind", "actor__username", "org__code"))
    assert history == [
        ("submitted", opening.learner.user.username, "A-PT"),
        ("accepted", "point_reviewer", "A-PT"),
        ("approved", "centre_reviewer", "A"),
    ]


def test_the_staff_api_names_the_steps_the_caller_may_take(opening, point_reviewer, centre_reviewer):
    point = bearer_client(point_reviewer).get(f"/api/v1/reviews/{opening.pk}").json()
    centre = bearer_client(centre_reviewer).get(f"/api/v1/reviews/{opening.pk}").json()
    assert point["available_actions"] == ["accept", "reject", "return"]
    assert centre["available_actions"] == ["accept", "first-review", "approve", "reject", "return"]
    assert centre["events"][0]["org"] == "A-PT"


def test_refusals_change_nothing_and_are_logged(opening, point_reviewer, centre_operator, other_admin):
    # out of order (a point may not skip acceptance)
    with pytest.raises(ApplicationError) as early:
        services.approve_first_review(opening, actor=point_reviewer)
    assert early.value.code == "invalid_transition"
    # a role that may not take the step
    with pytest.raises(ApplicationError) as role:
        services.accept_application(opening, actor=centre_operator)
    assert role.value.code == "role_cannot_reviews_accept"
    # outside the data scope: the staff API answers 404, as for a missing application
    outside = post_json(bearer_client(other_admin), f"/api/v1/reviews/{opening.pk}/accept", {})
    assert outside.status_code == 404
    opening.refresh_from_db()
    assert opening.status == "submitted"
    assert opening.events.count() == 1
    refused = list(
        AuditEntry.objects.filter(action="reviews.refused").order_by("id").values_list("actor_name", "after")
    )
    assert [(name, after["code"]) for name, after in refused] == [
        ("point_reviewer", "invalid_transition"),
        ("centre_operator", "role_cannot_reviews_accept"),
        ("other_admin", "out_of_scope"),
    ]
    assert Application.objects.get().status == "submitted"


def test_a_later_kind_registers_its_own_declaration():
    from creditbank.reviews.choices import ReviewEventKind as E

    spec = workflow.KindSpec(
        kind="test_kind",
        handler=workflow.HANDLER_PROGRAMME_UNIVERSITY,
        steps={E.ACCEPTED: workflow.Step({"submitted": "accepted"}, action="reviews.accept")},
    )
    try:
        workflow.register(spec)
        assert workflow.available_events("test_kind", "submitted") == ["accepted"]
        with pytest.raises(ApplicationError) as nobody:
            services.handling_org("test_kind", learner=None)
        assert nobody.value.code == "no_handling_org"
    finally:
        workflow.KINDS.pop("test_kind")


def test_refusals_through_the_console_and_the_older_api_routes_are_logged_too(opening, centre_operator, other_admin):
    # given: an operator (may view the queue, may not accept) and an administrator of another centre
    from django.test import Client
    from django.urls import reverse

    console = Client()
    console.force_login(centre_operator)
    # when each tries a step it may not take
    page = console.post(reverse("reviews:application-action", args=[opening.pk]), {"event": "accepted"})
    batch = console.post(reverse("reviews:batch"), {"event": "accepted", "ids": [opening.pk]})
    api = post_json(bearer_client(centre_operator), f"/api/v1/reviews/applications/{opening.pk}/accept", {})
    outside = post_json(bearer_client(other_admin), f"/api/v1/reviews/applications/{opening.pk}/accept", {})
    outside_review = post_json(
        bearer_client(other_admin), f"/api/v1/reviews/applications/{opening.pk}/first-review", {"decision": "approve"}
    )
    # then each is refused, nothing moved, and each refusal is in the operation log
    statuses = (page.status_code, batch.status_code, api.status_code, outside.status_code, outside_review.status_code)
    assert statuses == (403, 403, 403, 404, 404)
    opening.refresh_from_db()
    assert (opening.status, opening.events.count()) == ("submitted", 1)
    refused = AuditEntry.objects.filter(action="reviews.refused").order_by("id").values_list("actor_name", "after")
    assert [(name, after["code"]) for name, after in refused] == [
        ("centre_operator", "role_cannot_reviews_accept"),
        ("centre_operator", "role_cannot_reviews_accept"),
        ("centre_operator", "role_cannot_reviews_accept"),
        ("other_admin", "out_of_scope"),
        ("other_admin", "out_of_scope"),
    ]
