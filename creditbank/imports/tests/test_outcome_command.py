"""``creditbank import-outcomes``: exit codes and the ``--json`` last line, as ``import-learners``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from creditbank.accounts.tests.factories import make_learner
from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.imports.tests.helpers import OUTCOME_HEADER, new_person, outcome_row, write_csv

pytestmark = pytest.mark.django_db

KEYS = ["rows", "imported", "duplicates", "errors", "seconds"]


def _run(*args):
    out = io.StringIO()
    try:
        call_command("import-outcomes", *[str(arg) for arg in args], stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def _last_json(output):
    summary = json.loads(output.strip().splitlines()[-1])
    return {key: value for key, value in summary.items() if key != "seconds"}, summary


@pytest.fixture
def rows(tree):
    learner = make_learner(tree.a)
    item = make_item()
    return [outcome_row(learner, item), outcome_row(learner, item, certificate_no="C-1")]


def test_exit_0_and_the_json_summary_as_the_last_line(tmp_path, tree, rows):
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER, encoding="gbk")
    code, output = _run(path, "--json", "--org", "a")
    counts, summary = _last_json(output)
    assert code == 0
    assert list(summary) == KEYS
    assert counts == {"rows": 2, "imported": 2, "duplicates": 0, "errors": 0}
    assert set(Outcome.objects.values_list("org__code", flat=True)) == {"A"}


def test_a_second_run_reports_only_duplicates(tmp_path, tree, rows):
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    _run(path, "--json")
    code, output = _run(path, "--json")
    assert (code, _last_json(output)[0]) == (0, {"rows": 2, "imported": 0, "duplicates": 2, "errors": 0})


def test_exit_1_when_a_row_is_bad_and_each_bad_line_printed(tmp_path, tree, rows):
    path = write_csv(tmp_path / "o.csv", [*rows, [*rows[0][:2], "NOPE", *rows[0][3:]]], header=OUTCOME_HEADER)
    code, output = _run(path)
    assert code == 1
    assert "NOPE" in output
    code, output = _run(path, "--json", "--strict")
    assert (code, _last_json(output)[0]) == (1, {"rows": 3, "imported": 0, "duplicates": 2, "errors": 1})


def test_dry_run_and_create_learners(tmp_path, tree, rows):
    person = new_person()
    extra = [person["id_number"], person["name"], rows[0][2], "86", "2024-05-17", "", "", ""]
    path = write_csv(tmp_path / "o.csv", [*rows, extra], header=OUTCOME_HEADER)
    code, output = _run(path, "--json", "--dry-run", "--create-learners")
    assert (code, _last_json(output)[0]) == (0, {"rows": 3, "imported": 3, "duplicates": 0, "errors": 0})
    assert Outcome.objects.count() == 0
    code, output = _run(path, "--json", "--create-learners", "--org", "A-PT")
    assert (code, _last_json(output)[0]) == (0, {"rows": 3, "imported": 3, "duplicates": 0, "errors": 0})


def test_a_refused_file_exits_1_with_the_json_summary(tmp_path, tree):
    path = tmp_path / "o.csv"
    path.write_bytes("证件号码,姓名\n1,2\n".encode())
    code, output = _run(path, "--json")
    summary = json.loads(output.strip().splitlines()[-1])
    assert code == 1
    assert (summary["rows"], summary["imported"], summary["error"]["code"]) == (0, 0, "missing_columns")


def test_bad_usage_exits_2(tmp_path, tree, rows):
    path = write_csv(tmp_path / "o.csv", rows, header=OUTCOME_HEADER)
    assert _run(tmp_path / "missing.csv")[0] == 2
    assert _run(path, "--org", "NOPE")[0] == 2
    assert Outcome.objects.count() == 0
