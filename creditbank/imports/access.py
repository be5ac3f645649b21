"""The only way views fetch one import job. Out of scope looks like missing (404)."""

from __future__ import annotations

from typing import Any

from creditbank.core.errors import NotFound
from creditbank.imports.errors import ImportErrorCode
from creditbank.imports.models import ImportJob


def access_import_job(actor: Any, pk: int) -> ImportJob:
    """A job whose target org is in the subtree where ``actor`` may run imports of its kind."""
    try:
        return ImportJob.objects.runnable_by(actor).select_related("org", "actor").get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError):
        raise NotFound(code=ImportErrorCode.JOB_NOT_FOUND) from None
