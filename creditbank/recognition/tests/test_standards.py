import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from creditbank.catalog import services as catalog_services
from creditbank.recognition import standards
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard
from creditbank.recognition.tests.helpers import STANDARD_HEADER, items, write_xlsx

pytestmark = pytest.mark.django_db

ROW = ["CSJ-HR-T", "长三角测试标准", "310000", "上海终身教育学分银行"]


def test_good_rows_create_a_published_standard_with_its_mappings(tmp_path):
    # given
    items("R-1", "R-2")
    path = write_xlsx(
        tmp_path / "standard.xlsx",
        STANDARD_HEADER,
        [
            [*ROW, "SH-001", "程序设计", "R-1", ""],
            [*ROW, "sh-002", "数据库", "R-2", "备注"],
            [*ROW, "SH-001", "程序设计", "R-1", ""],
        ],
    )
    # when
    result = standards.run_standard_import(path, filename=path.name)
    # then
    assert (result.rows, result.imported, result.duplicates, result.errors) == (3, 2, 1, 0)
    standard = RecognitionStandard.objects.get(code="CSJ-HR-T")
    assert (standard.status, standard.region_code, standard.partner_name) == (
        "published",
        "310000",
        "上海终身教育学分银行",
    )
    assert dict(RecognitionMapping.objects.values_list("partner_code", "item_code")) == {
        "SH-001": "R-1",
        "SH-002": "R-2",
    }
    # and a second import of the same file is all duplicates
    again = standards.run_standard_import(path, filename=path.name)
    assert (again.imported, again.duplicates, again.errors) == (0, 3, 0)


def test_unknown_retired_item_and_bad_region_are_row_errors(tmp_path):
    # given
    found = items("R-1", "R-OLD")
    catalog_services.retire_item(found["R-OLD"], actor=None)
    path = write_xlsx(
        tmp_path / "standard.xlsx",
        STANDARD_HEADER,
        [
            [*ROW, "SH-001", "程序设计", "R-1", ""],
            [*ROW, "SH-002", "旧课程", "R-OLD", ""],
            [*ROW, "SH-003", "不存在", "NOPE", ""],
            ["CSJ-HR-X", "错地区", "999999", "某机构", "SH-004", "某课", "R-1", ""],
            ["CSJ-HR-Y", "错地区", "3100", "某机构", "SH-005", "某课", "R-1", ""],
        ],
    )
    # when
    result = standards.run_standard_import(path, filename=path.name)
    # then
    codes = {sample["line"]: [error["code"] for error in sample["errors"]] for sample in result.error_sample}
    assert codes == {3: ["item_retired"], 4: ["item_unknown"], 5: ["region_unknown"], 6: ["region_format"]}
    assert (result.rows, result.imported, result.errors) == (5, 1, 4)
    assert list(RecognitionStandard.objects.values_list("code", flat=True)) == ["CSJ-HR-T"]


def test_strict_stores_nothing_and_the_command_reports_json(tmp_path, capsys):
    # given
    items("R-1")
    path = write_xlsx(
        tmp_path / "standard.xlsx",
        STANDARD_HEADER,
        [[*ROW, "SH-001", "程序设计", "R-1", ""], [*ROW, "SH-9", "x", "NOPE", ""]],
    )
    # when
    with pytest.raises(CommandError) as raised:
        call_command("import-recognition-standard", str(path), "--json", "--strict")
    # then
    assert raised.value.returncode == 1
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {key: summary[key] for key in ("rows", "imported", "duplicates", "errors")} == {
        "rows": 2,
        "imported": 0,
        "duplicates": 0,
        "errors": 1,
    }
    assert RecognitionStandard.objects.exists() is False


def test_a_good_file_exits_zero(tmp_path, capsys):
    items("R-1")
    path = write_xlsx(tmp_path / "standard.xlsx", STANDARD_HEADER, [[*ROW, "SH-001", "程序设计", "R-1", ""]])
    call_command("import-recognition-standard", str(path), "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["imported"], summary["errors"], summary["standards"]) == (1, 0, ["CSJ-HR-T"])
