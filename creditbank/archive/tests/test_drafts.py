"""Drafts (草稿): a deposit the learner saves, completes and sends later; staff never see it before."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.archive import selectors as selectors_archive
from creditbank.archive.deposits import DepositData, submit_deposit, submit_deposit_draft
from creditbank.archive.models import Evidence
from creditbank.catalog.tests.factories import make_item
from creditbank.core.errors import ApplicationError, Forbidden, ValidationFailed
from creditbank.reviews import selectors, services
from creditbank.reviews.access import access_application
from creditbank.reviews.models import Notification

pytestmark = pytest.mark.django_db


def _pdf(name="a.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n")


@pytest.fixture
def item(tree):
    return make_item(code="HL-1", name="护理学导论", credits="3")


@pytest.fixture
def draft(learner_a, item):
    return submit_deposit(
        learner_a, DepositData(item_code="HL-1", achieved_on="2024-05-17"), [], actor=learner_a.user, draft=True
    )


def test_a_draft_is_invisible_to_staff_and_tells_nobody(draft, centre_reviewer, point_reviewer):
    application = draft.application
    assert application.status == "draft"
    assert list(selectors.list_review_queue(centre_reviewer, status="")) == []
    with pytest.raises(ApplicationError) as missing:
        access_application(point_reviewer, application.pk)
    assert missing.value.code == "application_not_found"
    with pytest.raises(ApplicationError):
        services.accept_application(application, actor=point_reviewer)
    assert not Notification.objects.exists()
    assert list(application.events.values_list("kind", flat=True)) == ["drafted"]


def test_a_draft_needs_evidence_before_it_is_sent(draft, learner_a, point_reviewer):
    with pytest.raises(ValidationFailed) as refused:
        submit_deposit_draft(draft, files=[], actor=learner_a.user)
    assert refused.value.details[0]["code"] == "deposit_evidence_required"
    draft.application.refresh_from_db()
    assert draft.application.status == "draft"
    submit_deposit_draft(draft, files=[_pdf()], actor=learner_a.user)
    draft.application.refresh_from_db()
    assert draft.application.status == "submitted"
    assert Evidence.objects.filter(deposit=draft).count() == 1
    assert list(selectors.list_review_queue(point_reviewer)) == [draft.application]
    # the point's acceptors hear of it now
    assert Notification.objects.filter(recipient=point_reviewer, event="submitted").count() == 1


def test_only_the_learner_sends_or_discards_a_draft(draft, learner_a, centre_reviewer):
    with pytest.raises(Forbidden):
        services.submit_draft(draft.application, actor=centre_reviewer)
    services.withdraw_application(draft.application, actor=learner_a.user)
    draft.application.refresh_from_db()
    assert draft.application.status == "withdrawn"
    assert not Notification.objects.exists()  # nobody had heard of it


def test_the_same_outcome_cannot_be_drafted_twice(draft, learner_a):
    with pytest.raises(ApplicationError) as twice:
        submit_deposit(
            learner_a, DepositData(item_code="HL-1", achieved_on="2024-05-17"), [_pdf()], actor=learner_a.user
        )
    assert twice.value.code == "deposit_already_requested"


def test_the_learner_saves_and_sends_a_draft_through_the_pages(learner_client, learner_a, item):
    saved = learner_client.post(
        reverse("archive:me-deposit-new"), {"item_code": "HL-1", "achieved_on": "2024-05-17", "draft": "1"}
    )
    assert saved.status_code == 302
    deposit = learner_a.deposits.get()
    assert deposit.application.status == "draft"
    page = learner_client.get(reverse("archive:me-deposit", args=[deposit.pk]))
    assert 'id="draft"' in page.content.decode()
    learner_client.post(reverse("archive:me-deposit-submit", args=[deposit.pk]), {"evidence": [_pdf()]})
    deposit.application.refresh_from_db()
    assert deposit.application.status == "submitted"


def test_the_api_saves_a_draft_and_submits_it(learner_a, item):
    from creditbank.api.tests.helpers import bearer_client

    client = bearer_client(learner_a.user)
    made = client.post("/api/v1/me/deposits", {"item_code": "HL-1", "achieved_on": "2024-05-17", "draft": "true"})
    assert made.status_code == 201, made.content
    application_id = made.json()["application_id"]
    assert made.json()["status"] == "draft"
    empty = client.post(f"/api/v1/me/applications/{application_id}/submit")
    assert (empty.status_code, empty.json()["details"][0]["code"]) == (422, "deposit_evidence_required")
    sent = client.post(f"/api/v1/me/applications/{application_id}/submit", {"evidence": [_pdf()]})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "submitted"
    assert [step["kind"] for step in sent.json()["history"]] == ["drafted", "submitted"]
    again = client.post(f"/api/v1/me/applications/{application_id}/submit")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_staff_pages_show_neither_a_draft_nor_its_evidence(learner_a, item, centre_reviewer_client):
    # given: a draft saved with its file, and the learner's own page lists it
    draft = submit_deposit(
        learner_a,
        DepositData(item_code="HL-1", achieved_on="2024-05-17"),
        [_pdf("proof.pdf")],
        actor=learner_a.user,
        draft=True,
    )
    evidence = draft.evidence.get()
    # when staff of the learner's centre open the learner and their archive
    detail = centre_reviewer_client.get(reverse("learners:learner-detail", args=[learner_a.account_no]))
    archive = centre_reviewer_client.get(reverse("archive:learner-archive", args=[learner_a.account_no]))
    download = centre_reviewer_client.get(reverse("archive:staff-evidence", args=[evidence.pk]))
    # then the draft is nowhere: not among the applications, not among the deposits, its file not served
    assert (detail.status_code, archive.status_code) == (200, 200)
    assert reverse("reviews:application-detail", args=[draft.application_id]) not in detail.content.decode()
    assert 'id="deposit-applications"' not in archive.content.decode()
    assert download.status_code == 404
    # and once the learner sends it, staff see it and may open its file
    submit_deposit_draft(draft, files=[], actor=learner_a.user)
    archive = centre_reviewer_client.get(reverse("archive:learner-archive", args=[learner_a.account_no]))
    assert 'id="deposit-applications"' in archive.content.decode()
    assert centre_reviewer_client.get(reverse("archive:staff-evidence", args=[evidence.pk])).status_code == 200


def test_a_discarded_draft_stays_unseen_by_staff(learner_a, item, centre_reviewer, centre_reviewer_client):
    # given: a draft with its file, discarded without ever being sent
    draft = submit_deposit(
        learner_a,
        DepositData(item_code="HL-1", achieved_on="2024-05-17"),
        [_pdf("proof.pdf")],
        actor=learner_a.user,
        draft=True,
    )
    evidence = draft.evidence.get()
    services.withdraw_application(draft.application, actor=learner_a.user)
    # when staff look at every status, the learner's archive, the application and its file
    everything = list(selectors.list_review_queue(centre_reviewer, status=""))
    withdrawn = list(selectors.list_review_queue(centre_reviewer, status="withdrawn"))
    archive = centre_reviewer_client.get(reverse("archive:learner-archive", args=[learner_a.account_no]))
    detail = centre_reviewer_client.get(reverse("reviews:application-detail", args=[draft.application_id]))
    download = centre_reviewer_client.get(reverse("archive:staff-evidence", args=[evidence.pk]))
    # then it is nowhere: nobody but the learner ever heard of it
    assert (everything, withdrawn) == ([], [])
    assert 'id="deposit-applications"' not in archive.content.decode()
    assert (detail.status_code, download.status_code) == (404, 404)
    # while the learner still sees it, discarded
    page = selectors_archive.get_learner_deposit(learner_a, draft.pk)
    assert page.application.status == "withdrawn"


def test_a_learner_files_a_limited_number_of_deposits_a_day(learner_a, item, settings):
    from creditbank.core.errors import TooManyRequests

    settings.CREDITBANK_DEPOSITS_PER_DAY = 1
    submit_deposit(
        learner_a, DepositData(item_code="HL-1", achieved_on="2024-05-17"), [], actor=learner_a.user, draft=True
    )
    with pytest.raises(TooManyRequests):
        submit_deposit(
            learner_a, DepositData(item_code="HL-1", achieved_on="2024-05-18"), [], actor=learner_a.user, draft=True
        )
    assert learner_a.deposits.count() == 1
