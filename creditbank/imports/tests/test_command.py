import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from creditbank.accounts.models import Learner
from creditbank.accounts.tests.factories import make_learner
from creditbank.imports.tests.helpers import bad_checksum, good_rows, new_person, row_of, write_csv

pytestmark = pytest.mark.django_db

KEYS = ["rows", "imported", "duplicates", "errors", "seconds"]


def _run(*args):
    out = io.StringIO()
    try:
        call_command("import-learners", *[str(arg) for arg in args], stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def _last_json(output):
    return json.loads(output.strip().splitlines()[-1])


def _counts(summary):
    return {key: summary[key] for key in KEYS if key != "seconds"}


def test_json_last_line_and_exit_0_when_no_row_is_bad(tmp_path, tree):
    # given
    path = write_csv(tmp_path / "good.csv", good_rows(3), encoding="gbk")
    # when
    code, output = _run(path, "--json")
    # then
    summary = _last_json(output)
    assert code == 0
    assert list(summary) == KEYS
    assert _counts(summary) == {"rows": 3, "imported": 3, "duplicates": 0, "errors": 0}
    assert isinstance(summary["seconds"], float)
    assert Learner.objects.filter(org=tree.mc).count() == 3


def test_exit_1_and_every_bad_row_listed_with_its_line(tmp_path, tree):
    # given
    first, second = new_person(), new_person()
    rows = [
        *good_rows(2),
        [first["name"], "", bad_checksum(first), first["phone"], ""],
        [second["name"], "", second["id_number"], "10086", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    # when
    with translation.override("en"):
        code, output = _run(path)
    # then
    assert code == 1
    lines = output.strip().splitlines()
    assert lines[0] == "Line 4: 证件号码：The ID number's check digit is wrong; please check the number."
    assert lines[1] == "Line 5: 手机号码：A mobile phone number has 11 digits and starts with 1."
    assert Learner.objects.count() == 2


def test_json_with_bad_rows_exits_1_after_printing_the_counts(tmp_path, tree):
    # given
    data = new_person()
    path = write_csv(tmp_path / "bad.csv", [*good_rows(1), [data["name"], "", data["id_number"], "1", ""]])
    # when
    code, output = _run(path, "--json")
    # then
    assert code == 1
    assert _counts(_last_json(output)) == {"rows": 2, "imported": 1, "duplicates": 0, "errors": 1}


def test_reimporting_reports_every_row_as_a_duplicate(tmp_path, tree):
    # given
    path = write_csv(tmp_path / "twice.csv", good_rows(3))
    _run(path, "--json")
    # when
    code, output = _run(path, "--json")
    # then
    assert code == 0
    assert _counts(_last_json(output)) == {"rows": 3, "imported": 0, "duplicates": 3, "errors": 0}
    assert Learner.objects.count() == 3


def test_dry_run_stores_nothing_and_counts_what_would_be_imported(tmp_path, tree):
    # given: one learner already stored
    stored = new_person()
    make_learner(tree.b, **stored)
    path = write_csv(tmp_path / "dry.csv", [row_of(stored), *good_rows(2)])
    # when
    code, output = _run(path, "--dry-run", "--json")
    # then
    assert code == 0
    assert _counts(_last_json(output)) == {"rows": 3, "imported": 2, "duplicates": 1, "errors": 0}
    assert Learner.objects.count() == 1


def test_strict_stores_nothing_when_a_row_is_bad(tmp_path, tree):
    # given
    data = new_person()
    path = write_csv(
        tmp_path / "strict.csv", [*good_rows(2), [data["name"], "", bad_checksum(data), data["phone"], ""]]
    )
    # when
    code, output = _run(path, "--strict", "--json")
    # then
    assert code == 1
    assert _counts(_last_json(output)) == {"rows": 3, "imported": 0, "duplicates": 0, "errors": 1}
    assert Learner.objects.count() == 0


def test_org_option_picks_the_organisation(tmp_path, tree):
    # given
    path = write_csv(tmp_path / "org.csv", good_rows(2))
    # when
    code, _ = _run(path, "--org", "a-sub")
    # then
    assert code == 0
    assert set(Learner.objects.values_list("org__code", flat=True)) == {"A-SUB"}


@pytest.mark.parametrize("args", [("missing.csv",), ("good.csv", "--org", "NOPE")])
def test_bad_usage_exits_2_and_stores_nothing(tmp_path, tree, args):
    # given
    write_csv(tmp_path / "good.csv", good_rows(1))
    # when
    code, _ = _run(tmp_path / args[0], *args[1:])
    # then
    assert code == 2
    assert Learner.objects.count() == 0


def test_without_a_management_centre_the_org_is_required(tmp_path, db):
    # given: an empty network
    path = write_csv(tmp_path / "good.csv", good_rows(1))
    # when
    code, _ = _run(path)
    # then
    assert code == 2


def test_a_refused_file_exits_1_with_the_reason(tmp_path, tree):
    # given: no phone column
    path = write_csv(tmp_path / "cols.csv", [["张三", "34052419800101001X"]], header=["姓名", "证件号码"])
    # when
    code, output = _run(path, "--json")
    # then
    summary = _last_json(output)
    assert code == 1
    assert summary["error"]["code"] == "missing_columns"
    assert _counts(summary) == {"rows": 0, "imported": 0, "duplicates": 0, "errors": 0}
    assert Learner.objects.count() == 0


def test_the_installed_console_script(tmp_path):
    # given: a fresh SQLite database for the real command (the test database is not visible to it)
    script = Path(sys.executable).parent / "creditbank"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "CREDITBANK_VAR_DIR": str(tmp_path)}
    subprocess.run([str(script), "migrate", "--no-input", "-v0"], env=env, check=True, timeout=300)
    subprocess.run(
        [str(script), "shell", "-c",
         "from creditbank.orgs import services; services.create_org(actor=None, parent=None, kind='management', "
         "code='MC', name='管理中心', region='340000', category='')"],
        env=env, check=True, timeout=120,
    )  # fmt: skip
    data = new_person()
    path = write_csv(
        tmp_path / "cli.csv", [*good_rows(2), [data["name"], "", bad_checksum(data), data["phone"], ""]], encoding="gbk"
    )
    # when
    first = subprocess.run(
        [str(script), "import-learners", str(path), "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    usage = subprocess.run(
        [str(script), "import-learners", str(path), "--org", "NOPE"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then
    assert first.returncode == 1
    assert _counts(_last_json(first.stdout)) == {"rows": 3, "imported": 2, "duplicates": 0, "errors": 1}
    assert usage.returncode == 2


def test_a_cell_longer_than_the_csv_limit_refuses_the_file_with_a_json_summary(tmp_path, tree, capsys):
    # given a file whose second row carries a 200,000-character cell
    path = tmp_path / "long.csv"
    path.write_text('姓名,证件号码,手机号码\n张三,"' + "1" * 200_000 + '",13912345678\n', encoding="utf-8")
    # when
    with pytest.raises(CommandError) as excinfo:
        call_command("import-learners", str(path), "--org", tree.a.code, "--json")
    # then
    assert excinfo.value.returncode == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert (summary["imported"], summary["error"]["code"]) == (0, "not_a_spreadsheet")
    assert Learner.objects.count() == 0


def test_a_suspended_org_is_bad_usage(tmp_path, tree, root_admin):
    from creditbank.orgs import services as org_services

    org_services.update_org(tree.a_point, actor=root_admin, status="suspended")
    path = tmp_path / "one.csv"
    path.write_text("姓名,证件号码,手机号码\n", encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("import-learners", str(path), "--org", tree.a_point.code)
    assert excinfo.value.returncode == 2
