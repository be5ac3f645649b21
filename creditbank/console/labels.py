"""Display labels that depend on the current language."""

from __future__ import annotations

from typing import Any

from creditbank.orgs import permissions


def role_label(role: Any) -> str:
    """A default role's name in the current language; custom roles keep their stored name."""
    default = permissions.DEFAULT_ROLES.get(getattr(role, "code", ""))
    return str(default[0]) if default else str(getattr(role, "name", role))
