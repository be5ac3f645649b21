"""The public proof API: the signed checkpoint, inclusion and consistency proofs that verify with
RFC 9162 alone, and a precise 4xx for every request beyond the tree."""

from __future__ import annotations

import base64

import pytest
from django.db import transaction

from creditbank.core import signing
from creditbank.ledger import events, merkle, notes, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(tree):
    """Forty leaves, a checkpoint at thirty, ten more after it."""
    with transaction.atomic():
        services.append_many(services.LeafEvent(events.OUTCOME_STORED, n + 1, None, f"{n:064x}") for n in range(30))
    checkpoint = services.make_checkpoint()
    with transaction.atomic():
        services.append_many(services.LeafEvent(events.OUTCOME_STORED, n + 31, None, f"{n:064x}") for n in range(10))
    return checkpoint


def _hashes(values):
    return [bytes.fromhex(value) for value in values]


def test_the_checkpoint_is_a_signed_note_anyone_can_check(anon_client, ledger):
    # when
    response = anon_client.get("/api/v1/ledger/checkpoint")
    # then
    body = response.json()
    assert response.status_code == 200
    verifier = notes.parse_verifier_key(body["verifier_key"])
    checkpoint = notes.parse_checkpoint(notes.open_note(body["note"], verifier))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root_hash.hex()) == (body["origin"], 30, body["root_hash"])
    assert base64.b64decode(body["public_key"]) == signing.public_key_bytes() == verifier.public_key
    assert (body["tree_size"], body["root_hash_base64"]) == (40, base64.b64encode(checkpoint.root_hash).decode())


def test_no_checkpoint_yet_is_a_404_with_its_code(anon_client, tree):
    response = anon_client.get("/api/v1/ledger/checkpoint")
    assert (response.status_code, response.json()["code"]) == (404, "ledger_no_checkpoint")


def test_an_inclusion_proof_verifies_against_the_signed_root(anon_client, ledger):
    # when no size is given, the proof is against the latest checkpoint
    body = anon_client.get("/api/v1/ledger/proof/inclusion", {"index": 17}).json()
    # then
    assert (body["index"], body["size"], body["root_hash"]) == (17, 30, bytes(ledger.root_hash).hex())
    merkle.verify_inclusion(17, 30, bytes.fromhex(body["leaf_hash"]), _hashes(body["proof"]), bytes(ledger.root_hash))


def test_a_leaf_newer_than_the_checkpoint_is_proved_against_the_whole_tree(anon_client, ledger):
    body = anon_client.get("/api/v1/ledger/proof/inclusion", {"index": 35}).json()
    assert body["size"] == 40
    merkle.verify_inclusion(
        35, 40, bytes.fromhex(body["leaf_hash"]), _hashes(body["proof"]), bytes.fromhex(body["root_hash"])
    )


def test_a_consistency_proof_links_the_checkpoint_to_the_tree(anon_client, ledger):
    body = anon_client.get("/api/v1/ledger/proof/consistency", {"from": 30}).json()
    assert (body["from"], body["to"], body["first_root"]) == (30, 40, bytes(ledger.root_hash).hex())
    merkle.verify_consistency(
        30, 40, _hashes(body["proof"]), bytes.fromhex(body["first_root"]), bytes.fromhex(body["second_root"])
    )
    same = anon_client.get("/api/v1/ledger/proof/consistency", {"from": 12, "to": 12}).json()
    assert (same["proof"], same["first_root"] == same["second_root"]) == ([], True)


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("inclusion", {"index": 0, "size": 41}, 422, "ledger_size_beyond_tree"),
        ("inclusion", {"index": 40, "size": 40}, 422, "ledger_index_out_of_range"),
        ("inclusion", {"index": 40}, 422, "ledger_index_out_of_range"),  # past the checkpoint and the tree
        ("inclusion", {"index": 0, "size": 0}, 422, "ledger_index_out_of_range"),
        ("inclusion", {}, 422, "validation_error"),
        ("inclusion", {"index": -1}, 422, "validation_error"),
        ("inclusion", {"index": "x"}, 422, "validation_error"),
        ("inclusion", {"index": 10**30}, 422, "validation_error"),
        ("consistency", {"from": 5, "to": 41}, 422, "ledger_size_beyond_tree"),
        ("consistency", {"from": 9, "to": 8}, 422, "ledger_from_after_to"),
        ("consistency", {"from": 0, "to": 8}, 422, "ledger_empty_first_tree"),
        ("consistency", {"to": 8}, 422, "validation_error"),
    ],
)
def test_requests_beyond_the_tree_get_a_precise_error(anon_client, ledger, path, params, status, code):
    response = anon_client.get(f"/api/v1/ledger/proof/{path}", params)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_the_public_routes_are_rate_limited(anon_client, ledger, settings):
    settings.CREDITBANK_LEDGER_RATE_LIMIT = 2
    statuses = [anon_client.get("/api/v1/ledger/checkpoint").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
