import copy
import datetime as dt
import hashlib
import json

import pytest

from creditbank.archive.models import Outcome
from creditbank.core.errors import ApplicationError, Conflict
from creditbank.credentials import documents
from creditbank.ledger import verification as ledger_verification
from creditbank.ledger.models import LedgerLeaf
from creditbank.recognition import services
from creditbank.recognition.demo_data import new_issuer_key, partner_credential, sign
from creditbank.recognition.tests.helpers import items, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, learner_a):
    items("R-1", "R-2")
    standard = make_standard(mappings={"SH-001": ("程序设计", "R-1"), "SH-002": ("数据库技术", "R-2")})
    key, did, method = new_issuer_key()
    return standard, learner_a, key, did, method


def _credential(did, code="SH-001", name="程序设计", id_number="", **extra):
    return partner_credential(
        did=did,
        achievement_code=code,
        achievement_name=name,
        achieved_on=dt.date(2024, 6, 30),
        id_number=id_number,
        **extra,
    )


def test_a_signed_ob3_from_another_issuer_is_stored_with_its_region_and_leaf(world):
    # given
    standard, learner, key, did, method = world
    signed = sign(_credential(did, id_number=learner.id_number, score="92"), key, method)
    # when
    result = services.import_credential(None, json.dumps(signed), standard=standard, actor=None)
    # then: found by the ID number, stored as mutual recognition from Shanghai
    assert (result.rows, result.imported, result.duplicates, result.errors) == (1, 1, 0, 0)
    outcome = Outcome.objects.get(learner=learner)
    assert (outcome.item_code, outcome.source, outcome.source_region, outcome.score) == (
        "R-1",
        "mutual_recognition",
        "310000",
        "92",
    )
    assert outcome.external_id == signed["id"]
    assert LedgerLeaf.objects.filter(record_type="outcome", record_id=outcome.pk).count() == 1
    assert ledger_verification.verify_ledger().ok is True


def test_re_importing_the_same_credential_stores_nothing_new(world):
    standard, learner, key, did, method = world
    signed = sign(_credential(did), key, method)
    services.import_credential(learner, signed, standard=standard, actor=None)
    again = services.import_credential(learner, signed, standard=standard, actor=None)
    assert (again.imported, again.duplicates) == (0, 1)
    assert Outcome.objects.filter(learner=learner).count() == 1


def test_a_clr_with_two_assertions_stores_both(world):
    # given
    standard, learner, key, did, method = world
    first = sign(_credential(did, "SH-001", "程序设计"), key, method)
    second = sign(_credential(did, "SH-XXX", "数据库技术"), key, method)  # mapped by its exact name
    clr = {
        "@context": [documents.VC_CONTEXT, documents.CLR_CONTEXT, documents.OB_CONTEXT],
        "id": "urn:uuid:5b2c9e0a-8a43-4a7f-9a44-1f6e3d1b0c22",
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": "学习成果证明",
        "issuer": {"id": did, "type": ["Profile"], "name": "上海终身教育学分银行"},
        "validFrom": "2024-07-01T00:00:00+08:00",
        "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": [first, second]},
    }
    # when
    result = services.import_credential(learner, sign(clr, key, method), standard=standard, actor=None)
    # then
    assert (result.rows, result.imported, result.errors) == (2, 2, 0)
    assert sorted(Outcome.objects.filter(learner=learner).values_list("item_code", flat=True)) == ["R-1", "R-2"]


def test_a_changed_byte_is_refused_with_the_verdict(world):
    standard, learner, key, did, method = world
    signed = sign(_credential(did), key, method)
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "程序设计！"
    with pytest.raises(services.CredentialRefused) as refused:
        services.import_credential(learner, tampered, standard=standard, actor=None)
    assert refused.value.code == "credential_invalid"
    assert refused.value.verdict.code == "signature_invalid"
    assert refused.value.details[0]["code"] == "signature_invalid"
    assert Outcome.objects.exists() is False


def test_unsigned_is_refused_unless_the_standard_allows_it(world):
    standard, learner, _key, did, _method = world
    unsigned = _credential(did)
    with pytest.raises(services.CredentialRefused) as refused:
        services.import_credential(learner, unsigned, standard=standard, actor=None)
    assert refused.value.code == "credential_unsigned"
    assert Outcome.objects.exists() is False
    standard.allows_unsigned = True
    standard.save()
    result = services.import_credential(learner, unsigned, standard=standard, actor=None)
    assert result.imported == 1


def test_an_unmapped_achievement_is_reported_not_stored(world):
    standard, learner, key, did, method = world
    signed = sign(_credential(did, "SH-999", "没有对照的课程"), key, method)
    result = services.import_credential(learner, signed, standard=standard, actor=None)
    assert (result.rows, result.imported, result.errors, result.unmapped) == (1, 0, 1, 1)
    assert result.outcomes[0].errors[0]["code"] == "unmapped_achievement"
    assert Outcome.objects.exists() is False


def test_another_persons_credential_is_refused(world, learner_b):
    standard, learner, key, did, method = world
    signed = sign(_credential(did, id_number=learner_b.id_number), key, method)
    with pytest.raises(services.CredentialRefused) as refused:
        services.import_credential(learner, signed, standard=standard, actor=None)
    assert refused.value.code == "subject_mismatch"


def test_a_salted_id_hash_is_matched_against_the_given_learner(world):
    standard, learner, key, did, method = world
    document = _credential(did)
    salted = hashlib.sha256((learner.id_number + "pepper").encode()).hexdigest()
    document["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": "sha256$" + salted,
            "salt": "pepper",
            "identityType": "nationalIdentityNumber",
        }
    ]
    result = services.import_credential(learner, sign(document, key, method), standard=standard, actor=None)
    assert result.imported == 1


def test_without_id_number_or_learner_the_learner_is_required(world):
    standard, _learner, key, did, method = world
    with pytest.raises(services.ValidationFailed) as refused:
        services.import_credential(None, sign(_credential(did), key, method), standard=standard, actor=None)
    assert refused.value.code == "learner_required"


def test_an_untrusted_issuer_is_refused_when_the_standard_names_its_issuers(world):
    standard, learner, key, did, method = world
    standard.trusted_issuers = "did:web:credit.sh.example"
    standard.save()
    with pytest.raises(services.CredentialRefused) as refused:
        services.import_credential(learner, sign(_credential(did), key, method), standard=standard, actor=None)
    assert refused.value.code == "credential_issuer_not_partner"


@pytest.mark.parametrize(
    ("staff", "code"),
    [("other_admin", "learner_not_found"), ("centre_reviewer", "role_cannot_archive_import")],
)
def test_staff_out_of_scope_or_without_the_action_change_nothing(request, world, staff, code):
    # given
    standard, learner, key, did, method = world
    actor = request.getfixturevalue(staff)
    # when
    with pytest.raises(ApplicationError) as refused:
        services.import_credential(learner, sign(_credential(did), key, method), standard=standard, actor=actor)
    # then
    assert refused.value.code == code
    assert Outcome.objects.exists() is False


def test_staff_in_scope_imports_for_a_learner(world, centre_admin):
    standard, learner, key, did, method = world
    result = services.import_credential(
        learner, sign(_credential(did), key, method), standard=standard, actor=centre_admin
    )
    assert result.imported == 1


def test_a_draft_standard_maps_nothing(world):
    standard, learner, key, did, method = world
    standard.status = "draft"
    standard.save()
    with pytest.raises(Conflict) as refused:
        services.import_credential(learner, sign(_credential(did), key, method), standard=standard, actor=None)
    assert refused.value.code == "recognition_standard_not_published"
