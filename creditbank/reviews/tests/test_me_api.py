"""The learner's applications over the API (``GET /api/v1/me/applications``)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from creditbank.api.tests.helpers import bearer_client
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.catalog.tests.factories import make_item
from creditbank.reviews import services

pytestmark = pytest.mark.django_db


def _deposits(learner, point_reviewer, count):
    for day in range(1, count + 1):
        deposit = submit_deposit(
            learner,
            DepositData(item_code="HL-1", achieved_on=f"2024-05-{day:02d}"),
            [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
            actor=learner.user,
        )
        services.accept_application(deposit.application, actor=point_reviewer)


@pytest.mark.parametrize("count", [1, 8])
def test_my_applications_with_their_history_take_the_same_queries_for_one_or_many(
    learner_a, point_reviewer, django_assert_max_num_queries, count
):
    # given: applications with two history lines each
    make_item(code="HL-1", name="护理学导论", credits="3")
    _deposits(learner_a, point_reviewer, count)
    client = bearer_client(learner_a.user)
    # when
    # five queries whether one application or eight (was 5 + one per application)
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/me/applications")
    # then
    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == count
    assert [step["kind"] for step in body["items"][0]["history"]] == ["submitted", "accepted"]
    assert body["items"][0]["history"][1]["org"] == "三里庵受理点"
