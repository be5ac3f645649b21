import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.audit.models import AuditEntry
from creditbank.imports import progress, services
from creditbank.imports.choices import ImportStatus
from creditbank.imports.models import ImportJob
from creditbank.imports.tests.helpers import bad_checksum, csv_bytes, good_rows, new_person, xlsx_bytes

pytestmark = pytest.mark.django_db


def _upload(client, content, *, org, name="learners.csv", capture=None):
    data = {"file": SimpleUploadedFile(name, content), "org": org.pk}
    if capture is None:
        return client.post(reverse("imports:job-create"), data)
    with capture(execute=True):
        return client.post(reverse("imports:job-create"), data)


def _mixed_file():
    data = new_person()
    return csv_bytes([*good_rows(2), [data["name"], "", bad_checksum(data), data["phone"], ""]], encoding="gbk")


@pytest.fixture
def ready_job(centre_admin_client, tree, django_capture_on_commit_callbacks):
    response = _upload(centre_admin_client, _mixed_file(), org=tree.a_point, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    return ImportJob.objects.get()


def test_upload_form_offers_only_orgs_where_the_user_may_import(centre_admin_client, tree):
    # when
    response = centre_admin_client.get(reverse("imports:job-create"))
    # then
    assert response.status_code == 200
    choices = {org.code for org in response.context["form"].fields["org"].queryset}
    assert choices == {"A", "A-SUB", "A-PT"}
    assert reverse("imports:template") in response.content.decode()


def test_upload_preview_confirm_done(centre_admin_client, tree, django_capture_on_commit_callbacks):
    # given: two good rows and one with a bad check digit, in GBK
    content = _mixed_file()
    # when: upload; the preview task runs when the upload commits
    response = _upload(centre_admin_client, content, org=tree.a_point, capture=django_capture_on_commit_callbacks)
    # then: the preview is ready and nothing is stored
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:job-detail", args=[job.pk])
    assert (job.status, job.rows, job.valid, job.duplicates, job.errors) == (ImportStatus.PREVIEW_READY, 3, 2, 0, 1)
    assert Learner.objects.count() == 0
    page = centre_admin_client.get(response["Location"]).content.decode()
    assert "<td>4</td>" in page
    assert "证件号码：" in page
    assert reverse("imports:job-confirm", args=[job.pk]) in page
    assert reverse("imports:job-report", args=[job.pk]) in page

    # when: the administrator imports the valid rows
    with django_capture_on_commit_callbacks(execute=True):
        response = centre_admin_client.post(reverse("imports:job-confirm", args=[job.pk]))
    # then
    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.imported, job.duplicates, job.errors) == (ImportStatus.DONE, 2, 0, 1)
    assert job.finished_at is not None
    assert not job.file
    assert Learner.objects.filter(org=tree.a_point, status=LearnerStatus.PENDING, opened_via="import").count() == 2
    assert AuditEntry.objects.filter(action="imports.learners", actor__username="centre_admin").count() == 1
    page = centre_admin_client.get(reverse("imports:job-detail", args=[job.pk])).content.decode()
    assert reverse("learners:learner-list") in page


def test_the_error_report_lists_the_bad_rows_and_its_download_is_logged(centre_admin_client, ready_job):
    # when
    response = centre_admin_client.get(reverse("imports:job-report", args=[ready_job.pk]))
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1:6] == ("姓名", "证件类型", "证件号码", "手机号码", "所属地区")
    assert len(rows) == 2
    assert rows[1][0] == 4
    assert rows[1][6].startswith("证件号码：")
    assert AuditEntry.objects.filter(action="imports.download_report", object_id=str(ready_job.pk)).count() == 1


def test_cancel_after_preview_imports_nothing(centre_admin_client, ready_job):
    # when
    response = centre_admin_client.post(reverse("imports:job-cancel", args=[ready_job.pk]))
    # then
    ready_job.refresh_from_db()
    assert response.status_code == 302
    assert ready_job.status == ImportStatus.CANCELLED
    assert not ready_job.file
    assert Learner.objects.count() == 0
    # and it cannot be confirmed any more
    centre_admin_client.post(reverse("imports:job-confirm", args=[ready_job.pk]))
    ready_job.refresh_from_db()
    assert ready_job.status == ImportStatus.CANCELLED
    assert Learner.objects.count() == 0


def test_cancel_while_importing_rolls_everything_back(centre_admin_client, ready_job, monkeypatch):
    # given: the job is confirmed, the worker has not picked it up yet
    services.confirm_learner_import(ready_job, actor=ready_job.actor)
    monkeypatch.setattr(services, "BATCH_ROWS", 1)
    # when: the administrator stops it, then the worker runs it
    response = centre_admin_client.post(reverse("imports:job-cancel", args=[ready_job.pk]))
    job = services.execute_learner_import(ImportJob.objects.get(pk=ready_job.pk))
    # then
    assert response.status_code == 302
    assert job.status == ImportStatus.CANCELLED
    assert job.imported == 0
    assert Learner.objects.count() == 0
    assert AuditEntry.objects.filter(action="imports.learners").count() == 0


def test_progress_partial_polls_while_running_and_reloads_when_done(centre_admin_client, ready_job):
    # given: an import half way, as the worker publishes it
    ImportJob.objects.filter(pk=ready_job.pk).update(status=ImportStatus.IMPORTING)
    progress.publish(ready_job.pk, phase="import", processed=40, total=100)
    url = reverse("imports:job-progress", args=[ready_job.pk])
    # when
    running = centre_admin_client.get(url, HTTP_HX_REQUEST="true")
    # then
    assert running.status_code == 200
    body = running.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'data-progress="40"' in body
    assert "HX-Refresh" not in running
    # when the job has finished
    ImportJob.objects.filter(pk=ready_job.pk).update(status=ImportStatus.DONE, progress=100)
    finished = centre_admin_client.get(url, HTTP_HX_REQUEST="true")
    # then
    assert finished.status_code == 200
    assert finished["HX-Refresh"] == "true"
    assert "hx-trigger" not in finished.content.decode()


def test_job_page_while_importing_shows_the_polled_progress_bar(centre_admin_client, ready_job):
    # given
    ImportJob.objects.filter(pk=ready_job.pk).update(status=ImportStatus.IMPORTING)
    progress.publish(ready_job.pk, phase="import", processed=5, total=10)
    # when
    page = centre_admin_client.get(reverse("imports:job-detail", args=[ready_job.pk])).content.decode()
    # then
    assert 'class="progress"' in page
    assert 'data-progress="50"' in page
    assert reverse("imports:job-progress", args=[ready_job.pk]) in page
    assert "creditbank/imports.js" in page


def test_a_file_that_cannot_be_imported_is_refused_at_upload(centre_admin_client, tree):
    # given: no phone column
    content = csv_bytes([["张三", "34052419800101001X"]], header=["姓名", "证件号码"])
    # when
    response = _upload(centre_admin_client, content, org=tree.a)
    # then
    assert response.status_code == 422
    assert "手机号码" in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert Learner.objects.count() == 0


def test_an_xlsx_renamed_csv_is_refused_at_upload(centre_admin_client, tree):
    # when
    response = _upload(centre_admin_client, xlsx_bytes(good_rows(1)), org=tree.a, name="learners.csv")
    # then
    assert response.status_code == 422
    assert response.context["form"].errors["file"]
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(centre_admin_client, tree, settings):
    # given
    settings.CREDITBANK_IMPORT_MAX_BYTES = 100
    # when
    response = _upload(centre_admin_client, csv_bytes(good_rows(3)), org=tree.a)
    # then
    assert response.status_code == 422
    assert [error.code for error in response.context["form"].errors.as_data()["file"]] == ["file_too_large"]
    assert ImportJob.objects.count() == 0


def test_the_template_downloads_and_imports_cleanly(centre_admin_client, tree, django_capture_on_commit_callbacks):
    # when
    response = centre_admin_client.get(reverse("imports:template"))
    # then: a header row, one example row with digits kept as text, and an instruction sheet
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header, example = list(sheet.iter_rows(values_only=True))[:2]
    assert header == ("姓名", "证件类型", "证件号码", "手机号码", "所属地区")
    assert all(isinstance(value, str) for value in example)
    assert len(workbook.worksheets) == 2
    # and the example row passes the preview
    _upload(
        centre_admin_client,
        response.content,
        org=tree.a,
        name="template.xlsx",
        capture=django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    assert (job.status, job.rows, job.valid, job.errors) == (ImportStatus.PREVIEW_READY, 1, 1, 0)


def test_jobs_list_shows_jobs_in_scope_only(centre_admin_client, other_admin_client, ready_job):
    # when
    own = centre_admin_client.get(reverse("imports:job-list"))
    other = other_admin_client.get(reverse("imports:job-list"))
    # then
    assert [job.pk for job in own.context["page_obj"].object_list] == [ready_job.pk]
    assert list(other.context["page_obj"].object_list) == []


def test_a_preview_of_a_vanished_file_fails_cleanly(tree, centre_admin):
    # given: a job whose stored file is gone
    job = ImportJob.objects.create(
        org=tree.a, org_path=tree.a.path, actor=centre_admin, original_filename="x.csv", file="imports/missing.csv"
    )
    # when
    job = services.preview_learner_import(job)
    # then
    assert job.status == ImportStatus.FAILED
    assert job.failure_code == "import_failed"
    assert Learner.objects.count() == 0


def test_the_error_report_keeps_formulas_as_text(centre_admin_client, tree, django_capture_on_commit_callbacks):
    # given: a bad row whose name would be a formula in Excel
    data = new_person()
    content = csv_bytes([['=HYPERLINK("http://x")', "", data["id_number"], "1", ""]])
    _upload(centre_admin_client, content, org=tree.a, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    # when
    response = centre_admin_client.get(reverse("imports:job-report", args=[job.pk]))
    # then
    cell = load_workbook(io.BytesIO(response.content)).active["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


@pytest.mark.parametrize(
    ("name", "make"), [("big.csv", lambda rows: csv_bytes(rows, encoding="gbk")), ("big.xlsx", xlsx_bytes)]
)
def test_uploads_kept_on_disk_are_read_too(
    centre_admin_client, tree, settings, django_capture_on_commit_callbacks, name, make
):
    # given: every upload spooled to a temporary file, as large files are
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    # when
    response = _upload(
        centre_admin_client, make(good_rows(2)), org=tree.a, name=name, capture=django_capture_on_commit_callbacks
    )
    # then
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.status, job.rows, job.valid) == (ImportStatus.PREVIEW_READY, 2, 2)


def test_an_operator_cannot_download_someone_elses_error_report(ready_job, centre_operator_client):
    # the report holds unmasked numbers: an operator (no accounts.unmask) who did not upload it is refused
    url = reverse("imports:job-report", args=[ready_job.pk])
    response = centre_operator_client.get(url)
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="imports.download_report").count() == 0


def test_outcome_deposit_upload_preview_confirm_report(centre_admin_client, tree, django_capture_on_commit_callbacks):
    # given: a learner of A, a published item, a file with one good and one bad row
    from creditbank.accounts.tests.factories import make_learner
    from creditbank.archive.models import Outcome
    from creditbank.catalog.tests.factories import make_item
    from creditbank.imports.tests.helpers import OUTCOME_HEADER, outcome_row

    learner, item = make_learner(tree.a_point), make_item()
    content = csv_bytes(
        [outcome_row(learner, item), outcome_row(learner, item, name="=HYPERLINK(1)", achieved_on="2024-02-30")],
        header=OUTCOME_HEADER,
        encoding="gbk",
    )
    form = centre_admin_client.get(reverse("imports:outcome-create"))
    assert {org.code for org in form.context["form"].fields["org"].queryset} == {"A", "A-SUB", "A-PT"}
    assert reverse("imports:outcome-template") in form.content.decode()
    # when: upload (the preview runs when the upload commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = centre_admin_client.post(
            reverse("imports:outcome-create"), {"file": SimpleUploadedFile("o.csv", content), "org": tree.a.pk}
        )
    # then
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.kind, job.status, job.rows, job.valid, job.errors) == ("outcomes", ImportStatus.PREVIEW_READY, 2, 1, 1)
    assert Outcome.objects.count() == 0
    page = centre_admin_client.get(response["Location"]).content.decode()
    assert "姓名：" in page
    # when: confirm
    with django_capture_on_commit_callbacks(execute=True):
        centre_admin_client.post(reverse("imports:job-confirm", args=[job.pk]))
    # then
    job.refresh_from_db()
    assert (job.status, job.imported, job.errors) == (ImportStatus.DONE, 1, 1)
    assert Outcome.objects.get().import_job_id == job.pk
    assert AuditEntry.objects.filter(action="imports.outcomes", actor__username="centre_admin").count() == 1
    report = centre_admin_client.get(reverse("imports:job-report", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(report.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("行号", "证件号码", "姓名") or rows[0][1:3] == ("证件号码", "姓名")
    assert rows[1][2] == "=HYPERLINK(1)"  # kept as text, never a formula
    assert sheet.cell(row=2, column=3).data_type == "s"


def test_the_outcome_template_downloads(centre_operator_client):
    response = centre_operator_client.get(reverse("imports:outcome-template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "证件号码",
        "姓名",
        "成果编码",
        "成绩",
        "取得日期",
        "证书编号",
        "学时",
        "学分",
    ]
