from __future__ import annotations

from typing import Any

import pytest

from creditbank.credentials import fetch


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: Any) -> Any:
    """No test reaches the network (a did:key needs none)."""

    def offline(url: str, *, timeout: float) -> bytes:
        raise fetch.FetchError("unreachable", f"offline test: {url}")

    fetch.clear_cache()
    monkeypatch.setattr(fetch, "http_get", offline)
    yield
    fetch.clear_cache()
