"""Live progress and the cancel flag of a running job, shared through the cache.

The import runs in one database transaction, so the job row cannot show progress until it
commits; the cache (Redis, or the file cache shared by the web server and the worker) can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

TTL = 6 * 3600


def _progress_key(job_id: int) -> str:
    return f"imports:job:{job_id}:progress"


def _cancel_key(job_id: int) -> str:
    return f"imports:job:{job_id}:cancel"


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str
    processed: int
    total: int

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        return min(100, self.processed * 100 // self.total)


def publish(job_id: int, *, phase: str, processed: int, total: int) -> None:
    cache.set(_progress_key(job_id), {"phase": phase, "processed": processed, "total": total}, TTL)


def read(job_id: int) -> Progress | None:
    value: Any = cache.get(_progress_key(job_id))
    if not isinstance(value, dict):
        return None
    return Progress(
        phase=str(value.get("phase", "")), processed=int(value.get("processed", 0)), total=int(value.get("total", 0))
    )


def request_cancel(job_id: int) -> None:
    cache.set(_cancel_key(job_id), True, TTL)


def cancel_requested(job_id: int) -> bool:
    return bool(cache.get(_cancel_key(job_id)))


def clear(job_id: int) -> None:
    cache.delete_many([_progress_key(job_id), _cancel_key(job_id)])
