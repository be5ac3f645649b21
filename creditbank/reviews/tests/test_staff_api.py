"""The staff review API: ``GET /api/v1/reviews/queue``, ``/reviews/{id}``, ``POST /reviews/{id}/{action}``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creditbank.api.tests.helpers import bearer_client, post_json
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.reviews.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposit(tree, learner_a):
    make_item(code="HL-1", name="护理学导论", credits="3")
    return submit_deposit(
        learner_a,
        DepositData(item_code="HL-1", achieved_on="2024-05-17"),
        [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
        actor=learner_a.user,
    )


def test_an_institution_system_works_its_queue(deposit, centre_reviewer):
    client = bearer_client(centre_reviewer)
    application = deposit.application
    Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now() - dt.timedelta(days=30))
    queue = client.get("/api/v1/reviews/queue?kind=deposit").json()
    row = queue["items"][0]
    assert (row["id"], row["kind"], row["overdue"], row["days_waiting"]) == (application.pk, "deposit", True, 30)
    assert client.get("/api/v1/reviews/queue?overdue=true&item=HL-1").json()["count"] == 1
    assert client.get(f"/api/v1/reviews/{application.pk}").json()["events"][0]["kind"] == "submitted"
    # accept, then approve = certify for a deposit
    assert post_json(client, f"/api/v1/reviews/{application.pk}/accept", {}).json()["status"] == "accepted"
    approved = post_json(client, f"/api/v1/reviews/{application.pk}/approve", {"comment": "材料齐全"})
    assert approved.json()["status"] == "approved"
    assert Outcome.objects.get().status == "certified"
    # the application has moved on: another step is a 409
    late = post_json(client, f"/api/v1/reviews/{application.pk}/reject", {"comment": "晚了"})
    assert late.status_code == 409
    assert late.json()["code"] == "invalid_transition"


def test_reasons_are_required_and_unknown_actions_are_422(deposit, point_reviewer):
    client = bearer_client(point_reviewer)
    pk = deposit.application.pk
    missing = post_json(client, f"/api/v1/reviews/{pk}/return", {})
    assert missing.status_code == 422
    assert missing.json()["details"][0]["code"] == "reason_required"
    assert post_json(client, f"/api/v1/reviews/{pk}/explode", {}).status_code == 422
    early = post_json(client, f"/api/v1/reviews/{pk}/first-review", {})
    assert (early.status_code, early.json()["code"]) == (403, "org_cannot_take_step")  # a centre's step
    assert client.get("/api/v1/reviews/queue?state=lost").status_code == 422
    assert Application.objects.get(pk=pk).status == "submitted"
