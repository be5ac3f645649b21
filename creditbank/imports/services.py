"""Bulk import of learners (开户: 批量导入), for the console and ``creditbank import-learners`` alike.

The contract (DESIGN.md): every valid row is stored, every bad row is reported with its line and
reason, a learner already stored or repeated earlier in the file is a duplicate (not an error),
``strict`` stores nothing when any row is bad, and the whole import is one transaction, so that
a failure or a cancel part-way leaves no rows behind.

The pipeline streams the file in batches: each row goes through the one identity validator,
each batch is checked against the database with one query, and stored by a writer
(``writers.py``: COPY on PostgreSQL, ``bulk_create`` elsewhere). Nothing holds the whole file.
"""

from __future__ import annotations

import logging
import operator
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.accounts.demo_data import resident_id
from creditbank.accounts.identity import IdentityData, validate_identity
from creditbank.accounts.numbering import reserve_account_numbers
from creditbank.audit import services as audit
from creditbank.core.errors import ApplicationError, Conflict, Forbidden, ValidationFailed
from creditbank.imports import progress, reports, writers
from creditbank.imports.choices import ImportKind, ImportStatus
from creditbank.imports.errors import ImportErrorCode
from creditbank.imports.models import ImportJob
from creditbank.imports.readers import Column, FileRefused, Source, Table, TableRow, open_table
from creditbank.orgs import permissions
from creditbank.orgs.models import OrgUnit, Region

logger = logging.getLogger(__name__)

LEARNER_COLUMNS: tuple[Column, ...] = (
    Column("name", ("姓名", "name", "真实姓名"), required=True),
    Column("id_type", ("证件类型", "id_type", "id type")),
    Column("id_number", ("证件号码", "id_number", "身份证号码", "身份证号", "id number"), required=True),
    Column("phone", ("手机号码", "phone", "手机号", "手机", "mobile"), required=True),
    Column("region", ("所属地区", "region", "地区代码", "region code")),
)
_LABELS = {column.key: column.label for column in LEARNER_COLUMNS}

BATCH_ROWS = 5000  # rows per duplicate query and per COPY; tests lower it to see several batches
ERROR_SAMPLE_SIZE = 200
AUDIT_ACTION = "imports.learners"
IMPORT_ACTION = "accounts.import"


class ImportCancelled(ApplicationError):
    status = 409
    default_code = ImportErrorCode.CANCELLED
    default_message = gettext_lazy("The import was cancelled; nothing was stored.")


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad row: its spreadsheet line, the cells as written, and one entry per problem."""

    line: int
    cells: tuple[str, ...]
    errors: tuple[dict[str, str], ...]
    labels: Mapping[str, str] = field(default_factory=lambda: _LABELS)  # field key -> column header

    @property
    def reasons(self) -> list[str]:
        labels = self.labels
        return [
            f"{labels[item['field']]}：{item['message']}" if item.get("field") in labels else item["message"]
            for item in self.errors
        ]

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "errors": list(self.errors), "reasons": self.reasons}


@dataclass
class ImportOutcome:
    """What an import did (or, in a dry run, would do). ``valid`` rows are new learners;
    ``rows == valid + duplicates + errors``; ``imported`` is ``valid`` unless nothing was stored."""

    rows: int = 0
    valid: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    strict: bool = False
    encoding: str = ""
    error_sample: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


# --- checking rows --------------------------------------------------------------------------


@dataclass(slots=True)
class _Checked:
    line: int
    identity: IdentityData | None
    errors: list[dict[str, str]] | None
    row: TableRow


class _RowChecker:
    """Validates rows with the one identity validator, plus what only an import knows about:
    region codes that must exist, and numbers Excel had already cut short."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.index = table.index
        self.regions = frozenset(Region.objects.values_list("code", flat=True))
        position = table.index.get
        self.positions = tuple(position(key) for key in ("name", "id_type", "id_number", "phone", "region"))
        present = [value for value in self.positions if value is not None]
        self.width = max(present) + 1
        # With every column present and the row long enough, one C call picks the five cells.
        self.pick = operator.itemgetter(*self.positions) if len(present) == len(self.positions) else None

    def _cells(self, cells: list[str]) -> tuple[str, ...]:
        if self.pick is not None and len(cells) >= self.width:
            return self.pick(cells)
        size = len(cells)
        return tuple(cells[position] if position is not None and position < size else "" for position in self.positions)

    def check(self, row: TableRow) -> _Checked:
        name, id_type, id_number, phone, region = self._cells(row.cells)
        errors: list[dict[str, str]] | None = None
        identity: IdentityData | None = None
        try:
            identity = validate_identity(name=name, id_type=id_type, id_number=id_number, phone=phone, region=region)
        except ValidationFailed as exc:
            errors = list(exc.details)
        else:
            if identity.region_code and identity.region_code not in self.regions:
                errors = [
                    row_error(
                        "region",
                        ImportErrorCode.REGION_UNKNOWN,
                        _("Unknown region code {code}.").format(code=identity.region_code),
                    )
                ]
        if row.lossy:
            errors = self._lossy_errors(row.lossy, errors)
        if errors:
            return _Checked(row.line, None, errors, row)
        return _Checked(row.line, identity, None, row)

    def _lossy_errors(self, lossy: frozenset[int], errors: list[dict[str, str]] | None) -> list[dict[str, str]] | None:
        id_position, phone_position = self.positions[2], self.positions[3]
        replaced = list(errors or [])
        if id_position in lossy:
            replaced = [item for item in replaced if item.get("field") != "id_number"]
            replaced.append(
                row_error(
                    "id_number",
                    ImportErrorCode.ID_NUMBER_LOST_DIGITS,
                    _(
                        "The ID number was stored as a number, so Excel dropped its last digits (and any X); format the column as text and type it again."
                    ),
                )
            )
        if phone_position in lossy:
            replaced = [item for item in replaced if item.get("field") != "phone"]
            replaced.append(
                row_error(
                    "phone",
                    ImportErrorCode.PHONE_LOST_DIGITS,
                    _("The phone number was saved in scientific notation and lost digits; format the column as text."),
                )
            )
        return replaced or errors


def row_error(field_name: str, code: str, message: str) -> dict[str, str]:
    return {"field": field_name, "code": str(code), "message": str(message)}


def batches(rows: Iterator[TableRow], size: int) -> Iterator[list[TableRow]]:
    batch: list[TableRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- the pipeline ---------------------------------------------------------------------------


def _check_permission(actor: Any, org: OrgUnit, action: str = IMPORT_ACTION) -> None:
    if actor is not None and not permissions.can(actor, action, org.path):
        raise Forbidden(code="role_cannot_" + action.replace(".", "_"))


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What differs between the kinds of console import: the columns, the role action, the run."""

    columns: tuple[Column, ...]
    action: str
    run: Callable[..., ImportOutcome]


def kind_spec(kind: str) -> KindSpec:
    if kind == ImportKind.OUTCOMES:
        from creditbank.imports import outcomes  # built on this module, so imported when needed

        return KindSpec(outcomes.OUTCOME_COLUMNS, outcomes.IMPORT_ACTION, outcomes.run_outcome_import)
    return KindSpec(LEARNER_COLUMNS, IMPORT_ACTION, run_learner_import)


def run_learner_import(
    source: Source,
    *,
    org: OrgUnit,
    filename: str | None = None,
    actor: Any = None,
    strict: bool = False,
    dry_run: bool = False,
    job_id: int | None = None,
    on_row_error: Callable[[RowError], None] | None = None,
    table: Table | None = None,
) -> ImportOutcome:
    """Import learners from a CSV or XLSX file into ``org`` as pending accounts opened by import.

    ``actor`` None means the command line (a system operator); otherwise the actor needs
    ``accounts.import`` on ``org``. With ``dry_run`` nothing is written (``imported`` says how many
    would be). With ``strict`` nothing is stored when any row is bad. With ``job_id`` progress is
    published and a cancel request honoured after every batch. Raises ``FileRefused`` for a file
    that cannot be read as a whole, ``ImportCancelled`` when cancelled; either way nothing is stored.
    """
    started = time.perf_counter()
    _check_permission(actor, org)
    name = source_name(source, filename)
    opened = table or open_table(source, filename=name, columns=LEARNER_COLUMNS)
    outcome = ImportOutcome(dry_run=dry_run, strict=strict, encoding=opened.encoding)
    writer = writers.writer_for(org, dry_run=dry_run)

    def record() -> None:
        audit.record(
            actor=actor,
            action=AUDIT_ACTION,
            object_type="imports.learners",
            object_id=str(job_id or ""),
            object_repr=Path(name).name[:200],
            org_path=org.path,
            after={**outcome.as_json(), "org": org.code, "strict": strict},
        )

    with opened:
        run_once(
            lambda: _pipeline(opened, writer, outcome, strict=strict, job_id=job_id, on_row_error=on_row_error),
            outcome,
            dry_run=dry_run,
            strict=strict,
            record=record,
        )
    if not dry_run and strict and outcome.errors:
        outcome.imported = 0
    elif dry_run:
        outcome.imported = 0 if strict and outcome.errors else outcome.valid
    outcome.seconds = time.perf_counter() - started
    return outcome


def source_name(source: Source, filename: str | None) -> str:
    return filename or (str(source) if isinstance(source, str | Path) else getattr(source, "name", "")) or ""


def run_once(
    body: Callable[[], None], outcome: ImportOutcome, *, dry_run: bool, strict: bool, record: Callable[[], None]
) -> None:
    """An import's one transaction (none for a dry run, which writes nothing): with ``strict`` and
    a bad row it is rolled back, else ``record`` writes the audit row inside it."""
    if dry_run:
        body()
        return
    with transaction.atomic(durable=True):
        body()
        if strict and outcome.errors:
            transaction.set_rollback(True)
        else:
            record()


def _pipeline(
    table: Table,
    writer: writers.LearnerWriter,
    outcome: ImportOutcome,
    *,
    strict: bool,
    job_id: int | None,
    on_row_error: Callable[[RowError], None] | None,
) -> None:
    checker = _RowChecker(table)
    check = checker.check
    seen_ids: set[str] = set()
    seen_phones: dict[str, int] = {}
    writer.prepare()
    numbers = _AccountNumbers(0 if isinstance(writer, writers.DryRunWriter) else table.row_estimate)
    total = max(table.row_estimate, 1)
    phase = "preview" if isinstance(writer, writers.DryRunWriter) else "import"
    storing = True
    try:
        for batch in batches(table.rows(), BATCH_ROWS):
            checked = [check(row) for row in batch]
            good = [item for item in checked if item.identity is not None]
            found_ids, found_phones = writer.existing(
                [item.identity.id_number_hash for item in good if item.identity is not None],
                [item.identity.phone_hash for item in good if item.identity is not None and item.identity.phone_hash],
            )
            valid: list[IdentityData] = []
            for item in checked:
                outcome.rows += 1
                identity = item.identity
                if identity is None:
                    _report(outcome, item, item.errors or [], on_row_error)
                    continue
                id_hash = identity.id_number_hash
                if id_hash in seen_ids or id_hash in found_ids:
                    outcome.duplicates += 1
                    continue
                phone_hash = identity.phone_hash
                if phone_hash:
                    earlier = seen_phones.get(phone_hash)
                    if earlier is not None or phone_hash in found_phones:
                        message = (
                            _("This mobile number is already used by the learner on line {line}.").format(line=earlier)
                            if earlier is not None
                            else _("This mobile number is already used by another learner.")
                        )
                        _report(
                            outcome, item, [row_error("phone", ImportErrorCode.PHONE_IN_USE, message)], on_row_error
                        )
                        continue
                    seen_phones[phone_hash] = item.line
                seen_ids.add(id_hash)
                valid.append(identity)
            outcome.valid += len(valid)
            if strict and outcome.errors:
                storing = False  # nothing will be kept: stop writing, go on reporting
            if storing and valid:
                writer.write(valid, numbers.take(len(valid)))
                outcome.imported += len(valid)
            if job_id is not None:
                progress.publish(job_id, phase=phase, processed=min(outcome.rows, total), total=total)
                if progress.cancel_requested(job_id):
                    raise ImportCancelled()
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    if job_id is not None:
        progress.publish(job_id, phase=phase, processed=total, total=total)


class _AccountNumbers:
    """One reservation for the whole file, sized by an upper bound of its rows: numbers of rows
    that turn out to be duplicates or bad are simply skipped (``accounts.numbering``)."""

    def __init__(self, upper_bound: int) -> None:
        self._pool = reserve_account_numbers(upper_bound) if upper_bound > 0 else []
        self._next = 0

    def take(self, count: int) -> list[str]:
        if self._next + count > len(self._pool):  # only if the estimate was wrong: reserve more rather than fail
            self._pool = self._pool[self._next :] + reserve_account_numbers(max(count, BATCH_ROWS))
            self._next = 0
        taken = self._pool[self._next : self._next + count]
        self._next += count
        return taken


def _report(
    outcome: ImportOutcome,
    item: _Checked,
    errors: Sequence[dict[str, str]],
    on_row_error: Callable[[RowError], None] | None,
) -> None:
    outcome.errors += 1
    failed = RowError(line=item.line, cells=tuple(item.row.cells), errors=tuple(errors))
    if len(outcome.error_sample) < ERROR_SAMPLE_SIZE:
        outcome.error_sample.append(failed.as_dict())
    if on_row_error is not None:
        on_row_error(failed)


# --- console jobs ---------------------------------------------------------------------------


def _max_bytes() -> int:
    return int(settings.CREDITBANK_IMPORT_MAX_BYTES)


def create_learner_import_job(*, actor: Any, org: OrgUnit, upload: File[Any], strict: bool = False) -> ImportJob:
    return create_import_job(actor=actor, org=org, upload=upload, strict=strict, kind=ImportKind.LEARNERS)


def create_import_job(
    *, actor: Any, org: OrgUnit, upload: File[Any], kind: str = ImportKind.LEARNERS, strict: bool = False
) -> ImportJob:
    """Store the uploaded file and queue its preview. The file is checked as a whole first
    (type, encoding, header row), so that a file that cannot be imported is refused at once."""
    spec = kind_spec(kind)
    _check_permission(actor, org, spec.action)
    if actor is None:
        raise Forbidden(code="role_cannot_" + spec.action.replace(".", "_"))
    filename = Path(upload.name or "").name
    size = upload.size or 0
    if size > _max_bytes():
        raise ValidationFailed.for_field(
            "file",
            _("The file is larger than {size} MB; split it into smaller files.").format(
                size=_max_bytes() // (1024 * 1024)
            ),
            code=ImportErrorCode.FILE_TOO_LARGE,
        )
    with open_table(upload, filename=filename, columns=spec.columns):
        pass  # raises FileRefused (a ValidationFailed) for a file that cannot be imported
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            org=org,
            org_path=org.path,
            actor=actor,
            status=ImportStatus.PREVIEWING,
            original_filename=filename[:255],
            strict=strict,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        job.file.save(filename, upload, save=False)
        job.save()
        audit.record(
            actor=actor, action="imports.upload", obj=job, after={"file": job.original_filename, "org": org.code}
        )
        transaction.on_commit(lambda: _enqueue("preview_learner_import_task", job.pk))
    return job


def _enqueue(task_name: str, job_id: int) -> None:
    from creditbank.imports import tasks

    getattr(tasks, task_name).enqueue(job_id)


class _ErrorCollector:
    """Writes every bad row into the job's error report as it is found."""

    def __init__(self, table: Table) -> None:
        self.report = reports.ErrorReport(table.headers)

    def __call__(self, row_error: RowError) -> None:
        self.report.add(row_error.line, row_error.cells, row_error.reasons)

    def attach(self, job: ImportJob) -> None:
        if job.error_report:
            job.error_report.delete(save=False)
        if self.report.count:
            name = reports.report_filename(job.original_filename, timezone.now())
            job.error_report.save(name, ContentFile(self.report.to_bytes()), save=False)


def _fail(job: ImportJob, error: ApplicationError, *, delete_file: bool = True) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.failure_code = error.code
    job.failure_message = "\n".join(
        [
            error.message,
            *(str(item.get("message", "")) for item in error.details if item.get("message") != error.message),
        ]
    )
    job.finished_at = timezone.now()
    if delete_file and job.file:
        job.file.delete(save=False)
    job.save()
    progress.clear(job.pk)
    return job


def _open_job_file(job: ImportJob) -> Table:
    try:
        return open_table(job.file.path, filename=job.original_filename, columns=kind_spec(job.kind).columns)
    except FileRefused:
        raise
    except (OSError, ValueError):  # the stored file is gone (or was never saved)
        raise ApplicationError(
            _("The uploaded file is no longer available; please upload it again."), code=ImportErrorCode.FAILED
        ) from None


def _unexpected() -> ApplicationError:
    return ApplicationError(_("The import failed; nothing was stored. Please try again."), code=ImportErrorCode.FAILED)


def preview_learner_import(job: ImportJob) -> ImportJob:
    """Check every row of the job's file (of any kind) and store nothing: counts, the first row
    errors and the full error report, for the administrator to decide."""
    if job.status != ImportStatus.PREVIEWING:
        raise Conflict(_("This import is not waiting for a preview."), code=ImportErrorCode.JOB_STATE)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            table = _open_job_file(job)
            collector = _ErrorCollector(table)
            outcome = kind_spec(job.kind).run(
                job.file.path,
                org=job.org,
                filename=job.original_filename,
                strict=job.strict,
                dry_run=True,
                job_id=job.pk,
                on_row_error=collector,
                table=table,
            )
        except ImportCancelled:
            job.refresh_from_db()
            return job
        except ApplicationError as error:
            return _fail(job, error)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            return _fail(job, _unexpected())
        _apply_counts(job, outcome)
        job.imported = 0
        collector.attach(job)
        job.refresh_from_db(fields=["status"])
        if job.status == ImportStatus.PREVIEWING:  # not cancelled meanwhile
            job.status = ImportStatus.PREVIEW_READY
        job.progress = 100
        job.save()
    progress.clear(job.pk)
    return job


def _apply_counts(job: ImportJob, outcome: ImportOutcome) -> None:
    job.rows = outcome.rows
    job.valid = outcome.valid
    job.imported = outcome.imported
    job.duplicates = outcome.duplicates
    job.errors = outcome.errors
    job.error_sample = outcome.error_sample
    job.seconds = round(outcome.seconds, 3)


def confirm_learner_import(job: ImportJob, *, actor: Any) -> ImportJob:
    """The administrator chose to import the valid rows: queue the import."""
    _check_permission(actor, job.org, kind_spec(job.kind).action)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.PREVIEW_READY:
            raise Conflict(_("This import cannot be started now."), code=ImportErrorCode.JOB_STATE)
        locked.status = ImportStatus.IMPORTING
        locked.progress = 0
        locked.save(update_fields=["status", "progress", "updated_at"])
        progress.publish(locked.pk, phase="import", processed=0, total=max(locked.rows, 1))
        audit.record(actor=actor, action="imports.confirm", obj=locked, after={"status": locked.status})
        transaction.on_commit(lambda: _enqueue("execute_learner_import_task", locked.pk))
    return locked


def cancel_learner_import(job: ImportJob, *, actor: Any) -> ImportJob:
    """Import nothing: a job waiting for a decision is closed at once; a running one is asked to
    stop, and rolls back everything it wrote."""
    _check_permission(actor, job.org, kind_spec(job.kind).action)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (ImportStatus.PREVIEW_READY, ImportStatus.PREVIEWING):
            locked.status = ImportStatus.CANCELLED
            locked.finished_at = timezone.now()
            if locked.file:
                locked.file.delete(save=False)
            locked.save()
            audit.record(actor=actor, action="imports.cancel", obj=locked, after={"status": locked.status})
        elif locked.status == ImportStatus.IMPORTING:
            progress.request_cancel(locked.pk)
        else:
            raise Conflict(_("This import has already ended."), code=ImportErrorCode.JOB_STATE)
    if locked.status == ImportStatus.CANCELLED:
        progress.request_cancel(locked.pk)  # a preview still running stops at its next batch
    return locked


def execute_learner_import(job: ImportJob) -> ImportJob:
    """Run a confirmed job (of any kind): the same run as the command line's, as its actor."""
    if job.status != ImportStatus.IMPORTING:
        raise Conflict(_("This import is not confirmed."), code=ImportErrorCode.JOB_STATE)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            table = _open_job_file(job)
            collector = _ErrorCollector(table)
            outcome = kind_spec(job.kind).run(
                job.file.path,
                org=job.org,
                filename=job.original_filename,
                actor=job.actor,
                strict=job.strict,
                job_id=job.pk,
                on_row_error=collector,
                table=table,
            )
        except ImportCancelled:
            job.status = ImportStatus.CANCELLED
            job.imported = 0
            job.finished_at = timezone.now()
            if job.file:
                job.file.delete(save=False)
            job.save()
            audit.record(actor=job.actor, action="imports.cancel", obj=job, after={"status": job.status})
            progress.clear(job.pk)
            return job
        except ApplicationError as error:
            return _fail(job, error)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            return _fail(job, _unexpected())
        _apply_counts(job, outcome)
        collector.attach(job)
        job.status = ImportStatus.DONE
        job.progress = 100
        job.finished_at = timezone.now()
        if job.file:
            job.file.delete(save=False)
        job.save()
    progress.clear(job.pk)
    return job


# --- the template ---------------------------------------------------------------------------


def learner_template() -> bytes:
    """The Excel template: the header row, one example row and a sheet of instructions."""
    import datetime as dt

    example = ["张三", "居民身份证", resident_id("340104", dt.date(1990, 5, 17), 123), "13912345678", "340104"]
    instructions = [
        _("How to fill in this template"),
        _("One learner per row; keep the header row as it is. Columns marked required must be filled."),
        _("姓名 (required): the real name as on the ID document."),
        _(
            "证件类型 (optional, default 居民身份证): 居民身份证, 港澳台居民居住证, 港澳居民来往内地通行证, 台湾居民来往大陆通行证 or 护照."
        ),
        _(
            "证件号码 (required): the 18-character resident ID number (the last character may be X), or the document number."
        ),
        _("手机号码 (required): an 11-digit mainland China mobile number."),
        _("所属地区 (optional): a 6-digit GB/T 2260 region code, such as 340104."),
        _("Keep the ID number and phone columns formatted as text, or Excel will drop digits."),
        _("A learner who already has an account is skipped as a duplicate, not reported as an error."),
        _("You may also upload CSV files in UTF-8 or GBK with the same header row."),
    ]
    return reports.template_workbook(LEARNER_COLUMNS, example, instructions)
