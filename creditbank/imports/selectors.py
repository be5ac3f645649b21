"""Reads for the import console: jobs in scope, where an import may go, live progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from creditbank.imports import progress
from creditbank.imports.choices import ImportStatus
from creditbank.imports.models import ImportJob
from creditbank.orgs.models import OrgUnit


def list_import_jobs(actor: Any) -> QuerySet[ImportJob]:
    """Jobs whose target org is where ``actor`` may run imports of their kind, newest first."""
    return ImportJob.objects.runnable_by(actor).select_related("org", "actor").newest_first()


def list_import_targets(actor: Any, action: str = "accounts.import") -> QuerySet[OrgUnit]:
    """Active organisations ``actor`` may import into (learners; outcomes with ``archive.import``)."""
    return OrgUnit.objects.visible_to(actor, action).active().order_by("path")


@dataclass(frozen=True, slots=True)
class JobProgress:
    phase: str
    processed: int
    total: int
    percent: int
    running: bool


def job_progress(job: ImportJob) -> JobProgress:
    """The live figure from the cache while a task runs, else what the job row says."""
    running = job.status in (ImportStatus.PREVIEWING, ImportStatus.IMPORTING)
    phase = "import" if job.status == ImportStatus.IMPORTING else "preview"
    live = progress.read(job.pk) if running else None
    if live is not None and live.phase == phase:
        return JobProgress(phase=phase, processed=live.processed, total=live.total, percent=live.percent, running=True)
    percent = job.progress if not running else 0
    return JobProgress(phase=phase, processed=0, total=job.rows, percent=percent, running=running)
