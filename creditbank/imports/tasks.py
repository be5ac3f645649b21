"""Thin django-tasks wrappers: the preview and the import of a console job run in the worker.

They are enqueued in ``transaction.on_commit`` by the services; a job that has moved on (or
vanished) is left alone, so that a task delivered twice does no harm.
"""

from __future__ import annotations

from django_tasks import task

from creditbank.imports import services
from creditbank.imports.choices import ImportStatus
from creditbank.imports.models import ImportJob


@task()
def preview_learner_import_task(job_id: int) -> str:
    job = ImportJob.objects.select_related("org", "actor").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.PREVIEWING:
        return "skipped"
    return services.preview_learner_import(job).status


@task()
def execute_learner_import_task(job_id: int) -> str:
    job = ImportJob.objects.select_related("org", "actor").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.IMPORTING:
        return "skipped"
    return services.execute_learner_import(job).status
