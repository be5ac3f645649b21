import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.archive.tests.factories import make_outcome
from creditbank.ledger import digests
from creditbank.ledger import verification as ledger_verification
from creditbank.recognition import exports, services
from creditbank.recognition.tests.helpers import PARTNER_HEADER, items, make_standard, write_xlsx

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def standard(tree):
    items("R-1", "R-2")
    return make_standard(mappings={"SH-001": ("程序设计", "R-1"), "SH-002": ("数据库技术", "R-2")})


def test_partner_file_with_messy_rows_stores_the_good_ones_and_reports_the_rest(
    tmp_path, standard, learner_a, learner_b
):
    # given: a blank line, full-width digits, a bad date, an unknown ID number, an unmapped code
    rows = [
        [learner_a.id_number, learner_a.name, "SH-001", "程序设计", "90", "2024-05-17", "SH2024001"],
        [],
        [
            learner_b.id_number.translate(FULL_WIDTH),
            learner_b.name,
            "ｓｈ－００２",
            "",
            "良好",
            "２０２４年５月１７日",
            "",
        ],
        [learner_a.id_number, learner_a.name, "SH-002", "数据库技术", "88", "2024-13-40", ""],
        ["110101199003077777", "张三", "SH-001", "程序设计", "90", "2024-05-17", ""],
        [learner_a.id_number, learner_a.name, "SH-404", "没有对照", "90", "2024-05-17", ""],
        [learner_a.id_number, learner_a.name, "SH-001", "程序设计", "90", "2024-05-17", "SH2024001"],
    ]
    path = write_xlsx(tmp_path / "partner.xlsx", PARTNER_HEADER, rows)
    # when
    result = services.import_partner_xlsx(path, standard=standard, actor=None, filename=path.name)
    # then
    assert (result.rows, result.imported, result.duplicates, result.errors, result.unmapped) == (6, 2, 1, 3, 1)
    codes = {sample["line"]: [error["code"] for error in sample["errors"]] for sample in result.error_sample}
    assert codes == {5: ["date_impossible"], 6: ["learner_not_found"], 7: ["unmapped_achievement"]}
    stored = dict(Outcome.objects.values_list("learner_id", "item_code"))
    assert stored == {learner_a.pk: "R-1", learner_b.pk: "R-2"}
    assert set(Outcome.objects.values_list("source", "source_region")) == {("mutual_recognition", "310000")}
    assert Outcome.objects.get(learner=learner_b).achieved_on == dt.date(2024, 5, 17)
    assert ledger_verification.verify_ledger().ok is True


def test_partner_file_queries_do_not_grow_with_rows(tmp_path, standard, learner_a, django_assert_max_num_queries):
    def rows(count):
        day = dt.date(2020, 1, 1)
        return [
            [learner_a.id_number, learner_a.name, "SH-001", "", "90", (day + dt.timedelta(days=n)).isoformat(), ""]
            for n in range(count)
        ]

    small = write_xlsx(tmp_path / "small.xlsx", PARTNER_HEADER, rows(5))
    big = write_xlsx(tmp_path / "big.xlsx", PARTNER_HEADER, rows(200))
    with django_assert_max_num_queries(40) as small_queries:
        services.import_partner_xlsx(small, standard=standard, actor=None, filename="small.xlsx", dry_run=True)
    with django_assert_max_num_queries(len(small_queries.captured_queries)):
        services.import_partner_xlsx(big, standard=standard, actor=None, filename="big.xlsx", dry_run=True)


def test_cli_summary_json_and_exit_codes(tmp_path, standard, learner_a, capsys):
    # given
    path = write_xlsx(
        tmp_path / "partner.xlsx",
        PARTNER_HEADER,
        [
            [learner_a.id_number, learner_a.name, "SH-001", "", "90", "2024-05-17", ""],
            [learner_a.id_number, learner_a.name, "SH-404", "", "90", "2024-05-17", ""],
        ],
    )
    # when
    with pytest.raises(CommandError) as raised:
        call_command("import-recognised", str(path), "--standard", standard.code, "--json")
    # then
    assert raised.value.returncode == 1
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {key: summary[key] for key in ("rows", "imported", "duplicates", "errors", "unmapped", "region")} == {
        "rows": 2,
        "imported": 1,
        "duplicates": 0,
        "errors": 1,
        "unmapped": 1,
        "region": "310000",
    }
    with pytest.raises(CommandError) as usage:
        call_command("import-recognised", str(path), "--standard", "NO-SUCH", "--json")
    assert usage.value.returncode == 2


def test_export_then_import_under_the_standard_gives_the_same_codes(tmp_path, standard, learner_a):
    # given: two certified outcomes of ours that the standard maps, one it does not, one from a partner
    for code, number in (("R-1", "A-1"), ("R-2", "A-2")):
        make_outcome(learner=learner_a, item=_item(code), status=OutcomeStatus.CERTIFIED, certificate_no=number)
    make_outcome(learner=learner_a, status=OutcomeStatus.CERTIFIED)
    make_outcome(
        learner=learner_a,
        item=_item("R-1"),
        status=OutcomeStatus.CERTIFIED,
        source_region="320000",
        certificate_no="J-1",
    )
    out = tmp_path / "export.xlsx"
    # when
    result = exports.export_partner_xlsx(standard=standard, out=out)
    # then: the partner's codes, and importing the file back maps onto exactly the same outcomes
    sheet = load_workbook(out).active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == PARTNER_HEADER
    assert sorted(row[2] for row in lines[1:]) == ["SH-001", "SH-002"]
    assert result["rows"] == 2
    back = services.import_partner_xlsx(out, standard=standard, actor=None, filename=out.name, dry_run=True)
    assert (back.rows, back.duplicates, back.errors, back.imported) == (2, 2, 0, 0)


def _item(code):
    from creditbank.catalog.models import CatalogItem

    return CatalogItem.objects.get(code=code, is_current=True)


def test_digest_is_unchanged_for_old_outcomes_and_changes_with_source_region(tree, learner_a):
    # given: an outcome of ours, as every leaf before mutual recognition digested it
    outcome = make_outcome(learner=learner_a)
    row = Outcome.objects.filter(pk=outcome.pk).values(*digests.OUTCOME_FIELDS).get()
    before_feature = digests.digest({name: digests.plain(row[name]) for name in digests.OUTCOME_FIELDS})
    # then
    assert digests.current(digests.OUTCOME, outcome.pk)[0] == before_feature
    # when the region is set
    Outcome.objects.filter(pk=outcome.pk).update(source_region="310000")
    # then the digest changes
    assert digests.current(digests.OUTCOME, outcome.pk)[0] != before_feature


def test_staff_without_import_rights_on_the_depositing_org_store_nothing(tmp_path, standard, learner_a, centre_admin):
    path = write_xlsx(
        tmp_path / "partner.xlsx",
        PARTNER_HEADER,
        [[learner_a.id_number, learner_a.name, "SH-001", "", "90", "2024-05-17", ""]],
    )
    with pytest.raises(services.Forbidden) as refused:
        services.import_partner_xlsx(path, standard=standard, actor=centre_admin, filename=path.name)
    assert refused.value.code == "role_cannot_archive_import"
    assert Outcome.objects.exists() is False


def test_the_export_command_writes_the_file_and_its_json_summary(tmp_path, standard, learner_a, capsys):
    make_outcome(learner=learner_a, item=_item("R-1"), status=OutcomeStatus.CERTIFIED, certificate_no="A-1")
    out = tmp_path / "ours.xlsx"
    call_command("export-recognised", "--standard", standard.code, "--out", str(out), "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["rows"], Path(summary["file"]).name) == (1, "ours.xlsx")
    lines = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [row[2] for row in lines[1:]] == ["SH-001"]
    # only one learner's, by account number; bad usage exits 2
    call_command("export-recognised", "--standard", standard.code, "--out", str(out), "--learner", learner_a.account_no)
    for bad in (["--learner", "999999999999"], ["--out", str(tmp_path / "missing" / "x.xlsx")]):
        arguments = ["export-recognised", "--standard", standard.code, "--out", str(out), *bad]
        with pytest.raises(CommandError) as usage:
            call_command(*arguments)
        assert usage.value.returncode == 2
