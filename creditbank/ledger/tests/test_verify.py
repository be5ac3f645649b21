"""``ledger verify`` and ``creditbank ledger …``: a clean ledger passes; a record changed, deleted
or inserted behind the ledger's back, and a leaf, tile or checkpoint rewritten, are each reported."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from creditbank.accounts.tests.factories import make_learner
from creditbank.archive import services as archive_services
from creditbank.archive.models import Outcome
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.imports.outcomes import deposit_outcome_records
from creditbank.ledger import services, verification
from creditbank.ledger.models import Checkpoint, LedgerLeaf, LedgerTile

pytestmark = pytest.mark.django_db


def _run(*args):
    out = io.StringIO()
    try:
        call_command("ledger", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def _last_json(output: str) -> dict[str, Any]:
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture
def stored(tree):
    """Two learners with three outcomes stored by the bulk path, one of them revoked, and a checkpoint."""
    learners = [make_learner(tree.a), make_learner(tree.a)]
    make_item(code="LED-1", name="账本测试", credits="2")
    records = [
        {"id_number": learner.id_number, "name": learner.name, "item_code": "LED-1", "achieved_on": day}
        for learner, day in [(learners[0], "2024-01-02"), (learners[0], "2024-02-03"), (learners[1], "2024-03-04")]
    ]
    result = deposit_outcome_records(records, org=tree.b, actor=None)
    assert result.summary.imported == 3
    outcomes = list(Outcome.objects.order_by("pk"))
    archive_services.revoke_outcome(outcomes[2], actor=None, reason="证书有误")
    services.make_checkpoint()
    return outcomes


def _kinds(report) -> dict[str, int]:
    return dict(report.counts)


def test_a_clean_ledger_verifies(stored):
    report = verification.verify_ledger()
    assert report.ok is True
    assert (report.size, report.leaves, report.records, report.checkpoints) == (
        6,
        6,
        {"outcome": 3, "learner": 2, "conversion": 0},
        1,
    )


def test_an_outcome_changed_directly_in_the_database_is_reported_by_id(stored):
    # given an UPDATE that bypasses every service
    Outcome.objects.filter(pk=stored[1].pk).update(score="100")
    # when
    report = verification.verify_ledger()
    # then
    assert _kinds(report) == {"altered": 1}
    (problem,) = report.problems
    assert (problem.kind, problem.record_type, problem.record_id) == ("altered", "outcome", stored[1].pk)


def test_a_revoked_outcome_put_back_by_sql_is_reported(stored):
    table = Outcome._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = 'stored', revoked_at = NULL, revoke_reason = '' WHERE id = %s",  # noqa: S608
            [stored[2].pk],
        )
    report = verification.verify_ledger()
    assert [(p.kind, p.record_id) for p in report.problems] == [("altered", stored[2].pk)]


def test_a_deleted_outcome_is_reported(stored):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Outcome._meta.db_table} WHERE id = %s", [stored[0].pk])  # noqa: S608
    report = verification.verify_ledger()
    assert [(p.kind, p.record_type, p.record_id) for p in report.problems] == [("deleted", "outcome", stored[0].pk)]


def test_an_outcome_inserted_without_the_ledger_is_reported(stored):
    # given a row written straight into the table (the factory does not go through the ledger)
    sneaked = make_outcome(learner=stored[0].learner, score="99")
    # when
    report = verification.verify_ledger()
    # then
    assert [(p.kind, p.record_type, p.record_id) for p in report.problems] == [("inserted", "outcome", sneaked.pk)]


def test_a_pending_self_registration_needs_no_leaf_yet(stored, tree):
    make_learner(tree.a_point, status="pending", channel="self", password=None)
    assert verification.verify_ledger().ok is True


def _without_triggers():
    """The ledger's append-only triggers switched off for this transaction (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")


def test_a_rewritten_leaf_is_reported_and_breaks_the_signed_checkpoint(stored):
    # given a leaf whose data and hash are both rewritten consistently
    from creditbank.ledger import merkle

    leaf = LedgerLeaf.objects.get(index=2)
    data = leaf.data.replace('"record_id":', '"record_id": ')
    with transaction.atomic():
        _without_triggers()
        LedgerLeaf.objects.filter(index=2).update(data=data, leaf_hash=merkle.leaf_hash(data.encode()))
    # when
    report = verification.verify_ledger()
    # then
    kinds = _kinds(report)
    assert kinds["leaf_altered"] == 1  # not canonical JSON: never written by the ledger
    assert kinds["checkpoint_mismatch"] == 1  # the signed root no longer matches
    assert kinds["tile_altered"] == 1  # the stored tile still holds the old hash
    assert kinds["head_mismatch"] == 1


def test_a_leaf_hash_changed_alone_is_reported(stored):
    with transaction.atomic():
        _without_triggers()
        LedgerLeaf.objects.filter(index=0).update(leaf_hash=bytes(32))
    report = verification.verify_ledger()
    assert _kinds(report) == {"leaf_altered": 1}


def test_deleted_leaves_at_the_end_are_reported(stored):
    with transaction.atomic(), connection.cursor() as cursor:
        _without_triggers()
        cursor.execute('DELETE FROM ledger_ledgerleaf WHERE "index" = 5')
    report = verification.verify_ledger()
    kinds = _kinds(report)
    assert kinds["checkpoint_mismatch"] == 1  # signed 6 leaves, 5 remain
    assert kinds["head_mismatch"] == 1
    assert kinds["tile_altered"] == 1
    assert kinds["altered"] == 1  # the revoked outcome's newest leaf is gone: its stored leaf differs


def test_a_rewritten_tile_is_reported(stored):
    tile = LedgerTile.objects.get(level=0, index=0)
    changed = bytes(32) + bytes(tile.hashes)[32:]
    with transaction.atomic():
        _without_triggers()
        LedgerTile.objects.filter(level=0, index=0).update(hashes=changed)
    assert _kinds(verification.verify_ledger()) == {"tile_altered": 1}


def test_a_forged_checkpoint_is_reported(stored):
    checkpoint = Checkpoint.objects.get()
    with transaction.atomic():
        _without_triggers()
        Checkpoint.objects.filter(pk=checkpoint.pk).update(note=checkpoint.note.replace("\n6\n", "\n7\n"))
    assert _kinds(verification.verify_ledger()) == {"checkpoint_invalid": 1}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_itself_refuses_to_rewrite_the_ledger(stored):
    from django.db import DatabaseError

    for statement in (
        "UPDATE ledger_ledgerleaf SET data = 'x' WHERE index = 0",
        "DELETE FROM ledger_ledgerleaf WHERE index = 0",
        "UPDATE ledger_ledgertile SET hashes = '' WHERE level = 0",
        "DELETE FROM ledger_checkpoint",
    ):
        with (
            pytest.raises(DatabaseError, match=r"append-only|may only grow"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


def test_the_orm_refuses_to_rewrite_a_leaf(stored):
    leaf = LedgerLeaf.objects.get(index=0)
    with pytest.raises(RuntimeError, match="append-only"):
        leaf.save()
    with pytest.raises(RuntimeError, match="append-only"):
        leaf.delete()


# --- the command --------------------------------------------------------------------------------


def test_verify_exits_0_with_the_json_report_as_the_last_line(stored):
    code, output = _run("verify", "--json")
    report = _last_json(output)
    assert code == 0
    assert (report["ok"], report["size"], report["problem_counts"], report["problems"]) == (True, 6, {}, [])


def test_verify_exits_1_and_names_each_record(stored):
    Outcome.objects.filter(pk=stored[0].pk).update(credits="9.0")
    code, output = _run("verify")
    assert code == 1
    assert f"altered outcome:{stored[0].pk}" in output


def test_verify_json_lists_the_problem(stored):
    Outcome.objects.filter(pk=stored[0].pk).update(certificate_no="FORGED")
    code, output = _run("verify", "--json")
    report = _last_json(output)
    assert (code, report["ok"], report["problem_counts"]) == (1, False, {"altered": 1})
    assert report["problems"][0]["record_id"] == stored[0].pk


def test_checkpoint_prints_the_signed_note(stored):
    make_learner(stored[0].learner.org)
    code, output = _run("checkpoint", "--json")
    payload = _last_json(output)
    assert (code, payload["size"], payload["anchors"]) == (0, 7, [])
    assert payload["note"].startswith(payload["origin"] + "\n7\n")


def test_checkpoint_exits_1_when_an_anchor_refuses(stored, settings):
    settings.CREDITBANK_LEDGER_ANCHORS = ["webhook:http://127.0.0.1:9/down"]
    code, output = _run("checkpoint", "--force", "--json")
    assert code == 1
    assert _last_json(output)["anchors"][0]["ok"] is False


@pytest.mark.parametrize(
    "args", [("verify", "--limit", "-1"), ("schedule", "--every", "5")], ids=["negative-limit", "too-often"]
)
def test_bad_usage_exits_2(stored, args):
    code, _output = _run(*args)
    assert code == 2


def test_schedule_and_backfill_answer_in_json(stored, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    code, output = _run("schedule", "--every", "900", "--json")
    assert (code, _last_json(output)["every"]) == (0, 900)
    code, output = _run("backfill", "--json")
    assert (code, _last_json(output)) == (0, {"appended": {"outcome": 0, "learner": 0}})
