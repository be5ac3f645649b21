"""The archive API: ``/api/v1/me/outcomes``, ``/me/outcomes/{id}``, ``/me/summary``, ``/me/deposits``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from creditbank.accounts.tests.factories import make_learner
from creditbank.api.tests.helpers import bearer_client
from creditbank.archive.models import Deposit
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def archive(tree, learner_a):
    course = make_item(code="C-1", name="高等数学", credits="4", type="degree_course", level=6)
    cert = make_item(code="X-1", name="Web前端开发", type="one_plus_x", level=5, credits=None, hours=None)
    outcomes = [
        make_outcome(learner=learner_a, item=course, achieved_on=dt.date(2022, 6, 30), score="88"),
        make_outcome(learner=learner_a, item=cert, status="certified", achieved_on=dt.date(2024, 1, 5)),
    ]
    make_outcome(learner=make_learner(tree.b), item=course)
    return outcomes


def test_my_outcomes_newest_first_with_filters(archive, learner_a):
    client = bearer_client(learner_a.user)
    body = client.get("/api/v1/me/outcomes").json()
    assert body["count"] == 2
    first = body["items"][0]
    assert (first["item_code"], first["type"]["code"], first["level"], first["credits"], first["status"]) == (
        "X-1",
        "one_plus_x",
        5,
        "6.0",
        "certified",
    )
    assert first["source"] == "bulk"
    assert first["deposited_by"]["code"] == learner_a.org.code
    assert [item["item_code"] for item in client.get("/api/v1/me/outcomes?year=2022").json()["items"]] == ["C-1"]
    assert client.get("/api/v1/me/outcomes?type=one_plus_x&status=certified").json()["count"] == 1
    assert client.get("/api/v1/me/outcomes?status=&year=&source=").json()["count"] == 2
    bad = client.get("/api/v1/me/outcomes?status=lost")
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"


def test_one_outcome_and_someone_elses_is_404(archive, tree, learner_a):
    client = bearer_client(learner_a.user)
    assert client.get(f"/api/v1/me/outcomes/{archive[0].pk}").json()["name"] == "高等数学"
    stranger = make_outcome(learner=make_learner(tree.b), item=archive[0].item, certificate_no="S")
    response = client.get(f"/api/v1/me/outcomes/{stranger.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "outcome_not_found"


def test_summary(archive, learner_a):
    body = bearer_client(learner_a.user).get("/api/v1/me/summary").json()
    assert (body["outcomes"], body["credits"], body["certified_credits"]) == (2, "10.0", "6.0")
    assert [row["code"] for row in body["by_type"]] == ["degree_course", "one_plus_x"]
    assert [row["level"] for row in body["by_level"]] == [5, 6]
    assert body["years"] == [2024, 2022]


def test_the_archive_list_stays_within_its_query_budget(archive, learner_a, django_assert_max_num_queries):
    client = bearer_client(learner_a.user)
    for _ in range(20):
        make_outcome(learner=learner_a, item=archive[0].item)
    with django_assert_max_num_queries(4):  # token, page (count included when short)
        assert client.get("/api/v1/me/outcomes").status_code == 200


def test_post_a_deposit_with_evidence(tree, learner_a):
    make_item(code="HL-1", name="护理学导论", credits="3")
    client = bearer_client(learner_a.user)
    response = client.post(
        "/api/v1/me/deposits",
        {
            "item_code": "hl-1",
            "achieved_on": "2024/5/17",
            "certificate_no": "N-1",
            "evidence": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["item_code"], body["status"], body["evidence"], body["achieved_on"]) == (
        "HL-1",
        "submitted",
        ["a.pdf", "b.pdf"],
        "2024-05-17",
    )
    listed = client.get("/api/v1/me/deposits").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_a_bad_deposit_is_a_422_with_field_details_and_stores_nothing(tree, learner_a):
    make_item(code="HL-1", name="护理学导论", credits="3")
    client = bearer_client(learner_a.user)
    response = client.post(
        "/api/v1/me/deposits",
        {"item_code": "HL-1", "achieved_on": "2024-13-01", "evidence": [SimpleUploadedFile("a.pdf", b"GIF89a")]},
    )
    assert response.status_code == 422
    fields = {detail["field"] for detail in response.json()["details"]}
    assert {"achieved_on", "evidence"} <= fields
    missing = client.post("/api/v1/me/deposits", {"item_code": "HL-1", "achieved_on": "2024-05-01"})
    assert missing.status_code == 422
    assert Deposit.objects.count() == 0


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_real_photos_and_files_up_to_the_limit_are_accepted(tree, learner_a):
    # a real PNG holds NUL bytes, and a 6 MB PDF is over Django's in-memory body limit
    make_item(code="HL-1", name="护理学导论", credits="3")
    client = bearer_client(learner_a.user)
    big_pdf = b"%PDF-1.4\n" + b"\x00" * (6 * 1024 * 1024) + b"\n%%EOF\n"
    response = client.post(
        "/api/v1/me/deposits",
        {
            "item_code": "HL-1",
            "achieved_on": "2024-05-17",
            "evidence": [SimpleUploadedFile("photo.png", PNG), SimpleUploadedFile("big.pdf", big_pdf)],
        },
    )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["evidence"] == ["photo.png", "big.pdf"]


def test_a_nul_character_in_a_form_field_is_still_refused(tree, learner_a):
    make_item(code="HL-1", name="护理学导论", credits="3")
    client = bearer_client(learner_a.user)
    response = client.post(
        "/api/v1/me/deposits",
        {
            "item_code": "HL-1",
            "achieved_on": "2024-05-17",
            "note": "a\x00b",
            "evidence": [SimpleUploadedFile("p.png", PNG)],
        },
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "note"
    assert Deposit.objects.count() == 0


def test_my_outcomes_at_the_edge_of_the_calendar(archive, learner_a):
    client = bearer_client(learner_a.user)
    response = client.get("/api/v1/me/outcomes?year=9999")
    assert response.status_code == 200
    assert response.json()["count"] == 0
