"""The unread count of the inbox, for the header of every page (one indexed count, only for
signed-in users, and only when a template asks for it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def inbox(request: HttpRequest) -> dict[str, Any]:
    from creditbank.reviews.notifications import unread_count

    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(getattr(request, "user", None)))}
