"""Browser journey (issue 4): a centre's administrator downloads the template, uploads a GBK CSV of
outcomes, reads the per-row preview, imports the valid rows while the progress bar runs, downloads
the error report; the learner then finds the new outcomes in the archive.

On PostgreSQL the import runs in a real django-tasks database worker (a thread of this process,
polling the test database), so the page polls a job that is really in progress. On SQLite, whose
in-memory test database a second connection cannot see, the test settings' immediate backend runs
the task during the request instead; the page then finds it finished.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest
from django.db import connection

from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.imports import outcomes as outcome_import
from creditbank.imports import progress
from creditbank.imports.models import ImportJob
from tests.e2e.browser import log_in, new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def task_worker(settings, monkeypatch):
    """A django-tasks database worker on its own thread (PostgreSQL only), stopped afterwards."""
    if connection.vendor != "postgresql":
        yield None
        return
    from django_tasks_db.management.commands.db_worker import Worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Several batches, each a little slow, so that the page really sees the job running.
    monkeypatch.setattr(outcome_import, "BATCH_ROWS", 30)
    publish = progress.publish

    def slow_publish(*args, **kwargs):
        publish(*args, **kwargs)
        time.sleep(0.4)

    monkeypatch.setattr(progress, "publish", slow_publish)
    worker = Worker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="e2e",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=10)


def _csv(learners, item_code: str) -> bytes:
    lines = ["证件号码,姓名,成果编码,成绩,取得日期,证书编号"]
    for number, learner in enumerate(learners):
        lines.append(f"{learner.id_number},{learner.name},{item_code},{80 + number % 20},2024/6/{1 + number % 28},")
    lines.append(f"340104199001011234,查无此人,{item_code},90,2024-06-30,")  # no such learner
    lines.append(f"{learners[0].id_number},{learners[0].name},NO-SUCH-ITEM,90,2024-06-30,")
    lines.append(f"{learners[1].id_number},{learners[1].name},{item_code},很好,2024-02-30,")
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def test_admin_deposits_a_file_and_the_learner_sees_it(
    live_server, tree, learner_a, centre_admin, task_worker, browser, screenshot_dir, tmp_path
):
    # given 120 learners of the centre, and a published item
    from creditbank.accounts.tests.factories import make_learner

    learners = [learner_a, *(make_learner(tree.a_sub) for _ in range(119))]
    make_item(code="JSJ-101", name="计算机应用基础", credits="4", type="degree_course", level=5)
    path = tmp_path / "成果批量存入.csv"
    path.write_bytes(_csv(learners, "JSJ-101"))
    base = live_server.url
    page = new_page(browser)
    log_in(page, base, "centre_admin", "Staff@pass123")
    page.wait_for_url(base + "/console/")

    # when the administrator downloads the template and uploads the file
    page.goto(base + "/console/imports/outcomes/new/")
    with page.expect_download() as template:
        page.click("a[href='/console/imports/outcomes/template.xlsx']")
    assert template.value.suggested_filename.endswith(".xlsx")
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_org", index=1)
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(screenshot_dir / "bulk-upload.png"), full_page=True)
    page.wait_for_url(f"{base}/console/imports/*/")
    job = ImportJob.objects.get()

    # then (after the preview's own progress bar) the preview lists every bad row with its reason,
    # and nothing is stored yet
    page.wait_for_selector("form[action$='/confirm/'] button", timeout=60_000)
    job.refresh_from_db()
    assert (job.rows, job.valid, job.errors) == (123, 120, 3)
    assert not Outcome.objects.exists()
    errors = page.inner_text("main table")
    assert [line.split("\t")[0] for line in errors.splitlines()[1:]] == ["122", "123", "124"]
    page.screenshot(path=str(screenshot_dir / "bulk-preview.png"), full_page=True)

    # when the valid rows are imported, the page follows the job until it is done
    page.click("form[action$='/confirm/'] button")
    if task_worker is not None:  # a real worker: the bar is there and moves (htmx polls the job)
        page.wait_for_selector("#job-progress .progress-bar")
        page.screenshot(path=str(screenshot_dir / "bulk-progress.png"), full_page=True)
    page.wait_for_selector(".alert-success", timeout=60_000)
    job.refresh_from_db()
    assert (job.status, job.imported) == ("done", 120)
    page.screenshot(path=str(screenshot_dir / "bulk-done.png"), full_page=True)

    # and the error report downloads as an Excel file listing the three bad rows
    with page.expect_download() as report:
        page.click(f"a[href='/console/imports/{job.pk}/report.xlsx']")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(report.value.path().read_bytes()))
    assert workbook.active.max_row == 4  # the header and three rows

    # then the learner sees the new outcome in the archive
    learner_page = new_page(browser)
    log_in(learner_page, base, learner_a.account_no, "Learner@pass123")
    learner_page.wait_for_url(base + "/me/")
    learner_page.goto(base + "/me/archive/")
    assert "计算机应用基础" in learner_page.inner_text("#timeline")
    assert learner_page.inner_text("#total-credits").strip() == "4.0"
    assert Outcome.objects.filter(learner=learner_a, achieved_on=dt.date(2024, 6, 1)).exists()
    assert page.csp_errors == []  # type: ignore[attr-defined]
