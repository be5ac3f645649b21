"""Review fixes: a learner must not mint credits with a credential they signed themselves, nor
claim a credential that does not name them; self-service imports are rate-limited."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from creditbank.archive.models import Outcome
from creditbank.recognition import services
from creditbank.recognition.demo_data import new_issuer_key, partner_credential, sign
from creditbank.recognition.tests.helpers import items, make_standard

pytestmark = pytest.mark.django_db

PARTNER_KEY = new_issuer_key()


@pytest.fixture
def standard(tree):
    items("R-1")
    return make_standard(mappings={"SH-001": ("程序设计", "R-1")}, trusted_issuers=PARTNER_KEY[1])


def _credential(key_did_method=PARTNER_KEY, id_number=""):
    key, did, method = key_did_method
    document = partner_credential(
        did=did,
        achievement_code="SH-001",
        achievement_name="程序设计",
        achieved_on=dt.date(2024, 6, 30),
        id_number=id_number,
    )
    return json.dumps(sign(document, key, method))


def _post(client, standard, credential):
    return client.post("/api/v1/me/recognitions", {"standard": standard.code, "credential_json": credential})


def test_a_self_signed_credential_is_refused_when_the_standard_names_no_issuers(learner_client, learner_a, tree):
    items("R-1")
    open_standard = make_standard(mappings={"SH-001": ("程序设计", "R-1")})  # trusted_issuers empty
    forged = _credential(new_issuer_key(), id_number=learner_a.id_number)  # the learner's own key
    response = _post(learner_client, open_standard, forged)
    assert (response.status_code, response.json()["code"]) == (422, "credential_issuer_not_partner")
    assert Outcome.objects.exists() is False


def test_staff_and_command_line_may_still_import_under_an_open_standard(learner_a, tree):
    items("R-1")
    open_standard = make_standard(mappings={"SH-001": ("程序设计", "R-1")})
    result = services.import_credential(learner_a, _credential(new_issuer_key()), standard=open_standard, actor=None)
    assert result.imported == 1


def test_a_credential_without_the_learners_id_number_is_refused_to_the_learner(learner_client, standard):
    response = _post(learner_client, standard, _credential(id_number=""))
    assert (response.status_code, response.json()["code"]) == (422, "subject_unidentified")
    assert Outcome.objects.exists() is False


def test_the_learners_own_partner_credential_is_stored(learner_client, learner_a, standard):
    response = _post(learner_client, standard, _credential(id_number=learner_a.id_number))
    assert response.status_code == 201, response.content
    assert Outcome.objects.filter(learner=learner_a).count() == 1


def test_self_service_imports_are_rate_limited(learner_client, learner_a, standard, monkeypatch):
    monkeypatch.setattr(services, "SELF_SERVICE_RATE_LIMIT", (2, 3600))
    codes = [_post(learner_client, standard, "{not json").status_code for _ in range(3)]
    assert codes == [422, 422, 429]
