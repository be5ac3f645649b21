"""The review queue's filters, days waiting with overdue highlighted, and the dashboard tile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.catalog.tests.factories import make_item
from creditbank.reviews import selectors, services
from creditbank.reviews.models import Application

pytestmark = pytest.mark.django_db

QUEUE = "/console/reviews/"


@pytest.fixture
def deposits(tree, learner_a, learner_b):
    make_item(code="HL-1", name="护理学导论", credits="3")
    make_item(code="JSJ-1", name="计算机应用基础", credits="4")
    made = []
    for learner, code in ((learner_a, "HL-1"), (learner_a, "JSJ-1"), (learner_b, "HL-1")):
        made.append(
            submit_deposit(
                learner,
                DepositData(item_code=code, achieved_on="2024-05-17"),
                [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
                actor=learner.user,
            ).application
        )
    return made


def _ids(response):
    return [application.pk for application in response.context["page_obj"]]


def test_filters_by_kind_item_region_and_dates(tree, deposits, root_reviewer_client):
    old = deposits[0]
    Application.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    assert _ids(root_reviewer_client.get(QUEUE, {"kind": "deposit"})) == [old.pk, deposits[1].pk, deposits[2].pk]
    assert _ids(root_reviewer_client.get(QUEUE, {"kind": "deposit", "item": "jsj-1"})) == [deposits[1].pk]
    region = deposits[0].learner.region.code
    by_region = _ids(root_reviewer_client.get(QUEUE, {"region": region[:4] + "00"}))
    assert old.pk in by_region
    today = timezone.localdate().isoformat()
    assert old.pk not in _ids(root_reviewer_client.get(QUEUE, {"submitted_from": today}))
    assert _ids(root_reviewer_client.get(QUEUE, {"overdue": "on"})) == [old.pk]


def test_bad_filters_are_form_errors_not_500(tree, deposits, root_reviewer_client):
    for params in ({"region": "34"}, {"submitted_from": "0001-01-01"}, {"submitted_to": "x"}, {"kind": "nope"}):
        response = root_reviewer_client.get(QUEUE, params)
        assert response.status_code == 200
        assert response.context["form"].errors


def test_days_waiting_and_overdue_per_kind(tree, deposits, root_reviewer_client, settings):
    settings.CREDITBANK_REVIEW_LIMIT_DAYS = {"default": 10, "deposit": 3}
    Application.objects.filter(pk=deposits[0].pk).update(submitted_at=timezone.now() - dt.timedelta(days=5))
    response = root_reviewer_client.get(QUEUE)
    rows = {
        application.pk: (application.days_waiting, application.is_overdue)
        for application in response.context["page_obj"]
    }
    assert rows[deposits[0].pk] == (5, True)
    assert rows[deposits[1].pk] == (0, False)
    assert b'data-overdue="1"' in response.content


def test_the_dashboard_tile_counts_waiting_overdue_and_done_this_week(tree, deposits, root_reviewer, centre_admin):
    Application.objects.filter(pk=deposits[0].pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    services.reject_application(deposits[2], actor=root_reviewer, note="材料不符")
    assert selectors.queue_tile(root_reviewer) == {"waiting": 2, "overdue": 1, "done_this_week": 1}
    # in scope only: centre A sees learner_a's two, not learner_b's (centre B)
    assert selectors.queue_tile(centre_admin)["waiting"] == 2
    assert selectors.queue_tile(centre_admin)["done_this_week"] == 0


def test_the_dashboard_shows_the_tile(tree, deposits, root_reviewer_client):
    response = root_reviewer_client.get(reverse("console:dashboard"))
    assert b'id="queue-tile"' in response.content


def test_the_tile_per_organisation_shows_where_work_waits(tree, deposits, root_reviewer, root_reviewer_client):
    Application.objects.filter(pk=deposits[0].pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    services.reject_application(deposits[2], actor=root_reviewer, note="材料不符")
    rows = selectors.queue_tiles_by_org(root_reviewer)
    assert rows == [
        {"code": "A-PT", "name": tree.a_point.name, "waiting": 2, "overdue": 1, "done_this_week": 0},
        {"code": "B", "name": tree.b.name, "waiting": 0, "overdue": 0, "done_this_week": 1},
    ]
    page = root_reviewer_client.get(reverse("console:dashboard")).content.decode()
    assert 'id="queue-by-org"' in page
    assert 'data-org="A-PT"' in page
