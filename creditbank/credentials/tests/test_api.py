"""The credential API: verify (public), status lists (public), the learner's own credentials."""

from __future__ import annotations

import json

import pytest

from creditbank.api.tests.helpers import JSON, bearer_client
from creditbank.archive.tests.factories import make_outcome
from creditbank.credentials import services
from creditbank.credentials.models import IssuedCredential
from creditbank.credentials.tests.factories import make_certified_outcome
from creditbank.credentials.views import VERIFY_RATE_LIMIT

pytestmark = pytest.mark.django_db


def test_verify_answers_the_verdict_of_a_valid_credential(anon_client, learner_a):
    # given
    issued = services.issue_outcome_credential(make_certified_outcome(learner=learner_a))
    # when
    response = anon_client.post("/api/v1/credentials/verify", issued.document, content_type=JSON)
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["valid"], body["code"], body["kind"], body["signature"], body["status"]) == (
        True,
        "valid",
        "outcome",
        "valid",
        "active",
    )
    assert body["issuer"]["name"] == "终身教育学分银行"
    assert [check["name"] for check in body["checks"]] == ["signature", "validity", "status", "ledger", "archive"]


def test_verify_answers_200_with_the_reason_for_a_bad_document(anon_client):
    # when
    response = anon_client.post("/api/v1/credentials/verify", b"{not json", content_type=JSON)
    # then
    assert response.status_code == 200
    assert (response.json()["valid"], response.json()["code"]) == (False, "malformed_json")


def test_verify_messages_follow_the_callers_language(anon_client):
    # when
    english = anon_client.post(
        "/api/v1/credentials/verify", b"[]", content_type=JSON, headers={"Accept-Language": "en"}
    )
    chinese = anon_client.post(
        "/api/v1/credentials/verify", b"[]", content_type=JSON, headers={"Accept-Language": "zh-hans"}
    )
    # then
    assert english.json()["message"] == "This JSON is not a verifiable credential (VC 2.0)."
    assert chinese.json()["message"] != english.json()["message"]


def test_an_empty_body_is_a_validation_error(anon_client):
    response = anon_client.post("/api/v1/credentials/verify", b"  ", content_type=JSON)
    assert response.status_code == 422
    assert response.json()["code"] == "credential_required"


def test_verify_is_rate_limited_per_address(anon_client):
    # given
    for _ in range(VERIFY_RATE_LIMIT[0]):
        assert anon_client.post("/api/v1/credentials/verify", b"[]", content_type=JSON).status_code == 200
    # when
    response = anon_client.post("/api/v1/credentials/verify", b"[]", content_type=JSON)
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


def test_the_status_list_is_public_and_signed(anon_client, learner_a, django_assert_max_num_queries):
    # given
    issued = services.issue_outcome_credential(make_certified_outcome(learner=learner_a))
    # when
    with django_assert_max_num_queries(1):
        response = anon_client.get(f"/api/v1/credentials/status/{issued.status_list_id}")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+ld+json"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert services.verify(body).valid is True


def test_an_unknown_status_list_is_404(anon_client):
    response = anon_client.get("/api/v1/credentials/status/-1")
    assert response.status_code == 404
    response = anon_client.get("/api/v1/credentials/status/0")
    assert (response.status_code, response.json()["code"]) == (404, "status_list_not_found")


def test_a_learner_gets_the_credential_of_a_certified_outcome(learner_a):
    # given
    outcome = make_certified_outcome(learner=learner_a)
    client = bearer_client(learner_a.user)
    # when
    response = client.get(f"/api/v1/me/outcomes/{outcome.pk}/credential")
    again = client.get(f"/api/v1/me/outcomes/{outcome.pk}/credential")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vc+ld+json")
    issued = IssuedCredential.objects.get()
    assert response.content == issued.document.encode() == again.content
    assert response["X-Credential-Verify-URL"] == services.verify_url(issued)
    assert json.loads(response.content)["credentialSubject"]["achievement"]["humanCode"] == outcome.item_code


def test_a_stored_outcome_has_no_credential_yet(learner_a, learner_client):
    # given
    outcome = make_outcome(learner=learner_a)
    # when
    response = learner_client.get(f"/api/v1/me/outcomes/{outcome.pk}/credential")
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "outcome_not_certified"
    assert IssuedCredential.objects.count() == 0


def test_someone_elses_outcome_is_not_found(learner_b, learner_client):
    # given
    outcome = make_certified_outcome(learner=learner_b)
    # when
    response = learner_client.get(f"/api/v1/me/outcomes/{outcome.pk}/credential")
    missing = learner_client.get("/api/v1/me/outcomes/-1/credential")
    # then
    assert (response.status_code, response.json()["code"]) == (404, "outcome_not_found")
    assert missing.status_code == 404
    assert IssuedCredential.objects.count() == 0


def test_a_learner_gets_the_transcript_credential(learner_a, learner_client):
    # given
    make_certified_outcome(learner=learner_a)
    make_certified_outcome(learner=learner_a)
    # when
    response = learner_client.get("/api/v1/me/transcript/credential")
    # then
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["type"] == ["VerifiableCredential", "ClrCredential"]
    assert len(body["credentialSubject"]["verifiableCredential"]) == 2
    verdict = services.verify(response.content)
    assert (verdict.valid, verdict.kind, verdict.total_credits) == (True, "transcript", "6.0")


def test_a_transcript_of_an_archive_without_certified_outcomes_is_409(learner_a, learner_client):
    make_outcome(learner=learner_a)
    response = learner_client.get("/api/v1/me/transcript/credential")
    assert (response.status_code, response.json()["code"]) == (409, "no_certified_outcomes")


def test_the_openapi_document_describes_the_credential_routes(anon_client):
    schema = anon_client.get("/api/v1/openapi.json").json()
    verify = schema["paths"]["/api/v1/credentials/verify"]["post"]
    assert "application/json" in verify["requestBody"]["content"]
    assert "429" in verify["responses"]
    credential = schema["paths"]["/api/v1/me/outcomes/{outcome_id}/credential"]["get"]
    assert "409" in credential["responses"]
