"""The fixed-window limiter: counts per key and window, refuses past the limit, starts afresh in the next window."""

from __future__ import annotations

import pytest

from creditbank.core import ratelimit
from creditbank.core.errors import TooManyRequests


def test_refuses_past_the_limit_within_a_window():
    assert [ratelimit.hit("k", limit=2, window=60) for _ in range(2)] == [1, 2]
    with pytest.raises(TooManyRequests):
        ratelimit.hit("k", limit=2, window=60)


def test_keys_are_counted_apart():
    ratelimit.hit("a", limit=1, window=60)
    assert ratelimit.hit("b", limit=1, window=60) == 1


def test_the_next_window_starts_afresh(monkeypatch):
    # given a spent limit at the end of one window
    monkeypatch.setattr(ratelimit, "now", lambda: 1_800_000_059.9)
    ratelimit.hit("k", limit=1, window=60)
    with pytest.raises(TooManyRequests):
        ratelimit.hit("k", limit=1, window=60)
    # when the clock passes into the next window
    monkeypatch.setattr(ratelimit, "now", lambda: 1_800_000_060.1)
    # then
    assert ratelimit.hit("k", limit=1, window=60) == 1
