import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from creditbank.archive.models import Outcome
from creditbank.recognition.demo_data import new_issuer_key, partner_credential, sign
from creditbank.recognition.tests.helpers import items, make_standard

pytestmark = pytest.mark.django_db

# The partner's issuer key, named by the standard (a learner's import needs the partner's issuers).
PARTNER = new_issuer_key()


@pytest.fixture
def standard(tree):
    items("R-1")
    return make_standard(mappings={"SH-001": ("程序设计", "R-1")}, trusted_issuers=PARTNER[1])


def _signed(id_number=""):
    key, did, method = PARTNER
    document = partner_credential(
        did=did,
        achievement_code="SH-001",
        achievement_name="程序设计",
        achieved_on=dt.date(2024, 6, 30),
        id_number=id_number,
    )
    return sign(document, key, method)


def test_learner_uploads_a_credential_file(learner_client, learner_a, standard):
    upload = SimpleUploadedFile("badge.json", json.dumps(_signed(learner_a.id_number)).encode(), "application/json")
    response = learner_client.post("/api/v1/me/recognitions", {"standard": standard.code, "credential": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["imported"], body["region"], body["outcomes"][0]["item_code"]) == (1, "310000", "R-1")
    assert Outcome.objects.get(learner=learner_a).source_region == "310000"


def test_a_tampered_credential_is_422_with_the_verdict_and_stores_nothing(learner_client, standard):
    document = _signed()
    document["name"] = "改过的名称"
    response = learner_client.post(
        "/api/v1/me/recognitions", {"standard": standard.code, "credential_json": json.dumps(document)}
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["details"][0]["code"]) == ("credential_invalid", "signature_invalid")
    assert Outcome.objects.exists() is False


def test_someone_elses_credential_is_refused(learner_client, learner_b, standard):
    response = learner_client.post(
        "/api/v1/me/recognitions",
        {"standard": standard.code, "credential_json": json.dumps(_signed(learner_b.id_number))},
    )
    assert (response.status_code, response.json()["code"]) == (422, "subject_mismatch")


def test_unknown_standard_is_404(learner_client, standard):
    response = learner_client.post("/api/v1/me/recognitions", {"standard": "NOPE", "credential_json": "{}"})
    assert (response.status_code, response.json()["code"]) == (404, "recognition_standard_not_found")


def test_public_lists_show_published_standards_with_their_mappings(anon_client, standard):
    make_standard(code="CSJ-DRAFT", status="draft")
    listed = anon_client.get("/api/v1/recognition/standards").json()
    assert [(item["code"], item["mapping_count"], item["partner_region"]) for item in listed["items"]] == [
        (standard.code, 1, "310000")
    ]
    detail = anon_client.get(f"/api/v1/recognition/standards/{standard.code}").json()
    assert [(row["partner_code"], row["item_code"]) for row in detail["mappings"]] == [("SH-001", "R-1")]
    assert anon_client.get("/api/v1/recognition/standards/CSJ-DRAFT").status_code == 404
