"""Fixed-window rate limits on the shared cache (Redis when configured), for logins and codes."""

from __future__ import annotations

import time

from django.core.cache import cache

from creditbank.core.errors import TooManyRequests


def now() -> float:
    """The limiter's clock (seconds). Its own name so tests can pin it: two requests that
    straddle a window boundary would otherwise count in two windows."""
    return time.time()


def hit(key: str, *, limit: int, window: int) -> int:
    """Count one attempt under ``key``; raise when more than ``limit`` fall in ``window`` seconds."""
    bucket = f"rl:{key}:{int(now() // window)}"
    added = cache.add(bucket, 1, timeout=window + 1)
    count = 1 if added else cache.incr(bucket)
    if count > limit:
        raise TooManyRequests()
    return count
