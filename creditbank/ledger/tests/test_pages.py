"""The outcome pages (the learner's and the staff one) show the outcome's ledger entries with
their index and a link to the proof, and say so when the record no longer matches."""

from __future__ import annotations

import pytest
from django.urls import reverse

from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.imports.outcomes import deposit_outcome_records
from creditbank.ledger import services
from creditbank.ledger.models import LedgerLeaf

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcome(tree, learner_a):
    make_item(code="PG-1", name="页面测试", credits="2")
    record = {
        "id_number": learner_a.id_number,
        "name": learner_a.name,
        "item_code": "PG-1",
        "achieved_on": "2024-01-01",
    }
    deposit_outcome_records([record], org=tree.a, actor=None)
    services.make_checkpoint()
    return Outcome.objects.get()


def _leaf(outcome):
    return LedgerLeaf.objects.get(record_type="outcome", record_id=outcome.pk)


def test_the_learner_sees_the_ledger_entry_of_an_outcome(learner_client, outcome):
    # when
    page = learner_client.get(reverse("archive:me-outcome", args=[outcome.pk])).content.decode()
    # then
    leaf = _leaf(outcome)
    assert "已上链存证" in page
    assert f'data-leaf-index="{leaf.index}"' in page
    assert f"/api/v1/ledger/proof/inclusion?index={leaf.index}&amp;size={leaf.index + 1}" in page
    assert "已纳入签名检查点" in page


def test_staff_see_it_in_the_console_and_a_changed_record_is_flagged(root_admin_client, outcome):
    # given a change behind the ledger's back
    Outcome.objects.filter(pk=outcome.pk).update(score="100")
    # when
    page = root_admin_client.get(reverse("archive:staff-outcome", args=[outcome.pk])).content.decode()
    # then
    assert f'data-leaf-index="{_leaf(outcome).index}"' in page
    assert "现存记录与上链存证的内容不一致" in page


def test_the_proof_link_answers_a_verifiable_proof(anon_client, outcome):
    from creditbank.ledger import merkle, selectors

    (entry,) = selectors.inclusion_for("outcome", outcome.pk)
    body = anon_client.get(entry["proof_url"]).json()
    merkle.verify_inclusion(
        entry["index"],
        body["size"],
        bytes.fromhex(entry["leaf_hash"]),
        [bytes.fromhex(node) for node in body["proof"]],
        bytes.fromhex(entry["checkpoint"]["root_hash"]),
    )
    assert entry["record_intact"] is True


def test_the_ledger_block_costs_five_queries_however_many_leaves(outcome, root_admin, django_assert_num_queries):
    from creditbank.archive import services as archive_services
    from creditbank.ledger import selectors

    archive_services.revoke_outcome(outcome, actor=root_admin, reason="重复存入")
    # leaves, checkpoint, tree size, the record's digest, the tiles of both proofs
    with django_assert_num_queries(5):
        entries = selectors.inclusion_for("outcome", outcome.pk)
    assert [(entry["event_type"], entry["is_latest"], entry["record_intact"]) for entry in entries] == [
        ("outcome.stored", False, None),
        ("outcome.revoked", True, True),
    ]
    assert entries[0]["checkpoint"] is not None
    assert entries[1]["checkpoint"] is None  # newer than the latest checkpoint: proved against the whole tree
