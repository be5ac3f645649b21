"""The inbox: the learner hears about every staff step (no staff names), the handling
organisation's acceptors hear about new, resubmitted and withdrawn applications; SMS only for
the events a deployment switches on, after the step is committed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.accounts.sms import LoggingSmsBackend
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.catalog.tests.factories import make_item
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services
from creditbank.reviews.models import Notification

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


def test_the_point_hears_of_a_new_deposit_and_the_learner_of_each_step(tree, learner_a, deposit, centre_reviewer):
    point_reviewer = make_staff(tree.a_point, "reviewer", username="inbox_point")
    point_operator = make_staff(tree.a_point, "operator", username="inbox_operator")  # may not accept
    told = set(Notification.objects.filter(event="submitted").values_list("recipient__username", flat=True))
    # point_reviewer was made after the submission: only later events reach them
    assert "inbox_operator" not in told
    services.accept_application(deposit.application, actor=centre_reviewer)
    services.return_application(deposit.application, actor=centre_reviewer, note="请补充")
    services.resubmit_application(deposit.application, actor=learner_a.user, note="已补充")
    mine = list(Notification.objects.filter(recipient=learner_a.user).order_by("id").values_list("event", "text"))
    assert [event for event, _text in mine] == ["accepted", "returned"]
    assert all("centre_reviewer" not in text for _event, text in mine)
    staff = set(Notification.objects.filter(event="resubmitted").values_list("recipient__username", flat=True))
    assert staff == {"inbox_point"}
    assert point_operator.notifications.count() == 0
    assert point_reviewer.notifications.get().link == reverse(
        "reviews:application-detail", args=[deposit.application_id]
    )


def test_sms_goes_out_only_for_switched_on_events(
    tree, learner_a, deposit, centre_reviewer, settings, django_capture_on_commit_callbacks
):
    settings.CREDITBANK_SMS_EVENTS = frozenset({"returned"})
    LoggingSmsBackend.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_application(deposit.application, actor=centre_reviewer)
    assert LoggingSmsBackend.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        services.return_application(deposit.application, actor=centre_reviewer, note="请补充成绩单")
    assert [phone for phone, _text in LoggingSmsBackend.messages] == [learner_a.phone]


def test_the_inbox_pages_show_and_mark_read(tree, learner_a, deposit, centre_reviewer, learner_client):
    services.accept_application(deposit.application, actor=centre_reviewer)
    page = learner_client.get(reverse("accounts:me-inbox"))
    assert page.context["unread"] == 1
    assert "inbox_unread" in page.context
    learner_client.post(reverse("accounts:me-inbox"))
    assert Notification.objects.filter(recipient=learner_a.user, read_at__isnull=True).count() == 0
    # nobody reads another's inbox: the page shows only the caller's own lines
    other = learner_client.get(reverse("accounts:me-inbox")).context["notifications"]
    assert {notification.recipient_id for notification in other} == {learner_a.user.pk}
