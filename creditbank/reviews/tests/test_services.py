import pytest
from django.core.cache import cache

from creditbank.accounts import services as account_services
from creditbank.accounts import sms
from creditbank.accounts.tests.factories import identity_data
from creditbank.audit.models import AuditEntry
from creditbank.core.errors import ApplicationError, Conflict, Forbidden, ValidationFailed
from creditbank.reviews import selectors, services
from creditbank.reviews.models import Application, ReviewEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(tree):
    data = identity_data()
    account_services.send_phone_code(data["phone"], "register")
    registration = account_services.register_learner(
        org=tree.a_point, phone_code=sms.last_code(data["phone"]), password="Good#pass2026", **data
    )
    return registration.application


def test_accept_then_first_review_activates_the_account(application, centre_reviewer):
    # when
    services.accept_application(application, actor=centre_reviewer)
    services.approve_first_review(application, actor=centre_reviewer, note="材料齐全")
    # then
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.learner.status == "active"
    assert list(ReviewEvent.objects.filter(application=application).values_list("kind", flat=True)) == [
        "submitted",
        "accepted",
        "approved",
    ]
    assert list(
        AuditEntry.objects.filter(object_id=str(application.pk), object_type="reviews.application")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["reviews.accepted", "reviews.approved"]


def test_out_of_scope_reviewer_cannot_act(application, tree):
    from creditbank.orgs.tests.factories import make_staff

    outsider = make_staff(tree.b, "reviewer")
    with pytest.raises(Forbidden):
        services.accept_application(application, actor=outsider)
    application.refresh_from_db()
    assert application.status == "submitted"


def test_operator_cannot_first_review(application, centre_operator, centre_reviewer):
    services.accept_application(application, actor=centre_reviewer)
    with pytest.raises(Forbidden):
        services.approve_first_review(application, actor=centre_operator)


def test_rejection_needs_a_reason_the_learner_reads(application, centre_reviewer):
    with pytest.raises(ValidationFailed):
        services.reject_application(application, actor=centre_reviewer, note="  ")
    services.reject_application(application, actor=centre_reviewer, note="证件号码与姓名不符")
    application.refresh_from_db()
    assert (application.status, application.decision_note) == ("rejected", "证件号码与姓名不符")
    assert application.learner.status == "pending"


def test_invalid_transition_changes_nothing(application, point_reviewer):
    # an acceptance point may not skip acceptance: first review before it is refused
    with pytest.raises(ApplicationError) as excinfo:
        services.approve_first_review(application, actor=point_reviewer)
    assert excinfo.value.code == "invalid_transition"
    assert ReviewEvent.objects.count() == 1
    application.refresh_from_db()
    assert application.status == "submitted"


def test_a_centre_accepts_and_first_reviews_an_opening_in_one_step(application, centre_reviewer, tree):
    services.approve_first_review(application, actor=centre_reviewer, note="材料齐全")
    application.refresh_from_db()
    assert application.status == "approved"
    events = list(application.events.order_by("id").values_list("kind", "from_status", "to_status", "org__code"))
    assert events == [
        ("submitted", "", "submitted", "A-PT"),
        ("accepted", "submitted", "accepted", "A"),
        ("approved", "accepted", "approved", "A"),
    ]
    application.learner.refresh_from_db()
    assert application.learner.status == "active"
    assert list(
        AuditEntry.objects.filter(action__startswith="reviews.").order_by("id").values_list("action", flat=True)
    ) == ["reviews.accepted", "reviews.approved"]


def test_batch_accept_reports_failures(application, centre_reviewer, tree):
    done, failures = services.apply_batch([application, application], actor=centre_reviewer, event="accepted")
    assert done == 1
    assert [failure["code"] for failure in failures] == ["invalid_transition"]


def test_queue_is_scoped_and_oldest_first(application, centre_reviewer, other_admin):
    assert list(selectors.list_review_queue(centre_reviewer)) == [application]
    assert list(selectors.list_review_queue(other_admin)) == []
    assert Application.objects.count() == 1


def test_learner_resubmits_a_returned_application(application, centre_reviewer):
    services.return_application(application, actor=centre_reviewer, note="请补充身份证照片")
    with pytest.raises(Forbidden):
        services.resubmit_application(application, actor=centre_reviewer)
    services.resubmit_application(application, actor=application.learner.user, note="已补充")
    application.refresh_from_db()
    assert application.status == "submitted"
    assert list(application.events.values_list("kind", flat=True)) == ["submitted", "returned", "resubmitted"]


def test_a_rejected_person_can_register_again(application, centre_reviewer, tree):
    # given a self-registration rejected at first review
    services.reject_application(application, actor=centre_reviewer, note="照片不清晰")
    learner = application.learner
    cache.clear()  # the one-code-a-minute limit
    # when the same person registers again, at another organisation
    account_services.send_phone_code(learner.phone, "register")
    again = account_services.register_learner(
        org=tree.a,
        name=learner.name,
        id_number=learner.id_number,
        phone=learner.phone,
        phone_code=sms.last_code(learner.phone),
        password="Other#pass2026",
    )
    # then the same record carries a new application, and the old one keeps its history
    assert again.learner.pk == learner.pk
    assert again.learner.org == tree.a
    assert again.learner.user.check_password("Other#pass2026")
    assert list(Application.objects.filter(learner=learner).order_by("id").values_list("status", flat=True)) == [
        "rejected",
        "submitted",
    ]


def test_a_registered_person_cannot_register_twice(application, tree):
    learner = application.learner
    cache.clear()  # the one-code-a-minute limit
    account_services.send_phone_code(learner.phone, "register")

    with pytest.raises(Conflict):
        account_services.register_learner(
            org=tree.a,
            name=learner.name,
            id_number=learner.id_number,
            phone=learner.phone,
            phone_code=sms.last_code(learner.phone),
            password="Other#pass2026",
        )
    assert Application.objects.count() == 1
