"""Bulk deposit of outcomes (issue 4): every column rule, every bad input, idempotency, one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from creditbank.accounts.choices import LearnerStatus, OpeningChannel
from creditbank.accounts.models import Learner
from creditbank.accounts.tests.factories import make_learner
from creditbank.archive.models import Outcome
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog import services as catalog_services
from creditbank.catalog.tests.factories import make_item
from creditbank.core.errors import Forbidden
from creditbank.imports import outcome_writers, outcomes, progress, writers
from creditbank.imports.readers import FileRefused
from creditbank.imports.tests.helpers import OUTCOME_HEADER, new_person, outcome_row, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(tree):
    published = make_item(credits=Decimal("3"), hours=48)
    other = make_item(credits=Decimal("2"), hours=None)
    draft = make_item(publish=False)
    retired = make_item()
    catalog_services.retire_item(retired, actor=None)
    return SimpleNamespace(published=published, other=other, draft=draft, retired=retired)


@pytest.fixture
def learner(tree):
    return make_learner(tree.a_point)


def _errors_by_line(result):
    return {error["line"]: [item["code"] for item in error["errors"]] for error in result.error_sample}


def _import(path, org, **options):
    return outcomes.run_outcome_import(path, org=org, **options)


# --- storing ----------------------------------------------------------------------------------


def test_stores_each_valid_row_with_the_item_version_and_its_defaults(tmp_path, tree, items, learner):
    # given
    rows = [
        outcome_row(learner, items.published, score="优秀", certificate_no=" ah 2024-001 "),
        outcome_row(learner, items.other, score="92.50", achieved_on="2023/9/1", hours="30", credits="1.5"),
    ]
    path = write_csv(tmp_path / "outcomes.csv", rows, header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.b)
    # then
    assert (result.rows, result.imported, result.duplicates, result.errors) == (2, 2, 0, 0)
    stored = {outcome.item_code: outcome for outcome in Outcome.objects.all()}
    first, second = stored[items.published.code], stored[items.other.code]
    assert (first.learner_id, first.item_id, first.org_id, first.org_path) == (
        learner.pk,
        items.published.pk,
        tree.b.pk,
        tree.b.path,
    )
    assert (first.source, first.status, first.score, first.certificate_no) == ("bulk", "stored", "优秀", "AH2024-001")
    assert (first.achieved_on, first.hours, first.credits) == (dt.date(2024, 5, 17), 48, Decimal("3.0"))
    assert first.natural_key == f"{items.published.code}|c:AH2024-001"
    assert (second.score, second.hours, second.credits) == ("92.5", 30, Decimal("1.5"))
    assert second.natural_key == f"{items.other.code}|d:2023-09-01"
    entry = AuditEntry.objects.get(action="imports.outcomes")
    assert entry.after["imported"] == 2
    assert entry.after["org"] == "B"


def test_a_learner_pending_activation_counts(tmp_path, tree, items):
    # given
    pending = make_learner(tree.a, status=LearnerStatus.PENDING, password=None)
    path = write_csv(tmp_path / "pending.csv", [outcome_row(pending, items.published)], header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.a)
    # then
    assert result.imported == 1
    assert Outcome.objects.get().learner == pending


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_reads_csv_in_every_encoding(tmp_path, tree, items, learner, encoding):
    path = write_csv(
        tmp_path / "o.csv", [outcome_row(learner, items.published)], header=OUTCOME_HEADER, encoding=encoding
    )
    result = _import(path, tree.a)
    assert (result.imported, result.errors) == (1, 0)


def test_english_headers_are_accepted(tmp_path, tree, items, learner):
    header = ["id_number", "name", "item_code", "score", "achieved_on", "certificate_no", "hours", "credits"]
    path = write_csv(tmp_path / "en.csv", [outcome_row(learner, items.published)], header=header)
    assert _import(path, tree.a).imported == 1


def test_xlsx_with_date_cells_excel_serials_and_number_cells(tmp_path, tree, items, learner):
    # given: a date cell, a datetime cell, a cell that lost its date format (a serial), numbers
    rows = [
        [learner.id_number, learner.name, items.published.code, 86, dt.date(2024, 5, 17), "", 48, 3],
        [learner.id_number, learner.name, items.other.code, 90.5, dt.datetime(2023, 9, 1, 10, 30), "", "", ""],  # noqa: DTZ001 - cells have no zone
        [learner.id_number, learner.name, items.other.code, "良好", 45429, "C-1", "", 2.5],
    ]
    path = write_xlsx(tmp_path / "o.xlsx", rows, header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.a)
    # then
    assert (result.imported, result.errors) == (3, 0)
    assert sorted(Outcome.objects.values_list("achieved_on", "score", "credits")) == [
        (dt.date(2023, 9, 1), "90.5", Decimal("2.0")),
        (dt.date(2024, 5, 17), "86", Decimal("3.0")),
        (dt.date(2024, 5, 17), "良好", Decimal("2.5")),
    ]


def test_names_match_after_full_width_and_spaces_are_normalised(tmp_path, tree, items):
    # given
    learner = make_learner(tree.a, name="欧阳 娜娜")
    path = write_csv(
        tmp_path / "o.csv", [outcome_row(learner, items.published, name="　欧阳娜娜 ")], header=OUTCOME_HEADER
    )
    # when / then
    assert _import(path, tree.a).imported == 1


# --- bad input --------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_reason_and_the_good_ones_stored(tmp_path, tree, items, learner):
    # given
    stranger = new_person()
    rows = [
        outcome_row(learner, items.published),  # line 2: good
        outcome_row(learner, "NO-SUCH-ITEM"),  # 3
        outcome_row(learner, items.draft),  # 4
        outcome_row(learner, items.retired),  # 5
        outcome_row(learner, items.other, name="李四"),  # 6
        outcome_row(learner, items.other, achieved_on="2024-02-30"),  # 7
        outcome_row(learner, items.other, score="八十六"),  # 8
        outcome_row(learner, items.other, score="=1+2"),  # 9
        [stranger["id_number"], stranger["name"], items.published.code, "86", "2024-05-17", "", "", ""],  # 10
        [stranger["id_number"][:-1] + "0", stranger["name"], items.published.code, "86", "2024-05-17", "", "", ""],
        outcome_row(learner, items.other, achieved_on="2099-01-01", score="不及格"),  # 12
        outcome_row(learner, items.other, achieved_on="", hours="x", credits="-1"),  # 13
    ]
    if rows[9][0] == stranger["id_number"]:
        rows[9][0] = stranger["id_number"][:-1] + "1"
    path = write_csv(tmp_path / "bad.csv", rows, header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.a)
    # then
    assert (result.rows, result.imported, result.duplicates, result.errors) == (12, 1, 0, 11)
    assert _errors_by_line(result) == {
        3: ["item_unknown"],
        4: ["item_not_published"],
        5: ["item_retired"],
        6: ["name_mismatch"],
        7: ["date_impossible"],
        8: ["score_format"],
        9: ["formula_cell"],
        10: ["learner_not_found"],
        11: ["id_number_checksum"],
        12: ["score_failing", "date_in_future"],
        13: ["date_required", "hours_format", "credits_format"],
    }
    assert Outcome.objects.count() == 1
    reasons = {error["line"]: error["reasons"] for error in result.error_sample}
    assert reasons[3][0].startswith("成果编码：")  # the column's header names the field
    assert "NO-SUCH-ITEM" in reasons[3][0]


def test_a_closed_account_receives_no_outcome(tmp_path, tree, items):
    closed = make_learner(tree.a, status=LearnerStatus.CLOSED, password=None)
    path = write_csv(tmp_path / "o.csv", [outcome_row(closed, items.published)], header=OUTCOME_HEADER)
    result = _import(path, tree.a)
    assert (result.imported, _errors_by_line(result)) == (0, {2: ["learner_not_found"]})


def test_a_formula_in_an_xlsx_cell_is_never_evaluated(tmp_path, tree, items, learner):
    # given: openpyxl writes the formula without a cached value, as a file never opened in Excel
    rows = [[learner.id_number, learner.name, items.published.code, "=50+36", "=TODAY()", "", "", ""]]
    path = write_xlsx(tmp_path / "formula.xlsx", rows, header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.a)
    # then: the date is missing (its formula was not run), nothing is stored
    assert (result.imported, _errors_by_line(result)) == (0, {2: ["date_required"]})


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("latin1.csv", "证件号码,姓名\n".encode() + b"\xff\xfe\x80\x81\n", "encoding_unknown"),
        ("garbage.csv", bytes(range(256)) * 40, "not_a_spreadsheet"),
        ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "not_a_spreadsheet"),
        ("fake.xlsx", "证件号码,姓名\n".encode(), "not_a_spreadsheet"),
        ("outcomes.pdf", b"%PDF-1.4", "file_type_unsupported"),
        ("missing.csv", "证件号码,姓名,成果编码\n1,2,3\n".encode(), "missing_columns"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path, tree, items, filename, content, code):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(FileRefused) as refused:
        _import(path, tree.a)
    assert refused.value.code == code
    assert Outcome.objects.count() == 0


def test_missing_columns_are_named(tmp_path, tree):
    path = write_csv(tmp_path / "o.csv", [], header=["证件号码", "姓名", "成果编码", "成绩"])
    with pytest.raises(FileRefused) as refused:
        _import(path, tree.a)
    assert [detail["field"] for detail in refused.value.details] == ["achieved_on", "certificate_no"]


# --- duplicates -------------------------------------------------------------------------------


def test_importing_the_same_file_again_stores_nothing(tmp_path, tree, items, learner):
    # given
    other = make_learner(tree.b)
    rows = [
        outcome_row(learner, items.published, certificate_no="X-1"),
        outcome_row(learner, items.other),
        outcome_row(other, items.published),
    ]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    first = _import(path, tree.a)
    # when
    again = _import(path, tree.a)
    # then
    assert (first.imported, first.duplicates) == (3, 0)
    assert (again.rows, again.imported, again.duplicates, again.errors) == (3, 0, 3, 0)
    assert Outcome.objects.count() == 3


def test_rows_repeated_in_the_file_are_duplicates_across_batches(tmp_path, tree, items, learner, monkeypatch):
    # given: batches of two rows; a certificate number repeated in other spelling, a dated row repeated
    monkeypatch.setattr(outcomes, "BATCH_ROWS", 2)
    rows = [
        outcome_row(learner, items.published, certificate_no="ab-1"),
        outcome_row(learner, items.other, achieved_on="2024-05-17"),
        outcome_row(learner, items.published, certificate_no="AB-2"),
        outcome_row(learner, items.published, certificate_no=" AB-1", achieved_on="2020-01-01"),
        outcome_row(learner, items.other, achieved_on="2024年5月17日", score="90"),
    ]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.a)
    # then
    assert (result.rows, result.imported, result.duplicates, result.errors) == (5, 3, 2, 0)
    assert Outcome.objects.count() == 3


def test_an_outcome_stored_another_way_is_a_duplicate(tmp_path, tree, items, learner):
    make_outcome(learner=learner, item=items.published, achieved_on=dt.date(2024, 5, 17), source="self")
    path = write_csv(tmp_path / "o.csv", [outcome_row(learner, items.published)], header=OUTCOME_HEADER)
    result = _import(path, tree.a)
    assert (result.imported, result.duplicates) == (0, 1)


def test_a_new_version_of_the_item_does_not_let_the_outcome_in_twice(tmp_path, tree, items, learner):
    # given
    path = write_csv(tmp_path / "o.csv", [outcome_row(learner, items.published)], header=OUTCOME_HEADER)
    _import(path, tree.a)
    newer = catalog_services.update_item(
        items.published,
        catalog_services.ItemData(
            code=items.published.code,
            name="新版名称",
            type="degree_course",
            issuer_code="AHU",
            issuer_name="安徽大学",
            level=5,
            credits=Decimal("4"),
            hours=48,
        ),
        actor=None,
    )
    # when
    again = _import(path, tree.a)
    # then
    assert newer.version == 2
    assert (again.imported, again.duplicates) == (0, 1)


# --- modes ------------------------------------------------------------------------------------


def test_strict_stores_nothing_when_any_row_is_bad(tmp_path, tree, items, learner):
    rows = [outcome_row(learner, items.published), outcome_row(learner, "NOPE")]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    result = _import(path, tree.a, strict=True)
    assert (result.rows, result.imported, result.errors) == (2, 0, 1)
    assert Outcome.objects.count() == 0
    assert AuditEntry.objects.filter(action="imports.outcomes").count() == 0


def test_dry_run_counts_and_stores_nothing(tmp_path, tree, items, learner):
    rows = [outcome_row(learner, items.published), outcome_row(learner, items.published), outcome_row(learner, "NO")]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    result = _import(path, tree.a, dry_run=True)
    assert (result.rows, result.imported, result.duplicates, result.errors) == (3, 1, 1, 1)
    assert Outcome.objects.count() == 0


def test_create_learners_opens_pending_accounts_at_the_org(tmp_path, tree, items, learner):
    # given: two rows of one new person, one of another with a phone, one with a bad ID number
    first, second, third = new_person(), new_person(), new_person()
    header = [*OUTCOME_HEADER, "手机号码"]
    rows = [
        [first["id_number"], first["name"], items.published.code, "86", "2024-05-17", "", "", "", ""],
        [first["id_number"], first["name"], items.other.code, "86", "2024-05-17", "", "", "", ""],
        [second["id_number"], second["name"], items.published.code, "86", "2024-05-17", "", "", "", second["phone"]],
        [third["id_number"][:17] + "Z", third["name"], items.published.code, "86", "2024-05-17", "", "", "", ""],
        [*outcome_row(learner, items.published), ""],
    ]
    path = write_csv(tmp_path / "o.csv", rows, header=header)
    # when
    result = _import(path, tree.a_sub, create_learners=True)
    # then
    assert (result.rows, result.imported, result.errors, result.learners_created) == (5, 4, 1, 2)
    opened = Learner.objects.filter(opened_via=OpeningChannel.IMPORT).order_by("pk")
    assert [(item.status, item.org_id, item.phone) for item in opened] == [
        (LearnerStatus.PENDING, tree.a_sub.pk, ""),
        (LearnerStatus.PENDING, tree.a_sub.pk, second["phone"]),
    ]
    assert Outcome.objects.filter(learner__in=opened).count() == 3
    assert _errors_by_line(result) == {5: ["id_number_format"]}


def test_create_learners_in_a_dry_run_opens_nothing(tmp_path, tree, items):
    person = new_person()
    rows = [[person["id_number"], person["name"], items.published.code, "86", "2024-05-17", "", "", ""]] * 2
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    result = _import(path, tree.a, create_learners=True, dry_run=True)
    assert (result.imported, result.duplicates, result.learners_created) == (1, 1, 1)
    assert Learner.objects.count() == 0


# --- one transaction ----------------------------------------------------------------------------


def test_a_failure_part_way_leaves_nothing(tmp_path, tree, items, learner, monkeypatch):
    # given: batches of one row, and the writer failing on the second batch
    monkeypatch.setattr(outcomes, "BATCH_ROWS", 1)
    calls = {"count": 0}
    for cls in (outcome_writers.OrmOutcomeWriter, outcome_writers.CopyOutcomeWriter):
        original = cls.write

        def write(self, rows, _original=original):
            calls["count"] += 1
            if calls["count"] == 2:
                raise RuntimeError("disk full")
            return _original(self, rows)

        monkeypatch.setattr(cls, "write", write)
    rows = [outcome_row(learner, items.published), outcome_row(learner, items.other)]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    # when
    with pytest.raises(RuntimeError):
        _import(path, tree.a, create_learners=True)
    # then
    assert Outcome.objects.count() == 0
    assert AuditEntry.objects.filter(action="imports.outcomes").count() == 0


def test_a_cancel_part_way_rolls_back_everything(tmp_path, tree, items, learner, monkeypatch):
    monkeypatch.setattr(outcomes, "BATCH_ROWS", 1)
    real_publish = progress.publish

    def publish_then_cancel(job_id, **kwargs):
        real_publish(job_id, **kwargs)
        progress.request_cancel(job_id)

    monkeypatch.setattr(progress, "publish", publish_then_cancel)
    rows = [outcome_row(learner, items.published), outcome_row(learner, items.other)]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    with pytest.raises(outcomes.ImportCancelled):
        _import(path, tree.a, job_id=123456)
    assert Outcome.objects.count() == 0


def test_the_actor_needs_archive_import_on_the_org(tmp_path, tree, items, learner, centre_admin, root_auditor):
    path = write_csv(tmp_path / "o.csv", [outcome_row(learner, items.published)], header=OUTCOME_HEADER)
    with pytest.raises(Forbidden):
        _import(path, tree.b, actor=centre_admin)
    with pytest.raises(Forbidden):
        _import(path, tree.mc, actor=root_auditor)
    assert _import(path, tree.a_point, actor=centre_admin).imported == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_that_owns_its_transaction_probes_on_a_second_connection(tmp_path, tree, monkeypatch):
    # given an outcome committed before the import, and batches of two rows
    from django.db import connection

    monkeypatch.setattr(outcomes, "BATCH_ROWS", 2)
    probes = []
    real_create = writers.connections.create_connection
    monkeypatch.setattr(
        writers.connections, "create_connection", lambda alias: probes.append(alias) or real_create(alias)
    )
    item, other = make_item(), make_item()
    learner, fresh = make_learner(tree.a), make_learner(tree.b)
    make_outcome(learner=learner, item=item, achieved_on=dt.date(2024, 5, 17))
    rows = [
        outcome_row(learner, item),  # stored before: duplicate
        outcome_row(learner, other),
        outcome_row(fresh, item),
        outcome_row(learner, other),  # repeated in the file: duplicate
        outcome_row(fresh, other, certificate_no="Z9"),
    ]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    # when
    result = outcomes.run_outcome_import(path, org=tree.a)
    # then
    assert (result.rows, result.imported, result.duplicates, result.errors) == (5, 3, 2, 0)
    assert Outcome.objects.count() == 4
    assert len(probes) == (1 if connection.vendor == "postgresql" else 0)
    again = outcomes.run_outcome_import(path, org=tree.a)
    assert (again.imported, again.duplicates) == (0, 5)


# --- records (institution push) ---------------------------------------------------------------


def test_records_are_checked_like_rows_and_answered_one_by_one(tree, items, learner, root_admin):
    # given
    records = [
        {
            "id_number": learner.id_number,
            "name": learner.name,
            "item_code": items.published.code,
            "score": 86,
            "achieved_on": dt.date(2024, 5, 17),
            "certificate_no": "",
            "external_id": "R-1",
        },
        {
            "id_number": learner.id_number,
            "name": learner.name,
            "item_code": items.other.code,
            "score": "优秀",
            "achieved_on": "2024-05-18",
            "external_id": "R-2",
        },
        {"id_number": learner.id_number, "name": learner.name, "item_code": "NOPE", "achieved_on": "2024-05-18"},
        {
            "id_number": learner.id_number,
            "name": learner.name,
            "item_code": items.published.code,
            "score": 90,
            "achieved_on": "2024-05-17",
            "external_id": "R-1",
        },
    ]
    # when
    first = outcomes.deposit_outcome_records(records, org=tree.b, actor=root_admin)
    again = outcomes.deposit_outcome_records(records[:2], org=tree.b, actor=root_admin)
    # then
    assert [(record.index, record.status) for record in first.records] == [
        (0, "stored"),
        (1, "stored"),
        (2, "error"),
        (3, "duplicate"),
    ]
    stored = Outcome.objects.get(external_id="R-1")
    assert first.records[0].outcome_id == stored.pk
    assert (stored.source, stored.org_id) == ("institution", tree.b.pk)
    assert first.records[2].errors[0]["code"] == "item_unknown"
    assert [record.status for record in again.records] == ["duplicate", "duplicate"]
    assert Outcome.objects.count() == 2


def test_the_template_has_the_header_row_and_an_example(tree):
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(__import__("io").BytesIO(outcomes.outcome_template()))
    rows = list(workbook.get_sheet_by_index(0).iter_rows())
    assert rows[0] == OUTCOME_HEADER
    assert rows[1][2] == outcomes.EXAMPLE_CODE


def test_fingerprint_collisions_never_drop_a_row(tmp_path, tree, items, learner, monkeypatch):
    # given: every (learner, key) gets the same fingerprint, batches of two rows, one true repeat
    monkeypatch.setattr(outcomes, "BATCH_ROWS", 2)
    monkeypatch.setattr(outcomes, "hash", lambda pair: 7, raising=False)
    rows = [
        outcome_row(learner, items.published, achieved_on="2024-01-01"),
        outcome_row(learner, items.published, achieved_on="2024-01-02"),
        outcome_row(learner, items.other, achieved_on="2024-01-01"),
        outcome_row(learner, items.published, achieved_on="2024-01-02"),  # the true repeat
        outcome_row(learner, items.other, achieved_on="2024-01-03"),
    ]
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    # when
    result = _import(path, tree.a)
    # then
    assert (result.rows, result.imported, result.duplicates) == (5, 4, 1)
    assert Outcome.objects.count() == 4


def test_a_backslash_in_a_certificate_number_is_stored_as_written(tmp_path, tree, items, learner):
    path = write_csv(
        tmp_path / "o.csv", [outcome_row(learner, items.published, certificate_no="AH\\2024\\7")], header=OUTCOME_HEADER
    )
    assert _import(path, tree.a).imported == 1
    stored = Outcome.objects.get()
    assert (stored.certificate_no, stored.natural_key) == ("AH\\2024\\7", f"{items.published.code}|c:AH\\2024\\7")
