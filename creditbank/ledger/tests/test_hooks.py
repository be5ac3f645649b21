"""Every way a record is written appends its leaf in the same transaction: bulk deposits (the ORM
and the COPY writer, with accounts opened on the way), the institution push, certifying a
deposit, revoking, opening accounts (counter, import, approved self-registration), the demo."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from creditbank.accounts import services as account_services
from creditbank.accounts.tests.factories import identity_data, make_learner
from creditbank.archive import services as archive_services
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.imports import outcomes
from creditbank.imports import services as import_services
from creditbank.imports.tests.helpers import OUTCOME_HEADER, new_person, outcome_row, row_of, write_csv
from creditbank.ledger import digests, verification
from creditbank.ledger.models import LedgerHead, LedgerLeaf
from creditbank.orgs.tests.factories import make_staff
from creditbank.orgs.tokens import issue_institution_token
from creditbank.reviews import services as review_services

pytestmark = pytest.mark.django_db


def _events(record_type: str, record_id: int) -> list[str]:
    return list(
        LedgerLeaf.objects.filter(record_type=record_type, record_id=record_id)
        .order_by("index")
        .values_list("event_type", flat=True)
    )


def _assert_clean() -> None:
    report = verification.verify_ledger()
    assert report.as_json()["problems"] == []
    assert LedgerHead.objects.get().size == LedgerLeaf.objects.count()


def test_a_bulk_deposit_stores_one_leaf_per_outcome_and_per_account_it_opens(tmp_path, tree):
    # given a stored learner, a person without an account, and two items
    item, other = make_item(), make_item()
    learner = make_learner(tree.a)
    person = new_person()
    rows = [
        outcome_row(learner, item, certificate_no="ab-1"),
        outcome_row(learner, other, score="优秀"),
        [person["id_number"], person["name"], item.code, "合格", "2023-09-01", "", "12", "1.5"],
    ]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER, encoding="gbk")
    # when (COPY on PostgreSQL, bulk_create elsewhere)
    result = outcomes.run_outcome_import(path, org=tree.a, create_learners=True)
    # then
    assert (result.imported, result.learners_created) == (3, 1)
    for outcome in Outcome.objects.all():
        assert _events("outcome", outcome.pk) == ["outcome.stored"]
    opened = Outcome.objects.get(item=item, certificate_no="").learner  # the account the import opened
    assert (opened.opened_via, _events("learner", opened.pk)) == ("import", ["account.opened"])
    _assert_clean()


def test_a_dry_run_and_a_strict_refusal_append_nothing(tmp_path, tree):
    item = make_item()
    learner = make_learner(tree.a)
    before = LedgerLeaf.objects.count()
    path = write_csv(
        tmp_path / "o.csv", [outcome_row(learner, item), outcome_row(learner, "NOPE")], header=OUTCOME_HEADER
    )
    outcomes.run_outcome_import(path, org=tree.a, dry_run=True)
    outcomes.run_outcome_import(path, org=tree.a, strict=True)
    assert LedgerLeaf.objects.count() == before
    assert Outcome.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_that_owns_its_transaction_appends_with_its_commit(tmp_path, tree, monkeypatch):
    # given batches of two rows, so that keys are taken for several batches (on the look-up
    # connection on PostgreSQL) while the COPY streams
    monkeypatch.setattr(outcomes, "BATCH_ROWS", 2)
    items = [make_item() for _ in range(3)]
    learners = [make_learner(tree.a) for _ in range(2)]
    rows = [outcome_row(learner, item) for learner in learners for item in items]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    # when
    result = outcomes.run_outcome_import(path, org=tree.a)
    # then
    assert result.imported == 6
    assert sorted(LedgerLeaf.objects.filter(record_type="outcome").values_list("record_id", flat=True)) == sorted(
        Outcome.objects.values_list("pk", flat=True)
    )
    _assert_clean()


def test_a_learner_import_opens_accounts_on_the_ledger(tmp_path, tree):
    path = write_csv(tmp_path / "l.csv", [row_of(new_person()) for _ in range(3)])
    result = import_services.run_learner_import(path, org=tree.a_point)
    assert result.imported == 3
    assert LedgerLeaf.objects.filter(event_type="account.opened").count() == 3
    _assert_clean()


def test_an_institution_push_appends_a_leaf_per_stored_record(tree, learner_a):
    # given
    make_item(code="PUSH-1", name="高等数学", credits="4")
    _token, secret = issue_institution_token(tree.b, name="教务系统", actor=None)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    record = {
        "id_number": learner_a.id_number,
        "name": learner_a.name,
        "item_code": "PUSH-1",
        "achieved_on": "2024-06-30",
    }
    # when
    response = client.post(
        "/api/v1/outcomes:batch",
        json.dumps({"records": [{**record, "external_id": "r-1"}, {**record, "external_id": "r-1"}]}),
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    (stored,) = Outcome.objects.all()
    assert (stored.source, _events("outcome", stored.pk)) == ("institution", ["outcome.stored"])
    _assert_clean()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_certifying_a_deposit_appends_outcome_certified(tree, learner_a, centre_reviewer):
    # given
    make_item(code="HL-9", name="护理学导论", credits="3", hours=48)
    point_reviewer = make_staff(tree.a_point, "reviewer", username="ledger_point_reviewer")
    deposit = submit_deposit(
        learner_a,
        DepositData(item_code="HL-9", achieved_on="2024-05-17", score="92"),
        [SimpleUploadedFile("a.pdf", PDF)],
        actor=learner_a.user,
    )
    review_services.accept_application(deposit.application, actor=point_reviewer)
    # when
    review_services.certify_application(deposit.application, actor=centre_reviewer)
    # then
    deposit.refresh_from_db()
    assert _events("outcome", deposit.outcome_id) == ["outcome.certified"]
    _assert_clean()


def test_revoking_appends_outcome_revoked_with_the_new_state(tree, learner_a, root_admin):
    # given an outcome stored by the bulk path
    make_item(code="RV-1", name="撤销测试", credits="1")
    record = {
        "id_number": learner_a.id_number,
        "name": learner_a.name,
        "item_code": "RV-1",
        "achieved_on": "2024-01-01",
    }
    outcomes.deposit_outcome_records([record], org=tree.a, actor=None)
    outcome = Outcome.objects.get()
    # when
    archive_services.revoke_outcome(outcome, actor=root_admin, reason="证书伪造")
    # then
    assert _events("outcome", outcome.pk) == ["outcome.stored", "outcome.revoked"]
    newest = json.loads(LedgerLeaf.objects.filter(record_id=outcome.pk, record_type="outcome").last().data)
    assert newest["digest"] == digests.current(digests.OUTCOME, outcome.pk)[0]
    _assert_clean()


def test_counter_opening_is_on_the_ledger_and_a_self_registration_once_approved(tree, point_operator, centre_admin):
    # given
    counter = account_services.open_account(actor=point_operator, org=tree.a_point, **identity_data())
    waiting = make_learner(tree.a_point, status="pending", channel="self", password=None)
    # then
    assert _events("learner", counter.pk) == ["account.opened"]
    assert _events("learner", waiting.pk) == []
    # when the centre approves the self-registration
    account_services.approve_opening(waiting, actor=centre_admin)
    assert _events("learner", waiting.pk) == ["account.opened"]
    _assert_clean()


def test_the_demo_data_is_on_the_ledger_and_signed(db):
    from creditbank import demo
    from creditbank.ledger import selectors

    demo.load_demo(learners=8)
    checkpoint = selectors.latest_checkpoint()
    assert checkpoint is not None
    assert checkpoint.size == LedgerLeaf.objects.count()
    assert LedgerLeaf.objects.filter(record_type="outcome").count() == Outcome.objects.count()
    _assert_clean()
