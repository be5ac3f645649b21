"""The request being served, for audit rows written deep inside services (IP, user agent)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class RequestInfo:
    ip: str | None
    user_agent: str


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("creditbank_request", default=None)


def client_ip(request: HttpRequest) -> str | None:
    # Behind a trusted proxy set REMOTE_ADDR correctly there (docs/deploy.md); never trust X-Forwarded-For blindly.
    return request.META.get("REMOTE_ADDR") or None


def current() -> RequestInfo | None:
    return _current.get()


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(
            RequestInfo(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
