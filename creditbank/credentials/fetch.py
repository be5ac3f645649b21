"""Fetching other issuers' DID documents and status lists: HTTPS only, a short timeout, a size
limit, no redirects, no private addresses (the verification API is public, so it must not be a
way to probe the deployment's own network), and a small in-process cache."""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

MAX_BYTES = 1024 * 1024
# Documents one verification may fetch (cached ones are free): a public request must not make the
# deployment fetch from a thousand hosts (a transcript may carry a thousand credentials).
MAX_FETCHES_PER_VERIFICATION = 16
_CACHE_SIZE = 256
_FAILURE_TTL = 30.0


class FetchError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address``, the address that was checked, while TLS (certificate and SNI) and the
    Host header use the name: a name that resolves to a public address when checked and to a
    private one a moment later (DNS rebinding) cannot steer the connection. No proxy, no redirects."""

    def __init__(self, host: str, *, port: int, timeout: float, address: str | None) -> None:
        super().__init__(host, port=port, timeout=timeout, context=_TLS)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address or self.host, self.port), self.timeout)
        self.sock = _TLS.wrap_socket(sock, server_hostname=self.host)


_TLS = ssl.create_default_context()
_cache: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()
_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("credential_fetch_budget", default=None)


@contextlib.contextmanager
def budget(fetches: int = MAX_FETCHES_PER_VERIFICATION) -> Iterator[None]:
    """At most ``fetches`` documents fetched inside the block (one verification); further ones are refused."""
    token = _budget.set([fetches])
    try:
        yield
    finally:
        _budget.reset(token)


def _spend() -> None:
    remaining = _budget.get()
    if remaining is None:
        return
    if remaining[0] <= 0:
        raise FetchError("too_many_fetches", "this verification has fetched as many documents as it may")
    remaining[0] -= 1


def _check_host(host: str) -> str | None:
    """The address to connect to: one the name resolves to, when every one of them is public; None
    (connect by name) where private addresses are allowed (``CREDITBANK_CREDENTIAL_FETCH_PRIVATE``)."""
    if getattr(settings, "CREDITBANK_CREDENTIAL_FETCH_PRIVATE", False):
        return None
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)]
    except (OSError, UnicodeError) as exc:
        raise FetchError("unreachable", f"cannot resolve {host}") from exc
    if not addresses:
        raise FetchError("unreachable", f"cannot resolve {host}")
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise FetchError("unreachable", f"{host} resolves to a private address")
    return addresses[0]


def http_get(url: str, *, timeout: float) -> bytes:
    """The body of an HTTPS GET (replaced in tests)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 443
    except ValueError as exc:  # "https://a]b/…": a did:web host no URL can hold
        raise FetchError("unreachable", "not a valid https URL") from exc
    if parts.scheme != "https" or not host:
        raise FetchError("unreachable", "only https URLs are fetched")
    address = _check_host(host)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedHTTPSConnection(host, port=port, timeout=timeout, address=address)
    try:
        connection.request(
            "GET",
            path,
            headers={"Accept": "application/did+json, application/vc+ld+json, application/ld+json, application/json"},
        )
        response = connection.getresponse()
        if response.status != 200:
            raise FetchError("unreachable", f"HTTP {response.status}")
        body: bytes = response.read(MAX_BYTES + 1)
    except FetchError:
        raise
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise FetchError("unreachable", f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if len(body) > MAX_BYTES:
        raise FetchError("too_large", "the document is larger than 1 MB")
    return body


def fetch_json(url: str) -> dict[str, Any]:
    """A JSON object from ``url``, cached for ``CREDITBANK_CREDENTIAL_CACHE_SECONDS`` (failures for 30 s)."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(url)
    if cached is not None and cached[0] > now:
        if isinstance(cached[1], FetchError):
            raise cached[1]
        return dict(cached[1])
    _spend()  # refused (not cached): the next verification may fetch it
    try:
        body = http_get(url, timeout=float(getattr(settings, "CREDITBANK_CREDENTIAL_FETCH_TIMEOUT", 3.0)))
        try:
            value = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise FetchError("malformed", "the document is not JSON") from exc
        if not isinstance(value, dict):
            raise FetchError("malformed", "the document is not a JSON object")
    except FetchError as error:
        _store(url, now + _FAILURE_TTL, error)
        raise
    _store(url, now + float(getattr(settings, "CREDITBANK_CREDENTIAL_CACHE_SECONDS", 300)), value)
    return dict(value)


def _store(url: str, expires: float, value: Any) -> None:
    with _lock:
        if len(_cache) >= _CACHE_SIZE and url not in _cache:
            _cache.pop(next(iter(_cache)))
        _cache[url] = (expires, value)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
