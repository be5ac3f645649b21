"""Institution push: ``POST /api/v1/outcomes:batch`` with an organisation's token, and the tokens."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from creditbank.archive.models import Outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog.tests.factories import make_item
from creditbank.orgs.models import InstitutionToken
from creditbank.orgs.tokens import issue_institution_token, revoke_institution_token

pytestmark = pytest.mark.django_db


def _client(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _push(client: Client, records, **extra):
    return client.post(
        "/api/v1/outcomes:batch", json.dumps({"records": records, **extra}), content_type="application/json"
    )


@pytest.fixture
def university(tree):
    make_item(code="C-1", name="高等数学", credits="4")
    _token, secret = issue_institution_token(tree.b, name="教务系统", actor=None)
    return _client(secret)


def _record(learner, **extra):
    return {
        "id_number": learner.id_number,
        "name": learner.name,
        "item_code": "C-1",
        "achieved_on": "2024-06-30",
        "score": "88",
        **extra,
    }


def test_records_are_stored_as_the_token_org_with_one_result_each(tree, learner_a, university):
    # when
    response = _push(
        university,
        [
            _record(learner_a, external_id="R-1"),
            _record(learner_a, item_code="NOPE", external_id="R-2"),
            _record(learner_a, name="别人", certificate_no="Z", external_id="R-3"),
        ],
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(item["index"], item["status"]) for item in body["results"]] == [(0, "stored"), (1, "error"), (2, "error")]
    assert body["results"][2]["errors"][0]["code"] == "learner_unknown"
    assert body["summary"]["imported"] == 1
    outcome = Outcome.objects.get()
    assert (outcome.pk, outcome.source, outcome.org, outcome.external_id) == (
        body["results"][0]["outcome_id"],
        "institution",
        tree.b,
        "R-1",
    )
    assert body["results"][1]["errors"][0]["field"] == "item_code"
    assert AuditEntry.objects.filter(action="archive.push").count() == 1


def test_a_retried_call_stores_nothing_twice(tree, learner_a, university):
    records = [_record(learner_a, external_id="R-1")]
    assert _push(university, records).json()["results"][0]["status"] == "stored"
    again = _push(university, records).json()
    assert again["results"][0]["status"] == "duplicate"
    assert Outcome.objects.count() == 1


def test_strict_stores_nothing_when_a_record_is_bad(tree, learner_a, university):
    body = _push(
        university, [_record(learner_a), _record(learner_a, achieved_on="2024-02-30", certificate_no="Q")], strict=True
    ).json()
    assert [item["status"] for item in body["results"]] == ["skipped", "error"]
    assert Outcome.objects.count() == 0


def test_too_many_or_no_records_is_a_422(tree, learner_a, university):
    assert _push(university, []).status_code == 422
    response = _push(university, [_record(learner_a, certificate_no=str(n)) for n in range(10_001)])
    assert response.status_code == 422
    assert response.json()["details"][0]["code"] == "batch_size"
    assert Outcome.objects.count() == 0


def test_revoked_or_closed_tokens_are_refused(tree, learner_a):
    make_item(code="C-1", name="高等数学", credits="4")
    token, secret = issue_institution_token(tree.b, name="旧系统", actor=None)
    revoke_institution_token(token, actor=None)
    assert _push(_client(secret), [_record(learner_a)]).status_code == 401
    _token, live = issue_institution_token(tree.b, name="新系统", actor=None)
    tree.b.status = "closed"
    tree.b.save()
    assert _push(_client(live), [_record(learner_a)]).status_code == 401
    assert Outcome.objects.count() == 0


def test_an_administrator_issues_and_revokes_a_token_in_the_console(tree, centre_admin_client, centre_operator_client):
    url = reverse("orgs:org-tokens", args=[tree.a.code])
    response = centre_admin_client.post(url, {"name": "学分银行对接"}, follow=True)
    assert response.redirect_chain[0][1] == 302  # a reload cannot issue a second token
    secret = response.context["secret"]
    assert secret.startswith("cbi_")
    token = InstitutionToken.objects.get()
    assert token.key_hash != secret
    assert secret not in (token.prefix, token.name)
    assert response["Cache-Control"] == "no-store"
    # shown once: the list page never shows it again
    assert secret.encode() not in centre_admin_client.get(url).content
    # an operator may not revoke it
    revoke = reverse("orgs:org-token-revoke", args=[tree.a.code, token.pk])
    assert centre_operator_client.post(revoke).status_code == 403
    centre_admin_client.post(revoke)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {"orgs.token_issue", "orgs.token_revoke"}


def test_a_token_needs_a_name(tree, centre_admin_client):
    response = centre_admin_client.post(reverse("orgs:org-tokens", args=[tree.a.code]), {"name": " "})
    assert response.context["error"]
    assert not InstitutionToken.objects.exists()


def test_an_unknown_id_number_and_a_wrong_name_get_the_same_answer(tree, learner_a, learner_b, university):
    body = _push(
        university,
        [
            _record(learner_b, name="另一个名字"),
            {**_record(learner_a), "id_number": "11010519491231002X", "name": "无此人"},
        ],
    ).json()
    answers = [item["errors"] for item in body["results"]]
    assert answers[0] == answers[1]
    assert answers[0][0]["code"] == "learner_unknown"
    entry = AuditEntry.objects.get(action="archive.push")
    assert entry.after["unknown_learners"] == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retry_sent_while_the_first_call_runs_finds_duplicates(tree, learner_a):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs two real database connections")
    make_item(code="C-1", name="高等数学", credits="4")
    _token, secret = issue_institution_token(tree.b, name="教务系统", actor=None)
    records = [_record(learner_a, external_id="R-1"), _record(learner_a, certificate_no="Z9", external_id="R-2")]
    barrier = threading.Barrier(2)
    answers: list[object] = [None, None]

    def call(index):
        try:
            barrier.wait(timeout=10)
            answers[index] = _push(_client(secret), records)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(tuple(item["status"] for item in response.json()["results"]) for response in answers)
    assert [response.status_code for response in answers] == [200, 200]
    assert statuses == [("duplicate", "duplicate"), ("stored", "stored")]
    assert Outcome.objects.count() == 2
