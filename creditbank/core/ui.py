"""Things every page needs: the large-text mode (适老化) and the language switch."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

LARGE_TEXT_COOKIE = "cb_large_text"
LARGE_TEXT_COOKIE_AGE = 365 * 24 * 3600


def is_large_text(request: HttpRequest) -> bool:
    """On when the signed-in user chose it, or when this browser's cookie says so."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "large_text", False):
        return True
    return request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"


def ui_context(request: HttpRequest) -> dict[str, Any]:
    return {"large_text": is_large_text(request)}
