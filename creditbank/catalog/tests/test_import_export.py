import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services, transfer
from creditbank.catalog.models import CatalogItem, Issuer
from creditbank.catalog.tests.factories import make_item

pytestmark = pytest.mark.django_db

HEADER = "成果编码,成果名称,成果类型,颁发机构编码,颁发机构名称,等级,学分,学时,有效期（年）\n"


def _run(*args):
    out = io.StringIO()
    try:
        call_command("import-catalog", *[str(arg) for arg in args], stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    text = out.getvalue()
    return code, text, json.loads(text.strip().splitlines()[-1]) if "--json" in args else None


def _csv(tmp_path, body, name="catalog.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8-sig")
    return path


def _state():
    return (
        list(CatalogItem.objects.order_by("pk").values_list("code", "version", "status", "is_current", "credits")),
        Issuer.objects.count(),
    )


def test_import_publishes_new_items_creates_unknown_issuers_and_applies_the_credit_rule(tmp_path):
    # given
    path = _csv(
        tmp_path,
        "C001,计算机应用基础,学历教育课程,AHU,安徽大学,5,,48,\n"
        "X001,Web前端开发（初级）,1+X证书,MIIT-EEC,工业和信息化部教育与考试中心,4,,,3\n",
    )
    # when
    code, _, summary = _run(path, "--json")
    # then
    assert code == 0
    assert {k: summary[k] for k in ("rows", "imported", "updated", "duplicates", "errors")} == {
        "rows": 2,
        "imported": 2,
        "updated": 0,
        "duplicates": 0,
        "errors": 0,
    }
    assert set(summary) == {"rows", "imported", "updated", "duplicates", "errors", "seconds"}
    course = CatalogItem.objects.get(code="C001")
    certificate = CatalogItem.objects.get(code="X001")
    assert (course.status, course.credits, course.learning_hours, course.level.number) == (
        "published",
        Decimal("3.0"),
        48,
        5,
    )
    assert (certificate.credits, certificate.validity_years, certificate.issuer.name) == (
        Decimal("4.0"),
        3,
        "工业和信息化部教育与考试中心",
    )
    assert Issuer.objects.count() == 2
    assert AuditEntry.objects.filter(action="catalog.import").count() == 1


def test_same_content_is_a_duplicate_and_changed_content_a_new_version(tmp_path):
    # given
    _run(
        _csv(
            tmp_path,
            "C001,计算机应用基础,degree_course,AHU,安徽大学,5,3,48,\nC002,会计基础,学历教育课程,AHU,安徽大学,5,2,32,\n",
        )
    )
    # when the same rows come again, one with changed credits
    changed = _csv(
        tmp_path,
        "C001,计算机应用基础,学历教育课程,AHU,安徽大学,5,3,48,\nC002,会计基础,学历教育课程,AHU,,5,2.5,40,\n",
        "b.csv",
    )
    code, _, summary = _run(changed, "--json")
    # then
    assert code == 0
    assert (summary["rows"], summary["imported"], summary["updated"], summary["duplicates"]) == (2, 0, 1, 1)
    versions = list(
        CatalogItem.objects.filter(code="C002").order_by("version").values_list("version", "is_current", "credits")
    )
    assert versions == [(1, False, Decimal("2.0")), (2, True, Decimal("2.5"))]


def test_bad_rows_are_reported_and_the_good_ones_stored(tmp_path):
    # given
    path = _csv(
        tmp_path,
        "C001,计算机应用基础,学历教育课程,AHU,安徽大学,5,3,48,\n"
        "C002,坏类型,学位证书,AHU,安徽大学,5,3,48,\n"
        "C003,负学分,学历教育课程,AHU,安徽大学,5,-1,48,\n"
        "C004,新机构课程,学历教育课程,NEWORG,,5,1,16,\n",
    )
    # when
    code, text, _ = _run(path)
    # then
    assert code == 1
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("第 3 行：成果类型：")
    assert lines[1].startswith("第 4 行：学分：")
    assert lines[2].startswith("第 5 行：颁发机构名称：")
    assert list(CatalogItem.objects.values_list("code", flat=True)) == ["C001"]
    assert Issuer.objects.count() == 1


def test_strict_and_dry_run_store_nothing(tmp_path):
    # given
    make_item(code="OLD-1")
    before = _state()
    bad = _csv(
        tmp_path,
        "C001,计算机应用基础,学历教育课程,AHU,安徽大学,5,3,48,\nC002,负学分,学历教育课程,AHU,安徽大学,5,-1,48,\n",
    )
    good = _csv(tmp_path, "C001,计算机应用基础,学历教育课程,NEW,新机构,5,3,48,\n", "good.csv")
    # when
    strict_code, _, strict = _run(bad, "--strict", "--json")
    dry_code, _, dry = _run(good, "--dry-run", "--json")
    # then
    assert (strict_code, strict["errors"], strict["imported"]) == (1, 1, 0)
    assert (dry_code, dry["imported"], dry["errors"]) == (0, 1, 0)
    assert _state() == before


def test_draft_option_and_retired_codes(tmp_path, tree, root_admin):
    # given a retired item
    retired = make_item(code="RET-1")
    services.retire_item(retired, actor=root_admin)
    path = _csv(
        tmp_path,
        "C001,计算机应用基础,学历教育课程,AHU,安徽大学,5,3,48,\nRET-1,旧课程,学历教育课程,AHU,安徽大学,5,1,16,\n",
    )
    # when
    code, _, summary = _run(path, "--draft", "--json")
    # then
    assert (code, summary["imported"], summary["errors"]) == (1, 1, 1)
    assert CatalogItem.objects.get(code="C001").status == "draft"
    assert list(CatalogItem.objects.filter(code="RET-1").values_list("status", "version")) == [("retired", 1)]


def test_english_headers_and_xlsx_are_read(tmp_path):
    # given
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "type", "issuer_code", "issuer_name", "level", "credits", "hours", "validity_years"])
    sheet.append(["M001", "Python 程序设计", "在线课程", "AHU", "安徽大学", 5, None, 32, None])
    path = tmp_path / "catalog.xlsx"
    workbook.save(path)
    # when
    code, _, summary = _run(path, "--json")
    # then
    assert (code, summary["imported"]) == (0, 1)
    assert CatalogItem.objects.get(code="M001").credits == Decimal("2.0")


def test_a_file_without_required_columns_is_refused_and_bad_usage_exits_2(tmp_path):
    path = _csv(tmp_path, "C001,x\n", header="成果编码,备注\n")
    code, _, summary = _run(path, "--json")
    assert code == 1
    assert summary["rows"] == 0
    assert "error" in summary
    missing, _, _ = _run(tmp_path / "missing.csv")
    assert missing == 2
    assert CatalogItem.objects.count() == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_catalog(tmp_path, tree, root_admin, fmt):
    # given a catalog with several types, a new version, a draft and a retired item
    first = make_item(code="A-1", name="=SUM(1)课程", credits=Decimal("2"))
    services.update_item(
        first,
        services.ItemData("A-1", "数据结构", "degree_course", "AHU", level=6, credits="4", hours=64),
        actor=root_admin,
    )
    make_item(
        code="B-1",
        type="1+X证书",
        credits=None,
        hours=None,
        level=5,
        issuer_code="MIIT",
        issuer_name="工信部教考中心",
        validity_years=3,
    )
    make_item(code="C-1", type="competition_award", credits=Decimal("1.5"), hours=None, level=None)
    make_item(code="D-1", name="=危险", type="mooc", credits=None, hours=20)
    make_item(code="DRAFT-1", publish=False)
    services.retire_item(make_item(code="R-1"), actor=root_admin)
    rows = list(transfer.export_rows())
    data = transfer.export_csv() if fmt == "csv" else transfer.export_xlsx()
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(data)
    before = _state()
    # when
    code, _, summary = _run(path, "--json")
    # then every exported item is a duplicate and nothing changed
    assert (code, summary["rows"], summary["duplicates"], summary["imported"], summary["updated"]) == (0, 4, 4, 0, 0)
    assert _state() == before
    # and into an empty catalog the import rebuilds the same export
    CatalogItem.objects.all().delete()
    code, _, summary = _run(path, "--json")
    assert (code, summary["imported"]) == (0, 4)
    assert [[str(v) for v in row] for row in transfer.export_rows()] == [[str(v) for v in row] for row in rows]


def test_csv_export_has_a_bom_and_neutralises_formulas(tree):
    make_item(code="F-1", name="=HYPERLINK(1)")
    text = transfer.export_csv().decode("utf-8")
    assert text.startswith("\ufeff成果编码,成果名称")
    assert "'=HYPERLINK(1)" in text


def test_an_import_says_nothing_about_another_centres_draft(tree, centre_admin, other_admin):
    from creditbank.catalog import services, transfer
    from creditbank.catalog.tests.factories import item_data

    services.create_item(item_data(code="A-DRAFT", name="甲中心草稿"), actor=centre_admin, publish=False)
    same = "code,name,type,issuer_code,issuer_name,level,credits,hours\nA-DRAFT,甲中心草稿,degree_course,AHU,安徽大学,5,3,48\n"
    errors = []
    outcome = transfer.run_catalog_import(
        io.BytesIO(same.encode()),
        filename="c.csv",
        draft=True,
        dry_run=True,
        actor=other_admin,
        on_row_error=errors.append,
    )
    assert (outcome.duplicates, outcome.errors) == (0, 1)
    assert errors[0].errors[0]["code"] == "catalog_duplicate_code"
