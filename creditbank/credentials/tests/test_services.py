"""Issuing outcome credentials and transcripts, status lists, and revocation end to end."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from creditbank.archive import services as archive_services
from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.core.errors import Conflict, NotFound, ValidationFailed
from creditbank.credentials import did, documents, services, statuslist
from creditbank.credentials.choices import CredentialKind
from creditbank.credentials.models import STATUS_LIST_SIZE, IssuedCredential, StatusList
from creditbank.credentials.multibase import decode_base64url
from creditbank.credentials.tests.factories import make_certified_outcome
from creditbank.credentials.tests.vectors import load, needs_vectors

pytestmark = pytest.mark.django_db


def test_a_certified_outcome_becomes_a_signed_open_badge(learner_a):
    # given
    outcome = make_certified_outcome(learner=learner_a, score="92")
    # when
    issued = services.issue_outcome_credential(outcome)
    document = json.loads(issued.document)
    # then
    assert document["@context"] == [documents.VC_CONTEXT, documents.OB_CONTEXT]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["id"] == f"urn:uuid:{issued.uuid}"
    assert document["issuer"] == {
        "id": "did:web:127.0.0.1%3A8000",
        "type": ["Profile"],
        "name": "终身教育学分银行",
        "url": "http://127.0.0.1:8000/",
    }
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"].startswith("urn:creditbank:learner:")
    assert learner_a.account_no not in issued.document
    assert learner_a.id_number not in issued.document
    assert learner_a.name not in issued.document
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "hashed": False,
            "identityHash": learner_a.name[0] + "*" * (len(learner_a.name) - 1),
            "identityType": "name",
        }
    ]
    achievement = subject["achievement"]
    assert achievement["name"] == outcome.item.name
    assert achievement["humanCode"] == outcome.item.code
    assert achievement["creditsAvailable"] == float(outcome.item.credits)
    assert achievement["criteria"]["narrative"]
    assert achievement["alignment"][0]["targetName"] == outcome.item.level.name
    assert subject["creditsEarned"] == float(outcome.credits)
    assert subject["result"] == [{"type": ["Result"], "resultDescription": achievement["id"] + "#score", "value": "92"}]
    assert document["credentialStatus"] == {
        "id": f"http://127.0.0.1:8000/api/v1/credentials/status/{issued.status_list_id}#{issued.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(issued.status_index),
        "statusListCredential": f"http://127.0.0.1:8000/api/v1/credentials/status/{issued.status_list_id}",
    }
    proof = document["proof"]
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof",
        "eddsa-jcs-2022",
        "assertionMethod",
    )
    assert proof["verificationMethod"] == did.own_verification_method()
    assert proof["proofValue"].startswith("z")
    assert AuditEntry.objects.filter(action="credentials.issue", object_id=str(issued.pk)).count() == 1


@needs_vectors
@pytest.mark.parametrize("example", ["basicOpenBadgeCredential.json", "fullOpenBadge.json"])
def test_the_open_badge_has_the_shape_of_the_1edtech_examples(learner_a, example):
    # given: the examples' required parts (OB 3.0 §B.1.2, B.1.1, B.1.13)
    reference = load(f"ob3/{example}")
    issued = services.issue_outcome_credential(make_certified_outcome(learner=learner_a))
    document = json.loads(issued.document)
    # then
    assert document["@context"][:2] == reference["@context"][:2]
    assert document["type"] == reference["type"]
    for key in ("id", "issuer", "validFrom", "name", "credentialSubject"):
        assert key in document
    assert {"id", "type", "name"} <= set(reference["issuer"]) & set(document["issuer"])
    reference_achievement = reference["credentialSubject"]["achievement"]
    for key in ("id", "type", "criteria", "name"):
        assert key in document["credentialSubject"]["achievement"], key
        assert key in reference_achievement
    assert document["credentialSubject"]["type"] == reference["credentialSubject"]["type"]


@needs_vectors
def test_every_context_term_used_at_the_top_is_defined_by_vc_or_ob():
    # given: the terms of the two contexts the credential names
    vc = load("contexts/credentials-v2.jsonld")["@context"]
    ob = load("ob3/context-3.0.3.json")["@context"]
    defined = set(vc) | set(ob)
    # then
    for term in ("awardedDate", "name", "description", "credentialStatus", "credentialSchema", "validFrom", "issuer"):
        assert term in defined or term in vc.get("VerifiableCredential", {}).get("@context", {}), term


def test_issuing_again_returns_the_same_credential(learner_a):
    # given
    outcome = make_certified_outcome(learner=learner_a)
    first = services.issue_outcome_credential(outcome)
    # when
    second = services.issue_outcome_credential(outcome)
    # then
    assert second.pk == first.pk
    assert IssuedCredential.objects.count() == 1
    assert StatusList.objects.get().allocated == 1


@pytest.mark.parametrize("status", [OutcomeStatus.STORED, OutcomeStatus.REVOKED])
def test_an_outcome_that_is_not_certified_is_refused(learner_a, status):
    # given
    outcome = make_outcome(learner=learner_a, status=status)
    # when
    with pytest.raises(Conflict) as error:
        services.issue_outcome_credential(outcome)
    # then
    assert error.value.code == "outcome_not_certified"
    assert IssuedCredential.objects.count() == 0


def test_a_catalog_validity_gives_valid_until(learner_a):
    # given: a certificate valid for three years from the day it was achieved
    import datetime as dt

    from creditbank.catalog.tests.factories import make_item

    item = make_item(validity_years=3)
    outcome = make_certified_outcome(learner=learner_a, item=item, achieved_on=dt.date(2024, 2, 29))
    # when
    document = json.loads(services.issue_outcome_credential(outcome).document)
    # then: 28 February 2027, midnight in Beijing
    assert document["validUntil"] == "2027-02-27T16:00:00Z"


def test_indexes_are_spread_over_the_list_and_unique(learner_a):
    # when
    issued = [services.issue_outcome_credential(make_certified_outcome(learner=learner_a)) for _ in range(6)]
    # then
    indexes = [credential.status_index for credential in issued]
    assert len(set(indexes)) == 6
    assert indexes != sorted(indexes) or indexes[0] != 0
    assert all(0 <= index < STATUS_LIST_SIZE for index in indexes)


def test_a_full_list_is_followed_by_a_new_one(learner_a):
    # given
    StatusList.objects.create(allocated=STATUS_LIST_SIZE)
    # when
    issued = services.issue_outcome_credential(make_certified_outcome(learner=learner_a))
    # then
    assert StatusList.objects.count() == 2
    assert issued.status_list.allocated == 1


def test_the_transcript_is_a_clr_credential_carrying_each_outcome_credential(learner_a, learner_b):
    # given
    first = make_certified_outcome(learner=learner_a)
    second = make_certified_outcome(learner=learner_a)
    make_outcome(learner=learner_a)  # stored only: not attested
    make_certified_outcome(learner=learner_b)  # someone else's
    # when
    transcript = services.issue_transcript(learner_a)
    document = json.loads(transcript.document)
    # then
    assert transcript.kind == CredentialKind.TRANSCRIPT
    assert document["@context"] == [documents.VC_CONTEXT, documents.CLR_CONTEXT, documents.OB_CONTEXT]
    assert document["type"] == ["VerifiableCredential", "ClrCredential"]
    assert document["credentialSubject"]["type"] == ["ClrSubject"]
    embedded = document["credentialSubject"]["verifiableCredential"]
    own = {
        credential.uuid: credential for credential in IssuedCredential.objects.filter(kind="outcome", learner=learner_a)
    }
    assert [item["id"] for item in embedded] == [
        f"urn:uuid:{c.uuid}" for c in sorted(own.values(), key=lambda c: (c.outcome.achieved_on, c.outcome_id))
    ]
    assert embedded[0] == own[next(iter(own))].as_dict() or embedded[1] == own[next(iter(own))].as_dict()
    assert set(transcript.included_outcomes.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert services.verify_url(transcript) == f"http://127.0.0.1:8000/verify/c/{transcript.uuid}/"


def test_the_transcript_is_reused_until_the_certified_outcomes_change(learner_a):
    # given
    make_certified_outcome(learner=learner_a)
    first = services.issue_transcript(learner_a)
    # when
    same = services.issue_transcript(learner_a)
    make_certified_outcome(learner=learner_a)
    changed = services.issue_transcript(learner_a)
    # then
    assert same.pk == first.pk
    assert changed.pk != first.pk
    assert changed.included_outcomes.count() == 2


def test_a_transcript_needs_a_certified_outcome(learner_a):
    # given
    make_outcome(learner=learner_a)
    # when
    with pytest.raises(Conflict) as error:
        services.issue_transcript(learner_a)
    # then
    assert error.value.code == "no_certified_outcomes"
    assert IssuedCredential.objects.count() == 0


def test_the_status_list_credential_is_signed_and_holds_131072_entries(learner_a):
    # given
    issued = services.issue_outcome_credential(make_certified_outcome(learner=learner_a))
    # when
    document = services.status_list_credential(issued.status_list_id)
    # then
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["id"] == services.status_list_url(issued.status_list_id)
    subject = document["credentialSubject"]
    assert (subject["type"], subject["statusPurpose"]) == ("BitstringStatusList", "revocation")
    assert subject["encodedList"].startswith("u")
    bits = statuslist.decode_list(subject["encodedList"])
    assert len(bits) == 16384
    assert decode_base64url(subject["encodedList"])[:2] == b"\x1f\x8b"  # GZIP
    verdict = services.verify(document)
    assert (verdict.valid, verdict.kind, verdict.status) == (True, "status_list", "none")


def test_an_unknown_status_list_is_not_found(db):
    with pytest.raises(NotFound) as error:
        services.status_list_credential(-1)
    assert error.value.code == "status_list_not_found"


def test_revoking_an_outcome_revokes_its_credential_and_transcripts_end_to_end(learner_a, root_admin):
    # given: issued, and valid
    outcome = make_certified_outcome(learner=learner_a)
    kept = make_certified_outcome(learner=learner_a)
    credential = services.issue_outcome_credential(outcome)
    transcript = services.issue_transcript(learner_a)
    kept_credential = services.issue_outcome_credential(kept)
    assert services.verify(credential.document).valid is True
    assert services.verify(transcript.document).valid is True
    # when
    archive_services.revoke_outcome(outcome, actor=root_admin, reason="证书系伪造")
    # then
    verdict = services.verify(credential.document)
    assert (verdict.valid, verdict.code, verdict.status, verdict.signature) == (False, "revoked", "revoked", "valid")
    transcript_verdict = services.verify(transcript.document)
    assert (transcript_verdict.valid, transcript_verdict.code) == (False, "revoked")
    assert sorted(item["status"] for item in transcript_verdict.outcomes) == ["active", "revoked"]
    assert services.verify(kept_credential.document).valid is True
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    bits = statuslist.decode_list(
        services.status_list_credential(credential.status_list_id)["credentialSubject"]["encodedList"]
    )
    assert statuslist.get_bit(bits, credential.status_index) is True
    assert statuslist.get_bit(bits, kept_credential.status_index) is False
    # and a new transcript leaves the revoked outcome out
    assert services.issue_transcript(learner_a).included_outcomes.get() == kept


def test_a_refused_revocation_changes_no_bit(learner_a, root_admin):
    # given
    outcome = make_certified_outcome(learner=learner_a)
    credential = services.issue_outcome_credential(outcome)
    version = credential.status_list.version
    # when: no reason given
    with pytest.raises(ValidationFailed):
        archive_services.revoke_outcome(outcome, actor=root_admin, reason=" ")
    # then
    credential.status_list.refresh_from_db()
    assert credential.status_list.version == version
    assert services.verify(credential.document).valid is True


def test_a_new_key_gives_a_new_credential(learner_a, settings):
    # given
    outcome = make_certified_outcome(learner=learner_a)
    first = services.issue_outcome_credential(outcome)
    # when
    settings.CREDITBANK_SIGNING_KEY = "A" * 43
    second = services.issue_outcome_credential(outcome)
    # then
    assert second.pk != first.pk
    assert second.verification_method != first.verification_method
    assert timezone.now() >= second.valid_from


@pytest.mark.parametrize("outcomes", [2, 30])
def test_an_unchanged_transcript_is_found_in_constant_queries(learner_a, outcomes, django_assert_num_queries):
    # given
    for _ in range(outcomes):
        make_certified_outcome(learner=learner_a)
    first = services.issue_transcript(learner_a)
    # when: the certified outcomes, the transcript, its outcomes (and the savepoint pair)
    with django_assert_num_queries(5):
        again = services.issue_transcript(learner_a)
    # then
    assert again.pk == first.pk


def test_a_changed_transcript_reuses_the_outcome_credentials(learner_a):
    # given
    for _ in range(3):
        make_certified_outcome(learner=learner_a)
    first = services.issue_transcript(learner_a)
    make_certified_outcome(learner=learner_a)
    # when
    second = services.issue_transcript(learner_a)
    # then: one new outcome credential, one new transcript
    assert IssuedCredential.objects.filter(kind="outcome").count() == 4
    first_embedded = json.loads(first.document)["credentialSubject"]["verifiableCredential"]
    second_embedded = json.loads(second.document)["credentialSubject"]["verifiableCredential"]
    assert {item["id"] for item in first_embedded} < {item["id"] for item in second_embedded}
    assert len(second_embedded) == 4
