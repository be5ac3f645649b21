"""eddsa-jcs-2022 against the W3C vc-di-eddsa test vectors, and proof sets and chains."""

from __future__ import annotations

import copy
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.credentials import dataintegrity as di
from creditbank.credentials.multibase import (
    decode_ed25519_multikey,
    decode_ed25519_private_multikey,
    encode_ed25519_multikey,
)
from creditbank.credentials.tests.vectors import load, needs_vectors, text

pytestmark = needs_vectors

JCS = "vc-di-eddsa/eddsa-jcs-2022/"


def _key(pair):
    return Ed25519PrivateKey.from_private_bytes(decode_ed25519_private_multikey(pair["privateKeyMultibase"]))


@pytest.fixture
def vector_key():
    return _key(load("vc-di-eddsa/keyPair.json"))


def test_the_key_pair_of_the_vectors_is_an_ed25519_multikey(vector_key):
    # given
    pair = load("vc-di-eddsa/keyPair.json")
    # then
    public = decode_ed25519_multikey(pair["publicKeyMultibase"])
    assert vector_key.public_key().public_bytes_raw() == public
    assert encode_ed25519_multikey(public) == pair["publicKeyMultibase"]


def test_reproduces_every_intermediate_value_of_the_jcs_vector(vector_key):
    # given
    unsigned = load("vc-di-eddsa/unsigned.json")
    options = load(JCS + "proofConfigJCS.json")
    # when
    config = di.proof_configuration({k: v for k, v in options.items() if k != "@context"}, unsigned)
    canonical_proof = di.canonicalize(config)
    canonical_document = di.canonicalize(unsigned)
    hash_data = di.hash_data(unsigned, config)
    # then
    assert config == options
    assert canonical_proof.decode() == text(JCS + "proofCanonJCS.txt")
    assert canonical_document.decode() == text(JCS + "canonDocJCS.txt")
    assert hashlib.sha256(canonical_proof).hexdigest() == text(JCS + "proofHashJCS.txt").strip()
    assert hashlib.sha256(canonical_document).hexdigest() == text(JCS + "docHashJCS.txt").strip()
    assert hash_data.hex() == text(JCS + "combinedHashJCS.txt").strip()
    assert vector_key.sign(hash_data).hex() == text(JCS + "sigHexJCS.txt").strip()


def test_reproduces_the_proof_value_and_the_signed_credential(vector_key):
    # given
    unsigned = load("vc-di-eddsa/unsigned.json")
    options = load(JCS + "proofConfigJCS.json")
    # when
    signed = di.sign_document(
        unsigned, sign=vector_key.sign, verification_method=options["verificationMethod"], created=options["created"]
    )
    # then
    assert signed["proof"]["proofValue"] == text(JCS + "sigBTC58JCS.txt").strip()
    assert signed == load(JCS + "signedJCS.json")


def test_verifies_the_signed_vector_and_refuses_a_changed_copy():
    # given
    signed = load(JCS + "signedJCS.json")
    public = decode_ed25519_multikey(load("vc-di-eddsa/keyPair.json")["publicKeyMultibase"])
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["alumniOf"] = "The School of Forgery"
    other_key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    # then
    assert di.verify_proof(signed, signed["proof"], public) is True
    assert di.verify_proof(changed, changed["proof"], public) is False
    assert di.verify_proof(signed, signed["proof"], other_key) is False


def test_a_proof_whose_context_differs_from_the_document_does_not_verify():
    # given: vc-di-eddsa §3.3.2 step 3
    signed = load(JCS + "signedJCS.json")
    public = decode_ed25519_multikey(load("vc-di-eddsa/keyPair.json")["publicKeyMultibase"])
    signed["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    # then
    assert di.verify_proof(signed, signed["proof"], public) is False


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"type": "Ed25519Signature2020"}, "unsupported_proof_type"),
        ({"cryptosuite": "eddsa-rdfc-2022"}, "unsupported_cryptosuite"),
        ({"proofValue": "not-multibase"}, "malformed_proof"),
        ({"proofValue": None}, "malformed_proof"),
        ({"created": "yesterday"}, "malformed_proof"),
    ],
)
def test_a_proof_that_cannot_be_checked_is_a_proof_error(change, code):
    # given
    signed = load(JCS + "signedJCS.json")
    public = decode_ed25519_multikey(load("vc-di-eddsa/keyPair.json")["publicKeyMultibase"])
    proof = {**signed["proof"], **change}
    # when
    with pytest.raises(di.ProofError) as error:
        di.verify_proof(signed, proof, public)
    # then
    assert error.value.code == code


def test_the_rdfc_vectors_are_refused_as_another_cryptosuite():
    # given: eddsa-rdfc-2022 needs RDF canonicalisation, which this verifier does not do
    signed = load("vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json")
    public = decode_ed25519_multikey(load("vc-di-eddsa/keyPair.json")["publicKeyMultibase"])
    # when
    with pytest.raises(di.ProofError) as error:
        di.verify_proof(signed, signed["proof"], public)
    # then
    assert error.value.code == "unsupported_cryptosuite"


def _method(pair):
    return f"did:key:{pair['publicKeyMultibase']}#{pair['publicKeyMultibase']}"


def test_a_proof_set_and_a_proof_chain_with_jcs_verify_each_proof():
    # given: the vectors' proof-set/chain keys and ids (their proofs there are rdfc-2022; these are jcs)
    pairs = load("vc-di-eddsa/proof-set-chain/multiKeyPairs.json")
    unsigned = load("vc-di-eddsa/proof-set-chain/unsigned.json")
    set_1, set_2 = (
        load("vc-di-eddsa/proof-set-chain/proofSetConfig1.json"),
        load("vc-di-eddsa/proof-set-chain/proofSetConfig2.json"),
    )
    chain_1 = load("vc-di-eddsa/proof-set-chain/proofChainConfig1.json")
    document = unsigned
    # when: two independent proofs (a set), then one chained to both
    for pair, config in ((pairs["keyPair1"], set_1), (pairs["keyPair2"], set_2), (pairs["keyPair3"], chain_1)):
        extra = {key: config[key] for key in ("id", "previousProof") if key in config}
        document = di.sign_document(
            document, sign=_key(pair).sign, verification_method=_method(pair), created=config["created"], extra=extra
        )
    # then
    proofs = di.proofs_of(document)
    assert [proof.get("id") for proof in proofs] == [set_1["id"], set_2["id"], chain_1["id"]]
    for pair, proof in zip(("keyPair1", "keyPair2", "keyPair3"), proofs, strict=True):
        public = decode_ed25519_multikey(pairs[pair]["publicKeyMultibase"])
        assert di.verify_proof(document, proof, public) is True
    # a set member signs the document without any proof: dropping the others does not matter
    alone = {**unsigned, "proof": proofs[0]}
    assert di.verify_proof(alone, proofs[0], decode_ed25519_multikey(pairs["keyPair1"]["publicKeyMultibase"]))


def test_a_chained_proof_without_the_proof_it_names_cannot_be_checked():
    # given
    pairs = load("vc-di-eddsa/proof-set-chain/multiKeyPairs.json")
    unsigned = load("vc-di-eddsa/proof-set-chain/unsigned.json")
    first = di.sign_document(
        unsigned,
        sign=_key(pairs["keyPair1"]).sign,
        verification_method=_method(pairs["keyPair1"]),
        extra={"id": "urn:a"},
    )
    chained = di.sign_document(
        first,
        sign=_key(pairs["keyPair2"]).sign,
        verification_method=_method(pairs["keyPair2"]),
        extra={"previousProof": "urn:a"},
    )
    second = di.proofs_of(chained)[1]
    without_first = {**unsigned, "proof": [second]}
    public = decode_ed25519_multikey(pairs["keyPair2"]["publicKeyMultibase"])
    # when
    with pytest.raises(di.ProofError) as error:
        di.verify_proof(without_first, second, public)
    # then
    assert di.verify_proof(chained, second, public) is True
    assert error.value.code == "previous_proof_missing"


@pytest.mark.parametrize("value", [float("nan"), 2**60])
def test_a_value_jcs_cannot_represent_is_a_proof_error(value):
    # when
    with pytest.raises(di.ProofError) as error:
        di.canonicalize({"x": value})
    # then
    assert error.value.code == "not_canonicalizable"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text() | st.text(alphabet="a\ue000\uffff😀\U0010ffff中（"), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(JSON_VALUES)
def test_the_fast_canonical_form_is_rfc8785(value):
    # given
    import json

    import rfc8785

    expected = rfc8785.dumps(value)
    text = json.dumps(value, ensure_ascii=False)
    # when: from a value, and from its text the way verify parses it
    from_value = di.canonicalize(value)
    try:
        parsed = di.parse_plain_json(text, dict)
    except di.NotPlain:
        parsed = json.loads(text)
    # then
    assert from_value == expected
    assert di.canonicalize(parsed) == expected


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ('{"a": 3.0, "b": "学分"}', True),
        ('{"a": 1e-7}', False),
        ('{"a": 1e15}', True),  # integral: written as an integer
        ('{"a": 1e16}', False),  # beyond 2**53
        ('{"a": 12345678901234567890}', False),
        ('{"a": "\\u00e9"}', False),
        ('{"😀": 1}', False),
        ('{"（四级）": "“学分”"}', True),
    ],
)
def test_only_plain_text_takes_the_fast_path(text, plain):
    # when
    try:
        di.parse_plain_json(text, dict)
        taken = True
    except di.NotPlain:
        taken = False
    # then
    assert taken is plain


def test_nan_is_not_json_on_the_fast_path_either():
    with pytest.raises(ValueError, match="NaN"):
        di.parse_plain_json('{"a": NaN}', dict)
