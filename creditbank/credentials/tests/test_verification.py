"""``verify``: every way a credential can fail is a precise verdict, never an exception."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.archive.models import Outcome
from creditbank.credentials import did, documents, services
from creditbank.credentials.dataintegrity import ProofError
from creditbank.credentials.tests import helpers
from creditbank.credentials.tests.factories import make_certified_outcome
from creditbank.credentials.tests.vectors import load, needs_vectors
from creditbank.credentials.verification import KNOWN_CONTEXTS, verify

EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.fixture
def ours(db, learner_a):
    """One of our outcome credentials, as the learner downloads it (text)."""
    return services.issue_outcome_credential(make_certified_outcome(learner=learner_a, score="88")).document


# --- valid ------------------------------------------------------------------------------------


def test_our_credential_is_valid_with_issuer_learner_outcome_and_status(ours, learner_a):
    # when
    verdict = verify(ours.encode())
    # then
    assert (verdict.valid, verdict.code, verdict.signature, verdict.status) == (True, "valid", "valid", "active")
    assert verdict.kind == "outcome"
    assert verdict.is_ours is True
    assert verdict.issuer == {"id": did.own_did(), "name": "终身教育学分银行"}
    assert verdict.learner["name"] == learner_a.name[0] + "*" * (len(learner_a.name) - 1)
    outcome = Outcome.objects.get()
    assert [(o["name"], o["code"], o["credits"], o["achieved_on"]) for o in verdict.outcomes] == [
        (outcome.item.name, outcome.item_code, f"{outcome.credits:.1f}", outcome.achieved_on.isoformat())
    ]
    assert verdict.records[0]["record_id"] == outcome.pk
    assert verdict.records[0]["archive_matches"] is True


def test_a_did_key_issuer_verifies_without_any_fetch(monkeypatch):
    # given
    issuer = helpers.did_key_issuer()
    fetched = helpers.serve(monkeypatch, issuer)
    # when
    verdict = verify(issuer.sign(issuer.credential()))
    # then
    assert (verdict.valid, verdict.is_ours, verdict.status) == (True, False, "none")
    assert verdict.learner["name"] == "王**"  # another issuer's clear name is masked here too
    assert verdict.outcomes[0]["credits"] == "4.5"
    assert fetched == []


def test_a_did_web_issuer_with_a_status_list_verifies_and_is_cached(monkeypatch):
    # given
    issuer = helpers.did_web_issuer()
    url = "https://issuer.example/status/1"
    helpers.add_status_list(issuer, url, revoked=(7,))
    fetched = helpers.serve(monkeypatch, issuer)
    credential = issuer.sign(issuer.credential(credentialStatus=helpers.status_entry(url, 8)))
    # when
    first = verify(credential)
    second = verify(json.dumps(credential))
    # then
    assert (first.valid, first.status, second.valid) == (True, "active", True)
    assert fetched == ["https://issuer.example/.well-known/did.json", url]


def test_a_revoked_entry_of_another_issuer_is_revoked(monkeypatch):
    # given
    issuer = helpers.did_web_issuer()
    url = "https://issuer.example/status/1"
    helpers.add_status_list(issuer, url, revoked=(7,))
    helpers.serve(monkeypatch, issuer)
    # when
    verdict = verify(issuer.sign(issuer.credential(credentialStatus=helpers.status_entry(url, 7))))
    # then
    assert (verdict.valid, verdict.code, verdict.signature, verdict.status) == (False, "revoked", "valid", "revoked")


def test_a_suspension_entry_that_is_set_is_suspended(monkeypatch):
    issuer = helpers.did_web_issuer()
    url = "https://issuer.example/status/s"
    document = helpers.add_status_list(issuer, url, revoked=(3,), sign=False)
    document["credentialSubject"]["statusPurpose"] = "suspension"
    issuer.pages[url] = issuer.sign(document)
    helpers.serve(monkeypatch, issuer)
    verdict = verify(issuer.sign(issuer.credential(credentialStatus=helpers.status_entry(url, 3, "suspension"))))
    assert (verdict.valid, verdict.code) == (False, "suspended")


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("missing", "status_list_unreachable"),
        ("unsigned", "status_list_invalid"),
        ("other purpose", "status_list_invalid"),
        ("short", "status_list_invalid"),
        ("beyond", "status_list_invalid"),
        ("other issuer", "status_list_invalid"),
    ],
)
def test_a_status_list_that_cannot_be_used_is_a_precise_failure(monkeypatch, setup, code):
    # given
    issuer = helpers.did_web_issuer()
    url = "https://issuer.example/status/1"
    index = 5
    if setup == "unsigned":
        helpers.add_status_list(issuer, url, sign=False)
    elif setup == "other purpose":
        document = helpers.add_status_list(issuer, url, sign=False)
        document["credentialSubject"]["statusPurpose"] = "suspension"
        issuer.pages[url] = issuer.sign(document)
    elif setup == "short":
        import gzip

        from creditbank.credentials.multibase import encode_base64url

        document = helpers.add_status_list(issuer, url, sign=False)
        document["credentialSubject"]["encodedList"] = encode_base64url(gzip.compress(bytes(100)))
        issuer.pages[url] = issuer.sign(document)
    elif setup == "beyond":
        helpers.add_status_list(issuer, url)
        index = 131_072
    elif setup == "other issuer":
        other = helpers.did_key_issuer()
        issuer.pages[url] = helpers.add_status_list(other, url)
    helpers.serve(monkeypatch, issuer)
    # when
    verdict = verify(issuer.sign(issuer.credential(credentialStatus=helpers.status_entry(url, index))))
    # then
    assert (verdict.valid, verdict.code, verdict.signature) == (False, code, "valid")


@pytest.mark.parametrize(
    "entry",
    [
        "not an object",
        {
            "type": "StatusList2021Entry",
            "statusPurpose": "revocation",
            "statusListIndex": "1",
            "statusListCredential": "https://x",
        },
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": 1,
            "statusListCredential": "https://x",
        },
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "refresh",
            "statusListIndex": "1",
            "statusListCredential": "https://x",
        },
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "-1",
            "statusListCredential": "https://x",
        },
    ],
)
def test_a_malformed_status_entry_is_invalid_status_entry(entry):
    issuer = helpers.did_key_issuer()
    verdict = verify(issuer.sign(issuer.credential(credentialStatus=entry)))
    assert (verdict.valid, verdict.code) == (False, "invalid_status_entry")


# --- the document ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (b"", "malformed_json"),
        (b"{", "malformed_json"),
        (b"\xff\xfe{}", "malformed_json"),
        ('{"a": 1, "a": 2}', "malformed_json"),
        ('{"a": NaN}', "malformed_json"),
        ("[" * 100_000 + "]" * 100_000, "malformed_json"),
        (b" " * (2 * 1024 * 1024 + 1), "too_large"),
        ("[1, 2]", "not_a_credential"),
        ('"text"', "not_a_credential"),
        ({"@context": documents.VC_CONTEXT}, "not_a_credential"),
        ({"@context": [documents.VC_CONTEXT], "type": ["OpenBadgeCredential"]}, "not_a_credential"),
        ({"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"]}, "unknown_context"),
        ({"@context": [documents.VC_CONTEXT, EXAMPLES_CONTEXT], "type": ["VerifiableCredential"]}, "unknown_context"),
        (
            {
                "@context": [documents.VC_CONTEXT, {"@vocab": "https://evil.example/#"}],
                "type": ["VerifiableCredential"],
            },
            "unknown_context",
        ),
        (
            {"@context": [documents.VC_CONTEXT], "type": ["VerifiableCredential"], "credentialSubject": {}},
            "not_a_credential",
        ),
        (12, "not_a_credential"),
    ],
)
def test_bad_documents_get_a_precise_code(document, code):
    # when
    verdict = verify(document)
    # then
    assert (verdict.valid, verdict.code) == (False, code)
    assert verdict.message


def test_every_known_context_is_accepted_as_context():
    # given: a did:key credential naming all the contexts we know
    issuer = helpers.did_key_issuer()
    contexts = [documents.VC_CONTEXT, *sorted(KNOWN_CONTEXTS - {documents.VC_CONTEXT})]
    # when
    verdict = verify(issuer.sign(issuer.credential(**{"@context": contexts})))
    # then
    assert verdict.valid is True


def test_an_unsigned_credential_has_no_proof():
    issuer = helpers.did_key_issuer()
    verdict = verify(issuer.credential())
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "missing_proof", "unchecked")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"type": "Ed25519Signature2020"}, "unsupported_proof_type"),
        ({"cryptosuite": "ecdsa-jcs-2019"}, "unsupported_cryptosuite"),
        ({"proofPurpose": "authentication"}, "wrong_proof_purpose"),
        ({"proofValue": "u" + "A" * 86}, "malformed_proof"),
        ({"verificationMethod": "https://issuer.example/keys/1"}, "unsupported_verification_method"),
        ({"verificationMethod": 5}, "malformed_proof"),
        ({"expires": "2000-01-01T00:00:00Z"}, "proof_expired"),
    ],
)
def test_a_proof_that_cannot_be_used_is_a_precise_failure(change, code):
    # given
    issuer = helpers.did_key_issuer()
    signed = issuer.sign(issuer.credential())
    signed["proof"].update(change)
    # when
    verdict = verify(signed)
    # then
    assert (verdict.valid, verdict.code) == (False, code)


@needs_vectors
def test_the_w3c_vector_signature_is_valid_but_its_issuer_is_not_the_key(settings):
    # given: the vector's issuer is an https URL while its key is a did:key; only with its example context allowed
    settings.CREDITBANK_EXTRA_CREDENTIAL_CONTEXTS = [EXAMPLES_CONTEXT]
    signed = load("vc-di-eddsa/eddsa-jcs-2022/signedJCS.json")
    # when
    verdict = verify(signed)
    # then
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "issuer_mismatch", "invalid")
    # and with the issuer bound to the key, only the signature is then wrong (the issuer is signed too)
    signed["issuer"] = signed["proof"]["verificationMethod"].split("#")[0]
    assert verify(signed).code == "signature_invalid"


@needs_vectors
def test_an_rdfc_credential_is_an_unsupported_cryptosuite(settings):
    settings.CREDITBANK_EXTRA_CREDENTIAL_CONTEXTS = [EXAMPLES_CONTEXT]
    verdict = verify(load("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json"))
    assert (verdict.valid, verdict.code) == (False, "unsupported_cryptosuite")


# --- keys and signatures ------------------------------------------------------------------------


def test_a_changed_claim_breaks_the_signature(ours):
    # given
    document = json.loads(ours)
    document["credentialSubject"]["creditsEarned"] = 99.0
    # when
    verdict = verify(document)
    # then
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "signature_invalid", "invalid")


def test_our_key_id_signed_with_another_key_is_signature_invalid(ours):
    # given: a forger names our verification method but signs with their own key
    forger = helpers.did_key_issuer()
    document = json.loads(ours)
    del document["proof"]
    forged = forger.sign(document, method=did.own_verification_method())
    # when
    verdict = verify(forged)
    # then
    assert (verdict.valid, verdict.code) == (False, "signature_invalid")


def test_our_issuer_signed_by_another_did_is_issuer_mismatch(ours):
    # given: a correct signature, but by a key that is not the issuer's
    forger = helpers.did_key_issuer()
    document = json.loads(ours)
    del document["proof"]
    # when
    verdict = verify(forger.sign(document))
    # then
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "issuer_mismatch", "invalid")


def test_a_key_of_ours_that_the_did_document_no_longer_lists_is_not_found(ours, settings):
    # given: the deployment's key was replaced
    settings.CREDITBANK_SIGNING_KEY = "B" * 43
    # when
    verdict = verify(ours)
    # then
    assert (verdict.valid, verdict.code) == (False, "verification_method_not_found")


@pytest.mark.parametrize(
    ("document_changes", "code"),
    [
        ({"assertionMethod": []}, "verification_method_not_authorized"),
        ({"verificationMethod": []}, "verification_method_not_found"),
        ({"id": "did:web:someone.else"}, "verification_method_unresolvable"),
    ],
)
def test_a_did_document_that_does_not_vouch_for_the_key_fails(monkeypatch, document_changes, code):
    issuer = helpers.did_web_issuer(document_changes=document_changes)
    helpers.serve(monkeypatch, issuer)
    verdict = verify(issuer.sign(issuer.credential()))
    assert (verdict.valid, verdict.code) == (False, code)


def test_an_unreachable_did_web_is_unresolvable(monkeypatch):
    issuer = helpers.did_web_issuer()
    helpers.serve(monkeypatch)  # serves nothing
    verdict = verify(issuer.sign(issuer.credential()))
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "verification_method_unresolvable", "unchecked")


def test_a_proof_set_needs_every_proof_valid(monkeypatch):
    # given: the issuer's proof, and a second (endorsing) proof by another did:key
    issuer = helpers.did_key_issuer()
    endorser = helpers.did_key_issuer()
    signed = endorser.sign(issuer.sign(issuer.credential()))
    broken = copy.deepcopy(signed)
    broken["proof"][1]["proofValue"] = signed["proof"][0]["proofValue"]
    # then
    assert verify(signed).valid is True
    assert verify(broken).code == "signature_invalid"


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"validUntil": "2020-01-01T00:00:00Z"}, "expired"),
        ({"validFrom": "2999-01-01T00:00:00Z"}, "not_yet_valid"),
        ({"validFrom": "2024-13-01T00:00:00Z"}, "malformed_dates"),
        ({"validUntil": "tomorrow"}, "malformed_dates"),
    ],
)
def test_the_validity_period_is_checked(changes, code):
    issuer = helpers.did_key_issuer()
    verdict = verify(issuer.sign(issuer.credential(**changes)))
    assert (verdict.valid, verdict.code, verdict.signature) == (False, code, "valid")


def test_a_credential_valid_until_later_is_valid():
    issuer = helpers.did_key_issuer()
    until = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    verdict = verify(issuer.sign(issuer.credential(validUntil=until)))
    assert (verdict.valid, verdict.valid_until) == (True, until)


# --- our own records ------------------------------------------------------------------------------


def test_an_outcome_row_changed_behind_the_applications_back_is_reported(ours):
    # given: someone edits the database directly
    Outcome.objects.update(credits="9.0")
    # when
    verdict = verify(ours)
    # then
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "archive_mismatch", "valid")
    assert verdict.records[0]["archive_matches"] is False


def test_a_row_changed_after_its_ledger_entry_is_record_altered(db, learner_a):
    # given: an outcome certified through the ledger, then edited directly in the database
    from django.db import transaction

    from creditbank.ledger import events as ledger_events
    from creditbank.ledger import services as ledger

    outcome = make_certified_outcome(learner=learner_a)
    with transaction.atomic():
        ledger.append(ledger_events.OUTCOME_CERTIFIED, record=outcome, learner=outcome.learner_id)
    credential = services.issue_outcome_credential(outcome)
    assert verify(credential.document).valid is True
    Outcome.objects.filter(pk=outcome.pk).update(score="100")
    # when
    verdict = verify(credential.document)
    # then
    assert (verdict.valid, verdict.code, verdict.signature) == (False, "record_altered", "valid")
    assert verdict.ledger[0]["inclusion"][-1]["record_intact"] is False


def test_without_records_only_the_credential_is_checked(ours):
    Outcome.objects.update(credits="9.0")
    verdict = verify(ours, with_records=False)
    assert (verdict.valid, verdict.records, verdict.ledger) == (True, [], None)


# --- any change ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed_text():
    issuer = helpers.did_key_issuer()
    return json.dumps(issuer.sign(issuer.credential()), ensure_ascii=False, indent=2).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_byte_change_fails_without_an_exception(signed_text, data):
    # given
    position = data.draw(st.integers(min_value=0, max_value=len(signed_text) - 1))
    byte = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b: b != signed_text[position]))
    mutated = signed_text[:position] + bytes([byte]) + signed_text[position + 1 :]
    # when
    verdict = verify(mutated)
    # then: not valid, unless the change left the same JSON (whitespace, "2.0" → "2e0")
    try:
        same = json.loads(mutated) == json.loads(signed_text)
    except ValueError:
        same = False
    assert verdict.valid is same
    assert verdict.code != "verification_error"


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
        max_leaves=30,
    )
)
def test_arbitrary_json_never_raises(value):
    # given: arbitrary shapes where the proof, status and subject would be
    issuer = helpers.did_key_issuer()
    document = issuer.credential(credentialStatus=value)
    document["proof"] = value
    # when
    verdict = verify(document)
    # then
    assert verdict.valid is False
    assert verdict.code != "verification_error"


PLACES = [
    ["issuer"],
    ["issuer", "name"],
    ["name"],
    ["validFrom"],
    ["validUntil"],
    ["credentialSubject"],
    ["credentialSubject", "identifier"],
    ["credentialSubject", "achievement"],
    ["credentialSubject", "achievement", "alignment"],
    ["credentialSubject", "achievement", "creator"],
    ["credentialSubject", "creditsEarned"],
    ["credentialSubject", "verifiableCredential"],
    ["type"],
]


@settings(max_examples=300, deadline=None)
@given(
    place=st.sampled_from(PLACES),
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
        max_leaves=20,
    ),
    transcript=st.booleans(),
)
def test_any_value_anywhere_in_a_signed_credential_never_raises(place, value, transcript):
    # given: a signed credential (or transcript) whose claims have odd shapes, signed as they are
    issuer = helpers.did_key_issuer()
    document = issuer.credential()
    if transcript:
        document["type"] = ["VerifiableCredential", "ClrCredential"]
        document["credentialSubject"]["verifiableCredential"] = [issuer.sign(issuer.credential())]
    document = helpers.changed(document, place, value) if place[0] in document or len(place) == 1 else document
    try:
        signed = issuer.sign(document)
    except ProofError:  # JCS refuses NaN and huge integers: nothing to verify then
        return
    # when
    verdict = verify(signed)
    # then
    assert verdict.code != "verification_error"
    assert isinstance(verdict.to_dict(), dict)


def test_a_credential_of_a_revoked_outcome_whose_bit_was_never_set_is_not_valid(db, learner_a, root_admin, monkeypatch):
    # given: credentials issued while the outcome was being revoked (the revocation did not see
    # them, so their status bits were never set)
    from creditbank.archive import services as archive_services

    outcome = make_certified_outcome(learner=learner_a)
    credential = services.issue_outcome_credential(outcome)
    transcript = services.issue_transcript(learner_a)
    monkeypatch.setattr(services, "revoke_outcome_credentials", lambda outcome: 0)
    archive_services.revoke_outcome(outcome, actor=root_admin, reason="证书系伪造")
    # when
    verdict = verify(credential.document)
    transcript_verdict = verify(transcript.document)
    # then: the status list says active, but the archive says revoked: not valid
    assert (verdict.valid, verdict.code, verdict.status) == (False, "archive_mismatch", "active")
    assert verdict.records[0]["archive_status"] == "revoked"
    assert (transcript_verdict.valid, transcript_verdict.code) == (False, "archive_mismatch")


def test_one_verification_fetches_a_bounded_number_of_other_issuers_documents(monkeypatch):
    # given: a transcript (signed with a did:key, nothing to fetch) carrying 40 outcome credentials,
    # each of its own did:web issuer: without a bound, one public request would make 40 fetches
    from creditbank.credentials import fetch

    issuers = [helpers.did_web_issuer(host=f"issuer{number}.example") for number in range(40)]
    fetched = helpers.serve(monkeypatch, *issuers)
    signer = helpers.did_key_issuer()
    transcript = signer.sign(
        {
            "@context": [documents.VC_CONTEXT, documents.CLR_CONTEXT, documents.OB_CONTEXT],
            "id": "urn:uuid:0b1f6d52-6a3e-4b0e-9a55-3f8e2c1d7a90",
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": {"id": signer.did, "type": ["Profile"], "name": "某学分银行"},
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {
                "type": ["ClrSubject"],
                "verifiableCredential": [issuer.sign(issuer.credential()) for issuer in issuers],
            },
        }
    )
    # when
    verdict = verify(transcript)
    # then: the first ones are checked, the rest refused precisely, and the fetches are bounded
    assert len(fetched) == fetch.MAX_FETCHES_PER_VERIFICATION
    assert (verdict.valid, verdict.code) == (False, "embedded_credential_invalid")
    codes = [outcome["code_if_invalid"] for outcome in verdict.outcomes]
    assert codes[: fetch.MAX_FETCHES_PER_VERIFICATION] == [""] * fetch.MAX_FETCHES_PER_VERIFICATION
    assert set(codes[fetch.MAX_FETCHES_PER_VERIFICATION :]) == {"verification_method_unresolvable"}
    # and the next verification has a budget of its own (refusals are not cached)
    last = transcript["credentialSubject"]["verifiableCredential"][-1]
    assert (last["issuer"]["id"], verify(last).valid) == ("did:web:issuer39.example", True)
