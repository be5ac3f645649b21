"""Appending (one leaf, a batch), proofs read from the stored tiles, checkpoints, anchors, the
worker's schedule and the backfill."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.accounts.tests.factories import make_learner
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.core.errors import ValidationFailed
from creditbank.ledger import digests, events, merkle, notes, selectors, services
from creditbank.ledger.models import AnchorReceipt, Checkpoint, LedgerHead, LedgerLeaf, LedgerTile

pytestmark = pytest.mark.django_db


def wipe_ledger() -> None:
    """As before the ledger existed (TRUNCATE on PostgreSQL, whose triggers refuse DELETE)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE ledger_ledgerleaf, ledger_ledgertile, ledger_ledgerhead")
    else:
        LedgerLeaf.objects.all()._raw_delete(LedgerLeaf.objects.db)
        LedgerTile.objects.all().delete()
        LedgerHead.objects.all().delete()


def _digest(number: int) -> str:
    return f"{number:064x}"


def _fill(count: int) -> list[bytes]:
    """``count`` leaves appended as one batch; their leaf hashes."""
    with transaction.atomic():
        services.append_many(
            services.LeafEvent(events.OUTCOME_STORED, number + 1, number % 7, _digest(number))
            for number in range(count)
        )
    return [bytes(value) for value in LedgerLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]


def test_one_append_writes_a_leaf_that_commits_to_the_stored_row(tree):
    # given an outcome written without the ledger (a factory)
    outcome = make_outcome()
    before = LedgerHead.objects.get().size  # the learner's account.opened
    # when
    with transaction.atomic():
        leaf = services.append(events.OUTCOME_STORED, record=outcome, learner=outcome.learner_id)
    # then
    stored = LedgerLeaf.objects.get(index=leaf.index)
    data = json.loads(stored.data)
    assert leaf.index == before
    assert (stored.event_type, stored.record_type, stored.record_id) == ("outcome.stored", "outcome", outcome.pk)
    assert data["digest"] == digests.current(digests.OUTCOME, outcome.pk)[0]
    assert data["learner"] == digests.learner_hash(outcome.learner_id)
    assert bytes(stored.leaf_hash) == merkle.leaf_hash(stored.data.encode())
    assert LedgerHead.objects.get().size == before + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_append_outside_a_transaction_is_a_bug(tree):
    outcome = make_outcome()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.append(events.OUTCOME_STORED, record=outcome, learner=None)


def test_an_event_about_another_kind_of_record_is_refused(tree):
    learner = make_learner(tree.a)
    with transaction.atomic(), pytest.raises(ValueError, match="about a outcome"):
        services.append(events.OUTCOME_STORED, record=learner, learner=learner)
    with transaction.atomic(), pytest.raises(ValidationFailed):
        services.append("points.invented", record=learner, learner=learner)


def test_a_rolled_back_record_leaves_no_leaf_and_no_gap(tree):
    # given
    make_learner(tree.a)

    # when a transaction appends, then fails
    def open_then_fail():
        with transaction.atomic():
            make_learner(tree.a)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        open_then_fail()
    # then
    make_learner(tree.a)
    assert list(LedgerLeaf.objects.values_list("index", flat=True)) == [0, 1]
    assert LedgerHead.objects.get().size == 2


def test_a_batch_gets_consecutive_indexes_and_the_right_root(tree):
    hashes = _fill(5000)
    head = LedgerHead.objects.get()
    assert head.size == 5000
    assert bytes(head.root_hash) == merkle.root(hashes) == selectors.root_at(5000)
    # level 0: 312 full + 1 partial; level 1: 19 + 1; level 2: 1 + 1; level 3: 1 partial
    assert LedgerTile.objects.count() == 336
    assert list(LedgerLeaf.objects.order_by("index").values_list("index", flat=True)[:3]) == [0, 1, 2]


def test_a_bad_digest_in_a_batch_is_refused(tree):
    with transaction.atomic(), pytest.raises(ValueError, match="64 lower-case hex"):
        services.append_many([services.LeafEvent(events.OUTCOME_STORED, 1, None, "ABC")])


@pytest.fixture
def three_hundred(tree):
    return _fill(300)


# The leaves are only read by the examples, so one fixture serves them all.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=300), st.data())
def test_proofs_from_the_tiles_are_the_rfc9162_proofs_and_verify(three_hundred, size, data):
    # given
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    first = data.draw(st.integers(min_value=1, max_value=size))
    leaves = three_hundred[:size]
    # when
    inclusion = selectors.inclusion_proof(index, size)
    consistency = selectors.consistency_proof(first, size)
    # then
    assert inclusion.proof == merkle.inclusion_proof(index, leaves)
    assert inclusion.leaf_hash == leaves[index]
    merkle.verify_inclusion(index, size, inclusion.leaf_hash, inclusion.proof, inclusion.root_hash)
    assert consistency.proof == merkle.consistency_proof(first, leaves)
    assert consistency.second_root == merkle.root(leaves)
    merkle.verify_consistency(first, size, consistency.proof, consistency.first_root, consistency.second_root)


def test_a_proof_reads_the_tiles_in_one_query(tree, django_assert_num_queries):
    _fill(1000)
    with django_assert_num_queries(2):  # the head, the tiles
        selectors.inclusion_proof(517, 1000)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: selectors.inclusion_proof(0, 31), "ledger_size_beyond_tree"),
        (lambda: selectors.inclusion_proof(30, 30), "ledger_index_out_of_range"),
        (lambda: selectors.inclusion_proof(0, 0), "ledger_index_out_of_range"),
        (lambda: selectors.consistency_proof(5, 31), "ledger_size_beyond_tree"),
        (lambda: selectors.consistency_proof(6, 5), "ledger_from_after_to"),
        (lambda: selectors.consistency_proof(0, 5), "ledger_empty_first_tree"),
    ],
)
def test_proof_requests_beyond_the_tree_get_a_precise_code(tree, call, code):
    _fill(30)
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.code == code


# --- checkpoints and anchors --------------------------------------------------------------------


def test_a_checkpoint_signs_the_head_in_the_c2sp_form(tree, settings):
    # given
    settings.CREDITBANK_PUBLIC_URL = "https://credit.example.org"
    hashes = _fill(20)
    # when
    checkpoint = services.make_checkpoint()
    # then
    verifier = notes.parse_verifier_key(selectors.verifier_key())
    body = notes.parse_checkpoint(notes.open_note(checkpoint.note, verifier))
    assert (body.origin, body.size, body.root_hash) == ("credit.example.org/ledger", 20, merkle.root(hashes))
    assert verifier.name == "credit.example.org/ledger"


def test_no_new_checkpoint_while_the_tree_has_not_grown(tree):
    _fill(3)
    first = services.make_checkpoint()
    assert services.make_checkpoint() == first
    assert services.make_checkpoint(force=True) != first
    _fill(1)
    assert services.make_checkpoint().size == 4
    assert Checkpoint.objects.count() == 3


def test_a_head_that_disagrees_with_the_tiles_is_not_signed(tree):
    _fill(3)
    LedgerHead.objects.filter(pk=1).update(root_hash=bytes(32))
    with pytest.raises(services.LedgerCorrupted):
        services.make_checkpoint()
    assert Checkpoint.objects.count() == 0


def test_a_file_anchor_appends_each_checkpoint_once(tree, settings, tmp_path):
    # given
    path = tmp_path / "anchors" / "checkpoints.txt"
    settings.CREDITBANK_LEDGER_ANCHORS = [f"file:{path}"]
    _fill(2)
    first = services.make_checkpoint()
    # when published twice, then a new checkpoint
    services.publish_checkpoint(first)
    services.publish_checkpoint(first)
    _fill(1)
    second = services.make_checkpoint()
    services.publish_checkpoint(second)
    # then
    assert path.read_text() == first.note + "\n" + second.note
    assert AnchorReceipt.objects.filter(is_success=True).count() == 2


class _Witness(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Witness.received.append(json.loads(body))
        self.send_response(_Witness.status)
        self.end_headers()
        self.wfile.write(b"taken")

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def witness():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Witness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Witness.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}/checkpoints"
    server.shutdown()
    server.server_close()


def test_a_webhook_anchor_posts_the_checkpoint_and_a_refusal_is_tried_again(tree, settings, witness):
    # given
    settings.CREDITBANK_LEDGER_ANCHORS = [f"webhook:{witness}"]
    _fill(2)
    checkpoint = services.make_checkpoint()
    # when the witness refuses the first time
    _Witness.status = 503
    refused = services.publish_checkpoint(checkpoint)
    _Witness.status = 201
    taken = services.publish_checkpoint(checkpoint)
    again = services.publish_checkpoint(checkpoint)
    # then
    assert [(r.is_success, r.detail) for r in refused] == [(False, "the webhook answered 503")]
    assert [(r.is_success, r.detail) for r in taken] == [(True, "201 taken")]
    assert again == []
    assert len(_Witness.received) == 2
    assert _Witness.received[-1] == {
        "origin": selectors.origin(),
        "size": 2,
        "root_hash": bytes(checkpoint.root_hash).hex(),
        "note": checkpoint.note,
        "verifier_key": selectors.verifier_key(),
    }


def test_an_unreachable_webhook_is_a_failed_receipt(tree, settings):
    settings.CREDITBANK_LEDGER_ANCHORS = ["webhook:http://127.0.0.1:9/nothing-listens"]
    _fill(1)
    receipts = services.publish_checkpoint(services.make_checkpoint())
    assert [receipt.is_success for receipt in receipts] == [False]
    assert receipts[0].detail.startswith("the webhook could not be reached")


def test_unknown_anchor_kinds_are_refused():
    from creditbank.ledger import anchors

    with pytest.raises(ValueError, match="kind"):
        anchors.from_spec("nothing")
    with pytest.raises(ImportError):
        anchors.from_spec("no.such.Anchor:x")


# --- the worker's schedule ----------------------------------------------------------------------


def test_the_schedule_enqueues_itself_with_run_after_and_a_new_schedule_stops_the_old(
    tree, settings, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    # given the dummy backend, which keeps what is enqueued
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _fill(2)
    # when a schedule is started
    with django_capture_on_commit_callbacks(execute=True):
        token = services.schedule_checkpoints(every=600)
    first = default_task_backend.results[-1]
    assert (first.args, first.task.run_after) == ([token, 600], None)
    # and its first turn runs
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_scheduled_checkpoint(token=token, every=600) == "checkpoint 2"
    # then the next turn waits ten minutes
    following = default_task_backend.results[-1]
    assert following.args == [token, 600]
    assert following.task.run_after is not None
    assert 590 <= (following.task.run_after - first.enqueued_at).total_seconds() <= 610
    # and a newer schedule supersedes this chain
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_checkpoints(every=600)
    assert services.run_scheduled_checkpoint(token=token, every=600) == "superseded"


def test_a_schedule_more_often_than_a_minute_is_refused(tree):
    with pytest.raises(ValueError, match="once a minute"):
        services.schedule_checkpoints(every=10)


# --- backfill -------------------------------------------------------------------------------------


def test_backfill_gives_old_records_their_opening_leaf_once(tree):
    # given an outcome (and its learner) stored before the ledger existed
    outcome = make_outcome()
    wipe_ledger()
    # when
    counts = services.backfill()
    # then
    assert counts == {"outcome": 1, "learner": 1}
    assert set(LedgerLeaf.objects.values_list("event_type", "record_id")) == {
        ("outcome.stored", outcome.pk),
        ("account.opened", outcome.learner_id),
    }
    assert services.backfill() == {"outcome": 0, "learner": 0}
    assert AuditEntry.objects.filter(action="ledger.backfill").count() == 2
