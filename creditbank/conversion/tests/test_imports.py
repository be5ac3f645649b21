"""``creditbank import-programmes`` and ``import-rules`` with files as offices write them."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services as catalog_services
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion.models import ConversionRule, Course, Programme, RequirementGroup, RuleSource
from creditbank.conversion.tests.factories import make_programme, make_rule
from creditbank.imports.tests.helpers import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

KEYS = ["rows", "imported", "updated", "duplicates", "errors", "seconds"]
PROGRAMME_HEADER = [
    "专业编码",
    "专业名称",
    "层次",
    "院校编码",
    "总学分",
    "转换上限",
    "课程编码",
    "课程名称",
    "学分",
    "课程组",
    "组最低学分",
]
RULE_HEADER = ["规则编号", "专业编码", "来源成果编码", "最低成绩", "有效年限", "目标课程编码", "方式"]


def _run(command, *args):
    out = io.StringIO()
    try:
        call_command(command, *[str(arg) for arg in args], stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def _summary(output):
    summary = json.loads(output.strip().splitlines()[-1])
    return {key: summary[key] for key in KEYS if key != "seconds"}


def _errors(output):
    """The per-row lines printed without --json."""
    return [line for line in output.strip().splitlines() if line.startswith(("第", "Line"))]


# --- programmes ------------------------------------------------------------------------------------


def _programme_rows():
    return [
        ["CS-BK", "计算机科学与技术", "专升本", "B", "80", "0.5", "CS101", "数据结构", "4", "专业必修", ""],
        [" cs-bk ", "计算机科学与技术", "专升本", "b", "８０", "５０％", "CS 102", "操作系统", "３", "专业必修", ""],
        ["CS-BK", "计算机科学与技术", "专升本", "B", "80.0", "50%", "CS201", "Web开发", "2.5", "专业选修", "６"],
        ["CS-BK", "计算机科学与技术", "专升本", "B", "80", "0.50", "CS202", "移动开发", "3", "专业选修", "6"],
        ["ACC-ZK", "大数据与会计", "专科", "", "60", ".4", "AC101", "基础会计", "4", "必修", ""],
    ]


def test_programmes_import_from_gbk_with_full_width_digits_percentages_and_spaces(tmp_path, tree):
    # given
    path = write_csv(tmp_path / "programmes.csv", _programme_rows(), header=PROGRAMME_HEADER, encoding="gbk")
    # when
    code, output = _run("import-programmes", path, "--org", "B", "--json")
    # then
    assert code == 0, output
    assert json.loads(output.strip().splitlines()[-1]).keys() == set(KEYS)
    assert _summary(output) == {"rows": 5, "imported": 5, "updated": 0, "duplicates": 0, "errors": 0}
    programme = Programme.objects.get(code="CS-BK")
    assert (programme.level, programme.org, programme.total_credits, programme.conversion_cap) == (
        "bachelor",
        tree.b,
        Decimal("80.0"),
        Decimal("0.500"),
    )
    assert programme.org_path == tree.b.path
    groups = {g.name: (g.required, g.min_credits) for g in RequirementGroup.objects.filter(programme=programme)}
    assert groups == {"专业必修": (True, None), "专业选修": (False, Decimal("6.0"))}
    courses = dict(Course.objects.filter(programme=programme).values_list("code", "credits"))
    assert courses == {
        "CS101": Decimal("4.0"),
        "CS102": Decimal("3.0"),
        "CS201": Decimal("2.5"),
        "CS202": Decimal("3.0"),
    }
    accounting = Programme.objects.get(code="ACC-ZK")
    assert (accounting.level, accounting.org, accounting.conversion_cap) == ("junior_college", tree.b, Decimal("0.400"))
    assert AuditEntry.objects.filter(action="conversion.import_programmes").count() == 1
    assert AuditEntry.objects.filter(action="conversion.course_create").count() == 5


def test_reimporting_is_all_duplicates_and_a_changed_course_is_updated(tmp_path, tree):
    # given
    rows = _programme_rows()
    path = write_csv(tmp_path / "programmes.csv", rows, header=PROGRAMME_HEADER)
    _run("import-programmes", path, "--org", "B")
    changed = [list(row) for row in rows]
    changed[0][8] = "5"  # CS101 now 5 credits
    changed_path = write_csv(tmp_path / "changed.csv", changed, header=PROGRAMME_HEADER)
    # when
    again_code, again = _run("import-programmes", path, "--org", "B", "--json")
    changed_code, changed_output = _run("import-programmes", changed_path, "--org", "B", "--json")
    # then
    assert (again_code, _summary(again)) == (0, {"rows": 5, "imported": 0, "updated": 0, "duplicates": 5, "errors": 0})
    assert (changed_code, _summary(changed_output)) == (
        0,
        {"rows": 5, "imported": 0, "updated": 1, "duplicates": 4, "errors": 0},
    )
    assert Course.objects.get(code="CS101").credits == Decimal("5.0")


def test_xlsx_numbers_are_read_as_written(tmp_path, tree):
    # given: Excel keeps numbers as floats (80.0, 0.5, 4.0)
    rows = [["CS-BK", "计算机科学与技术", "本科", "B", 80, 0.5, "CS101", "数据结构", 4, "专业必修", None]]
    path = write_xlsx(tmp_path / "programmes.xlsx", rows, header=PROGRAMME_HEADER)
    # when
    code, output = _run("import-programmes", path, "--json")
    # then
    assert (code, _summary(output)) == (0, {"rows": 1, "imported": 1, "updated": 0, "duplicates": 0, "errors": 0})
    assert Programme.objects.get(code="CS-BK").conversion_cap == Decimal("0.500")


def test_bad_programme_rows_are_reported_with_line_and_precise_code(tmp_path, tree):
    # given
    good = ["CS-BK", "计算机科学与技术", "本科", "B", "80", "0.5", "CS101", "数据结构", "4", "专业必修", ""]
    rows = [
        good,
        ["CS-BK", "计算机科学与技术", "本科", "B", "80", "0.6", "CS102", "操作系统", "3", "专业必修", ""],
        ["X1", "某专业", "本科", "B", "80", "1.5", "C1", "课程", "3", "必修", ""],
        ["X2", "某专业", "本科", "B", "80", "150%", "C1", "课程", "3", "必修", ""],
        ["X3", "某专业", "本科", "A", "80", "0.5", "C1", "课程", "3", "必修", ""],
        ["X4", "某专业", "本科", "NOPE", "80", "0.5", "C1", "课程", "3", "必修", ""],
        ["X5", "某专业", "硕士", "B", "80", "0.5", "C1", "课程", "", "必修", ""],
        ["X6", "某专业", "本科", "B", "80", "0", "C1", "课程", "3", "必修", ""],
        ["CS-BK", "计算机科学与技术", "本科", "B", "80", "0.5", "CS101", "数据结构", "5", "专业必修", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows, header=PROGRAMME_HEADER)
    # when
    with translation.override("en"):
        code, output = _run("import-programmes", path)
        json_code, json_output = _run("import-programmes", path, "--json")
    # then
    assert code == 1
    lines = _errors(output)
    assert lines[0] == "Line 3: 专业编码：The programme's name, level, centre, total credits or cap differ from line 2."
    assert lines[1] == (
        "Line 4: 转换上限：The cap is more than 0 and at most 100% of the total credits (0.5 or 50%, not 1.5)."
    )
    assert len(lines) == 8
    assert json_code == 1
    assert _summary(json_output) == {"rows": 9, "imported": 0, "updated": 0, "duplicates": 1, "errors": 8}
    assert list(Course.objects.values_list("code", flat=True)) == ["CS101"]


def test_each_bad_programme_cell_has_its_own_code(tmp_path, tree):
    # given
    rows = [
        ["X1", "某专业", "本科", "B", "80", "1.5", "C1", "课程", "3", "必修", ""],
        ["X3", "某专业", "本科", "A", "80", "0.5", "C1", "课程", "3", "必修", ""],
        ["X4", "某专业", "本科", "NOPE", "80", "0.5", "C1", "课程", "3", "必修", ""],
        ["X5", "某专业", "硕士", "B", "80", "half", "C1", "课程", "", "必修", "x"],
    ]
    path = write_csv(tmp_path / "bad.csv", rows, header=PROGRAMME_HEADER)
    from creditbank.conversion import transfer

    # when
    outcome = transfer.run_programme_import(path, org=tree.mc)
    # then
    codes = [[error["code"] for error in row["errors"]] for row in outcome.error_sample]
    assert codes == [
        ["programme_cap_out_of_range"],
        ["programme_org_not_university"],
        ["programme_org_unknown"],
        ["programme_level_unknown", "programme_cap_format", "conversion_required", "group_min_credits_format"],
    ]


def test_rows_for_a_centre_outside_the_org_are_refused(tmp_path, tree):
    # given
    from creditbank.orgs.tests.factories import make_org

    other = make_org(tree.mc, kind="centre", code="U2", name="合肥学院中心", category="university")
    rows = [["X1", "某专业", "本科", "U2", "80", "0.5", "C1", "课程", "3", "必修", ""]]
    path = write_csv(tmp_path / "other.csv", rows, header=PROGRAMME_HEADER)
    from creditbank.conversion import transfer

    # when
    outcome = transfer.run_programme_import(path, org=tree.b)
    # then
    assert outcome.errors == 1
    assert outcome.error_sample[0]["errors"][0]["code"] == "programme_org_out_of_scope"
    assert Programme.objects.filter(org=other).exists() is False


def test_strict_and_dry_run_store_nothing(tmp_path, tree):
    # given
    rows = [*_programme_rows(), ["X1", "某专业", "本科", "B", "80", "2", "C1", "课程", "3", "必修", ""]]
    path = write_csv(tmp_path / "programmes.csv", rows, header=PROGRAMME_HEADER)
    good = write_csv(tmp_path / "good.csv", _programme_rows(), header=PROGRAMME_HEADER)
    # when
    strict_code, strict = _run("import-programmes", path, "--org", "B", "--strict", "--json")
    dry_code, dry = _run("import-programmes", good, "--org", "B", "--dry-run", "--json")
    # then
    assert (strict_code, _summary(strict)) == (
        1,
        {"rows": 6, "imported": 0, "updated": 0, "duplicates": 0, "errors": 1},
    )
    assert (dry_code, _summary(dry)) == (0, {"rows": 5, "imported": 5, "updated": 0, "duplicates": 0, "errors": 0})
    assert Programme.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="conversion.").count() == 0


def test_a_file_without_a_required_column_is_refused_whole(tmp_path, tree):
    # given
    header = [name for name in PROGRAMME_HEADER if name != "转换上限"]
    path = write_csv(
        tmp_path / "missing.csv", [["CS-BK", "计算机", "本科", "B", "80", "C1", "课程", "3", "必修", ""]], header=header
    )
    # when
    code, output = _run("import-programmes", path, "--json")
    # then
    assert code == 1
    last = json.loads(output.strip().splitlines()[-1])
    assert (last["rows"], last["error"]["code"]) == (0, "missing_columns")
    assert last["error"]["details"][0]["field"] == "cap"
    assert Programme.objects.count() == 0


def test_a_missing_file_or_unknown_org_is_bad_usage(tmp_path, tree):
    path = write_csv(tmp_path / "p.csv", _programme_rows(), header=PROGRAMME_HEADER)
    assert _run("import-programmes", tmp_path / "nope.csv")[0] == 2
    assert _run("import-programmes", path, "--org", "NOPE")[0] == 2


def test_error_messages_are_in_chinese_by_default(tmp_path, tree):
    # given
    rows = [["X1", "某专业", "本科", "B", "80", "1.5", "C1", "课程", "3", "必修", ""]]
    path = write_csv(tmp_path / "bad.csv", rows, header=PROGRAMME_HEADER)
    # when
    with translation.override("zh-hans"):
        _code, output = _run("import-programmes", path)
    # then
    assert _errors(output) == [
        "第 2 行：转换上限：转换上限须大于 0，且不超过总学分的 100%（如 0.5 或 50%，而不是 1.5）。"
    ]


# --- rules -----------------------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    codes = {}
    for code, name in (
        ("1X-WEB-M", "Web前端开发（中级）"),
        ("1X-BD-M", "大数据应用开发（中级）"),
        ("COMP-2", "技能竞赛二等奖"),
        ("OLD-1", "已退出证书"),
    ):
        codes[code] = make_item(code=code, name=name, type="one_plus_x", credits=Decimal("4"), level=5)
    catalog_services.retire_item(codes["OLD-1"], actor=None)
    return codes


@pytest.fixture
def cs(tree):
    return make_programme(
        tree.b,
        code="CS-BK",
        courses={
            "CS101": (4, "专业必修"),
            "CS102": (3, "专业必修"),
            "CS201": (2, "专业选修"),
            "CS202": (3, "专业选修"),
        },
    )


def test_rules_import_with_joined_codes_spaces_full_width_and_grades(tmp_path, catalog, cs):
    # given
    rows = [
        ["R01", "CS-BK", "1X-WEB-M", "", "", "CS201", "免修免考"],
        ["R02", "cs-bk", " 1x-bd-m ＋ comp-2 ", "良好", "３年", "CS101 + CS102", "学分认定"],
        ["R03", "CS-BK", "1X-BD-M", "６０", "5", "CS202", "免修"],
    ]
    path = write_csv(tmp_path / "rules.csv", rows, header=RULE_HEADER, encoding="utf-8-sig")
    # when
    code, output = _run("import-rules", path, "--json")
    # then
    assert code == 0, output
    assert _summary(output) == {"rows": 3, "imported": 3, "updated": 0, "duplicates": 0, "errors": 0}
    r02 = ConversionRule.objects.get(number="R02")
    assert (r02.status, r02.version, r02.mode, r02.source_kind, r02.min_score, r02.within_years) == (
        "published",
        1,
        "recognition",
        "all_of",
        "良好",
        3,
    )
    assert sorted(RuleSource.objects.filter(rule=r02).values_list("item_code", flat=True)) == ["1X-BD-M", "COMP-2"]
    assert sorted(r02.targets.values_list("course__code", flat=True)) == ["CS101", "CS102"]
    assert ConversionRule.objects.get(number="R03").min_score == "60"


def test_reimported_rules_are_duplicates_and_changed_ones_new_versions(tmp_path, catalog, cs):
    # given
    rows = [["R01", "CS-BK", "1X-WEB-M", "", "", "CS201", "免修免考"]]
    path = write_csv(tmp_path / "rules.csv", rows, header=RULE_HEADER)
    _run("import-rules", path)
    changed = write_csv(
        tmp_path / "changed.csv", [["R01", "CS-BK", "1X-WEB-M", "80", "", "CS201", "免修免考"]], header=RULE_HEADER
    )
    # when
    again_code, again = _run("import-rules", path, "--json")
    changed_code, changed_output = _run("import-rules", changed, "--json")
    # then
    assert (again_code, _summary(again)) == (0, {"rows": 1, "imported": 0, "updated": 0, "duplicates": 1, "errors": 0})
    assert (changed_code, _summary(changed_output)) == (
        0,
        {"rows": 1, "imported": 0, "updated": 1, "duplicates": 0, "errors": 0},
    )
    versions = list(
        ConversionRule.objects.filter(number="R01")
        .order_by("version")
        .values_list("version", "is_current", "min_score")
    )
    assert versions == [(1, False, ""), (2, True, "80")]


def test_bad_rule_rows_have_precise_codes(tmp_path, catalog, cs):
    # given
    other = make_programme(cs.org, code="ACC-ZK", courses={"AC101": (4, "必修")})
    rows = [
        ["R01", "CS-BK", "1X-WEB-M", "", "", "CS201", "免修免考"],
        ["R02", "NOPE", "1X-WEB-M", "", "", "CS201", "免修免考"],
        ["R03", "CS-BK", "OLD-1", "", "", "CS202", "免修免考"],
        ["R04", "CS-BK", "MISSING-9", "", "", "CS202", "免修免考"],
        ["R05", "CS-BK", "1X-BD-M", "", "", "AC101", "免修免考"],
        ["R06", "CS-BK", "1X-BD-M", "", "", "CS999", "免修免考"],
        ["R07", "CS-BK", "1X-BD-M", "不及格", "0", "CS202", "免试"],
        ["R08", "CS-BK", "1X-WEB-M", "", "", "CS201", "免修免考"],
        ["R09", "CS-BK", "1X-WEB-M", "", "", "CS201", "学分认定"],
        ["R10", "CS-BK", "1X-WEB-M+COMP-2", "", "", "CS201+CS202", "免修免考"],
        ["R11", "CS-BK", "1X-WEB-M", "", "", "CS202+CS101", "免修免考"],
        ["R12", "CS-BK", "1X-BD-M+1X-BD-M", "", "", "CS101+CS101", "免修免考"],
        ["R13", "CS-BK", "", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "rules.csv", rows, header=RULE_HEADER)
    from creditbank.conversion import transfer

    # when
    outcome = transfer.run_rule_import(path, org=cs.org)
    # then
    codes = {row["line"]: [error["code"] for error in row["errors"]] for row in outcome.error_sample}
    assert codes == {
        3: ["rule_programme_unknown"],
        4: ["rule_source_retired"],
        5: ["rule_source_unknown"],
        6: ["rule_target_other_programme"],
        7: ["rule_target_unknown"],
        8: ["rule_mode_unknown", "score_failing", "rule_years_format"],
        9: ["rule_duplicate"],
        10: ["rule_mode_conflict"],
        12: ["rule_conflict"],
        13: ["rule_source_repeated", "rule_target_repeated"],
        14: ["rule_mode_unknown", "rule_source_required", "rule_target_required"],
    }
    # R10 (both sources, both courses) is a tier above R01: allowed
    assert (outcome.imported, outcome.errors) == (2, 11)
    assert sorted(ConversionRule.objects.values_list("number", flat=True)) == ["R01", "R10"]
    assert other.rules.count() == 0


def test_conflict_details_name_the_other_rule_and_what_they_share(tmp_path, catalog, cs):
    # given
    make_rule(cs, "R01", "1X-WEB-M", "CS201")
    rows = [["R02", "CS-BK", "1X-WEB-M", "良好", "", "CS201", "免修免考"]]
    path = write_csv(tmp_path / "rules.csv", rows, header=RULE_HEADER)
    from creditbank.conversion import transfer

    # when
    with translation.override("en"):
        outcome = transfer.run_rule_import(path, org=cs.org)
    # then
    [problem] = outcome.error_sample[0]["errors"]
    assert {key: problem[key] for key in ("code", "rule", "version", "courses", "items")} == {
        "code": "rule_duplicate",
        "rule": "R01",
        "version": 1,
        "courses": ["CS201"],
        "items": ["1X-WEB-M"],
    }
    assert problem["message"] == (
        "Rule R01 (version 1) already converts 1X-WEB-M into CS201: the same outcomes would claim the same courses twice."
    )


def test_a_rule_whose_courses_exceed_the_cap_is_refused(tmp_path, catalog, tree):
    # given: cap 0.1 × 60 = 6 credits
    make_programme(tree.b, code="SMALL", courses={"C1": (4, "必修"), "C2": (3, "必修")}, total=60, cap="0.1")
    rows = [["R01", "SMALL", "1X-WEB-M", "", "", "C1+C2", "免修免考"]]
    path = write_csv(tmp_path / "rules.csv", rows, header=RULE_HEADER)
    from creditbank.conversion import transfer

    # when
    outcome = transfer.run_rule_import(path, org=tree.mc)
    # then
    assert [e["code"] for e in outcome.error_sample[0]["errors"]] == ["rule_exceeds_cap"]


def test_any_one_of_and_n_of_m_sources(tmp_path, catalog, cs):
    # given
    header = [*RULE_HEADER, "至少满足", "生效日期", "失效日期", "最低等级"]
    rows = [
        ["R01", "CS-BK", "1X-WEB-M | 1X-BD-M", "", "", "CS201", "免修免考", "", "2025/1/1", "2026年12月31日", "5"],
        ["R02", "CS-BK", "1X-WEB-M+1X-BD-M+COMP-2", "", "", "CS101+CS102", "免修免考", "２", "", "", ""],
        ["R03", "CS-BK", "1X-WEB-M+COMP-2", "", "", "CS202", "免修免考", "3", "", "", ""],
        ["R04", "CS-BK", "COMP-2", "", "", "CS202", "免修免考", "", "2026-01-01", "2025-01-01", "11"],
    ]
    path = write_csv(tmp_path / "rules.csv", rows, header=header)
    from creditbank.conversion import transfer

    # when
    outcome = transfer.run_rule_import(path, org=cs.org)
    # then
    r01 = ConversionRule.objects.get(number="R01")
    r02 = ConversionRule.objects.get(number="R02")
    assert (
        r01.source_kind,
        r01.source_count,
        str(r01.effective_from),
        str(r01.effective_to),
        r01.min_framework_level,
    ) == (
        "n_of_m",
        1,
        "2025-01-01",
        "2026-12-31",
        5,
    )
    assert (r02.source_kind, r02.source_count) == ("n_of_m", 2)
    codes = {row["line"]: [error["code"] for error in row["errors"]] for row in outcome.error_sample}
    assert codes == {4: ["rule_source_count"], 5: ["rule_level_format", "rule_dates_order"]}
