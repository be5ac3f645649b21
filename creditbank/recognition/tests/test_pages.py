import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.archive.models import Outcome
from creditbank.recognition.demo_data import new_issuer_key, partner_credential, sign
from creditbank.recognition.tests.helpers import items, make_standard

pytestmark = pytest.mark.django_db


def test_learner_uploads_a_credential_and_sees_the_source_region(learner_client, learner_a, tree):
    # given
    items("R-1")
    key, did, method = new_issuer_key()
    standard = make_standard(mappings={"SH-001": ("程序设计", "R-1")}, trusted_issuers=did)
    document = sign(
        partner_credential(
            did=did,
            achievement_code="SH-001",
            achievement_name="程序设计",
            achieved_on=dt.date(2024, 6, 30),
            id_number=learner_a.id_number,
        ),
        key,
        method,
    )
    upload = SimpleUploadedFile("badge.json", json.dumps(document).encode(), "application/json")
    # when
    response = learner_client.post(
        reverse("recognition:me-recognitions"), {"standard": standard.code, "credential": upload}
    )
    # then
    assert response.status_code == 200
    assert response.context["result"].imported == 1
    outcome = Outcome.objects.get(learner=learner_a)
    page = learner_client.get(reverse("archive:me-outcome", args=[outcome.pk])).content.decode()
    assert "上海市（310000）" in page


def test_a_refused_credential_shows_the_reason_and_stores_nothing(learner_client, tree):
    items("R-1")
    standard = make_standard(mappings={"SH-001": ("程序设计", "R-1")})
    response = learner_client.post(
        reverse("recognition:me-recognitions"), {"standard": standard.code, "credential_json": "{not json"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Outcome.objects.exists() is False
