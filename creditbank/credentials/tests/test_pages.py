"""Pages: the public verification page, QR links, did.json, and the learner's download; their
permission matrix (the page matrix in tests/ leaves the ``credentials`` namespace to this file)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from creditbank.archive import services as archive_services
from creditbank.archive.tests.factories import make_outcome
from creditbank.credentials import did, services
from creditbank.credentials.models import IssuedCredential
from creditbank.credentials.tests.factories import make_certified_outcome
from creditbank.credentials.views import VERIFY_RATE_LIMIT

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def world(learner_a, learner_b):
    outcome = make_certified_outcome(learner=learner_a)
    other = make_certified_outcome(learner=learner_b)
    issued = services.issue_outcome_credential(outcome)
    return {"outcome": outcome, "other": other, "issued": issued}


def _args(name, world):
    if name in ("credentials:verify-stored", "credentials:stored-json"):
        return [world["issued"].uuid]
    if name == "credentials:me-outcome-credential":
        return [world["outcome"].pk]
    return []


# name, method: {caller: status or redirect target}
ROWS: dict[tuple[str, str], dict[str, int | str]] = {
    ("credentials:did-document", "get"): {"anon": 200, "learner": 200, "other_learner": 200, "staff": 200},
    ("credentials:verify", "get"): {"anon": 200, "learner": 200, "other_learner": 200, "staff": 200},
    ("credentials:verify", "post"): {"anon": 200, "learner": 200, "other_learner": 200, "staff": 200},
    ("credentials:verify-stored", "get"): {"anon": 200, "learner": 200, "other_learner": 200, "staff": 200},
    ("credentials:stored-json", "get"): {"anon": 200, "learner": 200, "other_learner": 200, "staff": 200},
    ("credentials:me-outcome-credential", "get"): {
        "anon": LOGIN,
        "learner": 200,
        "other_learner": 404,
        "staff": "/console/",
    },
}
CASES = [(name, method, caller, expected) for (name, method), row in ROWS.items() for caller, expected in row.items()]


@pytest.fixture
def clients(learner_a, learner_b, centre_admin):
    result = {"anon": Client()}
    for name, user in (("learner", learner_a.user), ("other_learner", learner_b.user), ("staff", centre_admin)):
        result[name] = Client()
        result[name].force_login(user)
    return result


@pytest.mark.parametrize(("name", "method", "caller", "expected"), CASES)
def test_credential_pages_answer_each_caller(clients, world, name, method, caller, expected):
    # given
    before = IssuedCredential.objects.count()
    # when
    url = reverse(name, args=_args(name, world))
    client = clients[caller]
    response = client.post(url, {"credential": world["issued"].document}) if method == "post" else client.get(url)
    # then
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(expected)
    if expected != 200:
        assert IssuedCredential.objects.count() == before


def test_every_credentials_route_has_a_row():
    from django.urls import get_resolver

    names = {
        f"credentials:{pattern.name}"
        for resolver in get_resolver().url_patterns
        if getattr(resolver, "namespace", None) == "credentials"
        for pattern in resolver.url_patterns
    }
    assert names == {name for name, _method in ROWS}


def test_the_did_document_holds_our_key_as_multikey(anon_client, settings):
    # given: the port's colon is percent-encoded in did:web
    settings.CREDITBANK_PUBLIC_URL = "https://credit.example.gov.cn:8443"
    # when
    response = anon_client.get("/.well-known/did.json")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+json"
    document = response.json()
    assert document["id"] == "did:web:credit.example.gov.cn%3A8443"
    method = document["verificationMethod"][0]
    assert method["type"] == "Multikey"
    assert method["controller"] == document["id"]
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert document["assertionMethod"] == [method["id"]]
    assert method["id"] == did.own_verification_method()


def test_the_page_is_chinese_first_and_has_no_inline_script(anon_client):
    # when
    response = anon_client.get(reverse("credentials:verify"))
    html = response.content.decode()
    # then
    assert '<html lang="zh-hans"' in html
    assert 'name="credential"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert re.search(r"<[^>]+\son[a-z]+\s*=", html) is None  # no inline event handlers either
    assert "unsafe-inline" not in response.get("Content-Security-Policy", "").split("script-src")[-1].split(";")[0]


def test_pasting_a_valid_credential_shows_issuer_learner_outcome_and_status(anon_client, world, learner_a):
    # when
    response = anon_client.post(reverse("credentials:verify"), {"credential": world["issued"].document})
    html = response.content.decode()
    # then
    assert 'id="verdict-title"' in html
    assert 'data-code="valid"' in html
    assert world["outcome"].item.name in html
    assert learner_a.name not in html
    assert learner_a.name[0] + "*" in html
    assert "终身教育学分银行" in html


def test_a_file_can_be_uploaded_instead(anon_client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("credential.json", world["issued"].document.encode(), content_type="application/json")
    response = anon_client.post(reverse("credentials:verify"), {"file": upload})
    assert 'data-code="valid"' in response.content.decode()


def test_a_tampered_credential_shows_why(anon_client, world):
    # given
    document = json.loads(world["issued"].document)
    document["credentialSubject"]["creditsEarned"] = 30.0
    # when
    response = anon_client.post(reverse("credentials:verify"), {"credential": json.dumps(document)})
    # then
    assert 'data-code="signature_invalid"' in response.content.decode()


def test_an_empty_form_asks_for_the_credential(anon_client):
    response = anon_client.post(reverse("credentials:verify"), {"credential": " "})
    assert 'id="verify-error"' in response.content.decode()
    assert 'id="verdict"' not in response.content.decode()


def test_the_page_is_rate_limited(anon_client):
    for _ in range(VERIFY_RATE_LIMIT[0]):
        anon_client.post(reverse("credentials:verify"), {"credential": "[]"})
    response = anon_client.post(reverse("credentials:verify"), {"credential": "[]"})
    assert response.status_code == 200
    assert 'id="verify-error"' in response.content.decode()
    assert 'id="verdict"' not in response.content.decode()


def test_a_qr_link_shows_the_verdict_and_then_the_revocation(anon_client, world, root_admin):
    # given
    url = services.verify_url(world["issued"]).removeprefix("http://127.0.0.1:8000")
    # when
    before = anon_client.get(url).content.decode()
    archive_services.revoke_outcome(world["outcome"], actor=root_admin, reason="重复存入")
    after = anon_client.get(url).content.decode()
    # then
    assert 'data-code="valid"' in before
    assert 'data-code="revoked"' in after


def test_an_unknown_qr_link_is_404(anon_client):
    assert anon_client.get(reverse("credentials:verify-stored", args=[uuid.uuid4()])).status_code == 404
    assert anon_client.get(reverse("credentials:verify-stored", args=["not-a-uuid"])).status_code == 404
    assert anon_client.get(reverse("credentials:stored-json", args=["x"])).status_code == 404


def test_the_outcome_page_offers_the_download_only_when_certified(learner_a, learner_client):
    # given
    certified = make_certified_outcome(learner=learner_a)
    stored = make_outcome(learner=learner_a)
    # when
    certified_page = learner_client.get(reverse("archive:me-outcome", args=[certified.pk])).content.decode()
    stored_page = learner_client.get(reverse("archive:me-outcome", args=[stored.pk])).content.decode()
    # then
    link = reverse("credentials:me-outcome-credential", args=[certified.pk])
    assert f'href="{link}"' in certified_page
    assert "/credential.json" not in stored_page


def test_the_download_is_a_json_attachment(learner_a, learner_client):
    # given
    outcome = make_certified_outcome(learner=learner_a)
    # when
    response = learner_client.get(reverse("credentials:me-outcome-credential", args=[outcome.pk]))
    # then
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="credential-')
    assert services.verify(response.content).valid is True


def test_downloading_a_stored_outcome_goes_back_with_the_reason(learner_a, learner_client):
    outcome = make_outcome(learner=learner_a)
    response = learner_client.get(reverse("credentials:me-outcome-credential", args=[outcome.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:me-outcome", args=[outcome.pk])
    assert IssuedCredential.objects.count() == 0


def test_every_page_links_to_the_verification_page(anon_client):
    from django.urls import reverse

    page = anon_client.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("credentials:verify")}" id="footer-verify"' in page
