"""Revoking a certified outcome (a reasoned, logged act), withdrawing a deposit, and the learner's
applications API with its history (no staff names)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.api.tests.helpers import bearer_client
from creditbank.archive import selectors
from creditbank.archive import services as archive_services
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Outcome
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog.tests.factories import make_item
from creditbank.core.errors import ApplicationError, Conflict, Forbidden, ValidationFailed
from creditbank.reviews import services as review_services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def item(tree):
    return make_item(code="HL-1", name="护理学导论", credits="3")


def _deposit(learner):
    return submit_deposit(
        learner,
        DepositData(item_code="HL-1", achieved_on="2024-05-17"),
        [SimpleUploadedFile("a.pdf", PDF)],
        actor=learner.user,
    )


def test_revoking_needs_the_right_and_a_reason_and_the_outcome_counts_for_nothing(
    tree, learner_a, item, centre_admin, centre_reviewer, other_admin
):
    outcome = make_outcome(learner=learner_a, item=item, status="certified")
    with pytest.raises(Forbidden):
        archive_services.revoke_outcome(outcome, actor=centre_reviewer, reason="伪造")
    with pytest.raises(Forbidden):
        archive_services.revoke_outcome(outcome, actor=other_admin, reason="伪造")
    with pytest.raises(ValidationFailed):
        archive_services.revoke_outcome(outcome, actor=centre_admin, reason="  ")
    outcome.refresh_from_db()
    assert outcome.status == "certified"
    archive_services.revoke_outcome(outcome, actor=centre_admin, reason="证书经核查为伪造")
    outcome.refresh_from_db()
    assert (outcome.status, outcome.revoke_reason) == ("revoked", "证书经核查为伪造")
    assert outcome.revoked_at is not None
    assert AuditEntry.objects.filter(action="archive.revoke", object_id=str(outcome.pk)).count() == 1
    assert selectors.archive_summary(learner_a).credits == 0
    with pytest.raises(Conflict):
        archive_services.revoke_outcome(outcome, actor=centre_admin, reason="again")


def test_the_console_revokes_and_the_learner_reads_why(tree, learner_a, item, centre_admin_client, learner_client):
    outcome = make_outcome(learner=learner_a, item=item, status="certified")
    page = centre_admin_client.get(reverse("archive:staff-outcome", args=[outcome.pk]))
    assert page.context["can_revoke"] is True
    centre_admin_client.post(reverse("archive:staff-outcome-revoke", args=[outcome.pk]), {"reason": "重复存入"})
    assert Outcome.objects.get().status == "revoked"
    mine = learner_client.get(reverse("archive:me-outcome", args=[outcome.pk]))
    assert "重复存入" in mine.content.decode()


def test_a_learner_withdraws_a_deposit_before_it_is_decided(tree, learner_a, item, centre_reviewer, learner_client):
    deposit = _deposit(learner_a)
    with pytest.raises(Forbidden):
        review_services.withdraw_application(deposit.application, actor=centre_reviewer)
    learner_client.post(reverse("archive:me-deposit-withdraw", args=[deposit.pk]))
    deposit.application.refresh_from_db()
    assert deposit.application.status == "withdrawn"
    with pytest.raises(ApplicationError) as late:
        review_services.accept_application(deposit.application, actor=centre_reviewer)
    assert late.value.code == "invalid_transition"
    # and a staff step named "withdrawn" is refused whatever the role
    with pytest.raises(Forbidden):
        review_services.take_step(deposit.application, actor=centre_reviewer, event="withdrawn")


def test_my_applications_api_shows_history_without_staff_names(tree, learner_a, item, centre_reviewer):
    deposit = _deposit(learner_a)
    review_services.return_application(deposit.application, actor=centre_reviewer, note="请补充成绩单")
    client = bearer_client(learner_a.user)
    body = client.get("/api/v1/me/applications").json()
    mine = next(item for item in body["items"] if item["id"] == deposit.application_id)
    assert (mine["kind"], mine["status"], mine["reason"], mine["deposit_id"]) == (
        "deposit",
        "returned",
        "请补充成绩单",
        deposit.pk,
    )
    assert [step["kind"] for step in mine["history"]] == ["submitted", "returned"]
    assert "centre_reviewer" not in str(body)
    # resubmit with a new file, then withdraw
    url = f"/api/v1/me/applications/{deposit.application_id}/resubmit"
    answered = client.post(url, {"note": "已补充", "evidence": [SimpleUploadedFile("b.pdf", PDF)]})
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "submitted"
    assert deposit.evidence.count() == 2
    gone = client.post(f"/api/v1/me/applications/{deposit.application_id}/withdraw", content_type="application/json")
    assert gone.json()["status"] == "withdrawn"
    again = client.post(f"/api/v1/me/applications/{deposit.application_id}/withdraw", content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert client.post("/api/v1/me/applications/999999/withdraw", content_type="application/json").status_code == 404
