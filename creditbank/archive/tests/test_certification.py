"""Certifying a self-deposit (认证): accepted by the learner's organisation, then certified; the
outcome is stored as certified with the item's credits, the evidence moves onto it, and a
returned deposit is answered with a note and more files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.archive.deposits import DepositData, resubmit_deposit, submit_deposit
from creditbank.archive.models import Outcome
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog import services as catalog_services
from creditbank.catalog.tests.factories import item_data, make_item
from creditbank.core.errors import ApplicationError, Conflict, Forbidden, ValidationFailed
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services as review_services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _deposit(learner, **data):
    values = {"item_code": "HL-1", "achieved_on": "2024-05-17", "score": "92", **data}
    return submit_deposit(learner, DepositData(**values), [SimpleUploadedFile("a.pdf", PDF)], actor=learner.user)


@pytest.fixture
def point_reviewer(tree):
    return make_staff(tree.a_point, "reviewer", username="point_reviewer")


@pytest.fixture
def item(tree):
    return make_item(code="HL-1", name="护理学导论", credits="3", hours=48)


def test_accept_then_certify_stores_a_certified_outcome(tree, learner_a, item, point_reviewer, centre_reviewer):
    # given
    deposit = _deposit(learner_a)
    application = deposit.application
    # when the acceptance point accepts and the centre certifies
    review_services.accept_application(application, actor=point_reviewer)
    review_services.certify_application(application, actor=centre_reviewer)
    # then
    deposit.refresh_from_db()
    outcome = deposit.outcome
    assert (outcome.status, outcome.source, outcome.credits, outcome.item, outcome.score) == (
        "certified",
        "self",
        item.credits,
        item,
        "92",
    )
    # deposited at the learner's point, certified by the centre whose reviewer certified it
    assert (outcome.certified_by_org, outcome.org, outcome.learner) == (tree.a, learner_a.org, learner_a)
    assert outcome.certified_at is not None
    assert list(outcome.evidence.values_list("filename", flat=True)) == ["a.pdf"]
    assert deposit.application.status == "approved"
    assert AuditEntry.objects.filter(action="archive.certify", object_id=str(outcome.pk)).count() == 1


def test_certifying_needs_the_right_role_and_a_centre(
    tree, learner_a, item, centre_operator, centre_reviewer, point_reviewer
):
    application = _deposit(learner_a).application
    with pytest.raises(Forbidden) as point:
        review_services.certify_application(application, actor=point_reviewer)
    assert point.value.code == "point_cannot_certify"
    with pytest.raises(Forbidden) as operator:
        review_services.certify_application(application, actor=centre_operator)
    assert operator.value.code == "role_cannot_reviews_certify"
    review_services.accept_application(application, actor=point_reviewer)
    with pytest.raises(Forbidden):
        review_services.first_review_deposit(application, actor=point_reviewer)
    assert not Outcome.objects.exists()
    application.refresh_from_db()
    assert application.status == "accepted"


def test_a_centre_may_accept_and_certify_in_one_step(tree, learner_a, item, centre_reviewer):
    application = _deposit(learner_a).application
    review_services.certify_application(application, actor=centre_reviewer, note="材料齐全")
    application.refresh_from_db()
    assert application.status == "approved"
    steps = list(application.events.order_by("id").values_list("kind", "org__code", "note"))
    assert steps == [("submitted", "A-PT", ""), ("accepted", "A", ""), ("certified", "A", "材料齐全")]
    assert Outcome.objects.get().certified_by_org == tree.a


def test_a_role_without_certify_may_first_review_but_not_certify(tree, learner_a, item, centre_reviewer):
    from creditbank.orgs.models import Role

    Role.objects.filter(code="reviewer").update(
        actions=["reviews.view", "reviews.accept", "reviews.first_review", "archive.view"]
    )
    from creditbank.orgs import permissions

    permissions.forget(centre_reviewer)
    application = _deposit(learner_a).application
    review_services.accept_application(application, actor=centre_reviewer)
    review_services.first_review_deposit(application, actor=centre_reviewer)
    with pytest.raises(Forbidden) as refused:
        review_services.certify_application(application, actor=centre_reviewer)
    assert refused.value.code == "role_cannot_reviews_certify"
    application.refresh_from_db()
    assert application.status == "first_reviewed"


def test_an_other_deposit_is_certified_once_the_reviewer_names_the_item(tree, learner_a, item, centre_reviewer):
    application = _deposit(learner_a, item_code="other", other_name="护理培训").application
    review_services.accept_application(application, actor=centre_reviewer)
    with pytest.raises(ValidationFailed):
        review_services.certify_application(application, actor=centre_reviewer)
    application.refresh_from_db()
    assert application.status == "accepted"
    with pytest.raises(ValidationFailed):
        review_services.certify_application(application, actor=centre_reviewer, item_code="NO-SUCH")
    review_services.certify_application(application, actor=centre_reviewer, item_code="hl-1")
    assert Outcome.objects.get().item == item


def test_a_duplicate_found_at_certification_is_refused_and_nothing_changes(tree, learner_a, item, centre_reviewer):
    application = _deposit(learner_a).application
    review_services.accept_application(application, actor=centre_reviewer)
    import datetime as dt

    make_outcome(learner=learner_a, item=item, achieved_on=dt.date(2024, 5, 17))  # bulk-deposited meanwhile
    with pytest.raises(Conflict):
        review_services.certify_application(application, actor=centre_reviewer)
    application.refresh_from_db()
    assert application.status == "accepted"
    assert Outcome.objects.count() == 1


def test_certification_uses_the_current_version_and_refuses_a_retired_item(tree, learner_a, item, centre_reviewer):
    application = _deposit(learner_a).application
    review_services.accept_application(application, actor=centre_reviewer)
    newer = catalog_services.update_item(
        item, item_data(code="HL-1", name="护理学导论", credits="4", hours=64), actor=None
    )
    review_services.certify_application(application, actor=centre_reviewer)
    outcome = Outcome.objects.get()
    assert (outcome.item, str(outcome.credits)) == (newer, "4.0")
    second = _deposit(learner_a, certificate_no="N2").application
    review_services.accept_application(second, actor=centre_reviewer)
    catalog_services.retire_item(newer, actor=None)
    with pytest.raises(ApplicationError) as retired:
        review_services.certify_application(second, actor=centre_reviewer)
    assert retired.value.code == "catalog_item_retired"


def test_a_returned_deposit_is_answered_with_a_note_and_more_files(tree, learner_a, item, centre_reviewer):
    deposit = _deposit(learner_a)
    review_services.return_application(deposit.application, actor=centre_reviewer, note="请补充成绩单")
    with pytest.raises(ValidationFailed):
        resubmit_deposit(deposit, note=" ", files=[], actor=learner_a.user)
    resubmit_deposit(deposit, note="已补充", files=[SimpleUploadedFile("成绩单.pdf", PDF)], actor=learner_a.user)
    deposit.application.refresh_from_db()
    assert deposit.application.status == "submitted"
    assert sorted(deposit.evidence.values_list("filename", flat=True)) == ["a.pdf", "成绩单.pdf"]


def test_the_review_page_shows_the_deposit_and_certifies_it(
    tree, learner_a, item, centre_reviewer, centre_reviewer_client
):
    application = _deposit(learner_a).application
    review_services.accept_application(application, actor=centre_reviewer)
    page = centre_reviewer_client.get(reverse("reviews:application-detail", args=[application.pk]))
    assert b'id="deposit-details"' in page.content
    assert "a.pdf" in page.content.decode()
    response = centre_reviewer_client.post(
        reverse("reviews:application-action", args=[application.pk]), {"event": "certified"}
    )
    assert response.status_code == 302
    assert Outcome.objects.get().status == "certified"


def test_an_acceptance_point_accepts_but_never_certifies(tree, learner_a, item, point_reviewer):
    application = _deposit(learner_a).application
    review_services.accept_application(application, actor=point_reviewer)
    with pytest.raises(Forbidden) as refused:
        review_services.certify_application(application, actor=point_reviewer)
    assert refused.value.code == "point_cannot_certify"
    application.refresh_from_db()
    assert application.status == "accepted"
    assert not Outcome.objects.exists()


def test_accept_first_review_then_certify_at_three_levels(tree, learner_a, item, point_reviewer, centre_reviewer):
    """受理 at the point, 初审 at the sub-centre, 认证 at the centre; the history shows all three."""
    sub_reviewer = make_staff(tree.a_sub, "reviewer", username="sub_reviewer")
    application = _deposit(learner_a).application
    review_services.accept_application(application, actor=point_reviewer)
    with pytest.raises(Forbidden):  # the point accepted; it never certifies
        review_services.certify_application(application, actor=point_reviewer)
    review_services.first_review_deposit(application, actor=sub_reviewer)
    application.refresh_from_db()
    assert application.status == "first_reviewed"
    review_services.certify_application(application, actor=centre_reviewer)
    events = list(application.events.order_by("id").values_list("kind", flat=True))
    assert events == ["submitted", "accepted", "first_reviewed", "certified"]
    assert Outcome.objects.get().certified_by_org == tree.a
