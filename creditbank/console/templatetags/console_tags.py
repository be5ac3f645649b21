"""Template helpers for the console layout and its lists."""

from __future__ import annotations

from typing import Any

from django import template

from creditbank.console.labels import role_label
from creditbank.console.navigation import NavItem, nav_items
from creditbank.core import pii
from creditbank.orgs import permissions

register = template.Library()

_INDENT = {0: "ps-0", 1: "ps-3", 2: "ps-4", 3: "ps-5"}


@register.simple_tag(takes_context=True)
def console_nav(context: template.Context) -> list[NavItem]:
    request = context.get("request")
    if request is None:
        return []
    return nav_items(request.user, request.path)


@register.simple_tag(takes_context=True)
def user_can(context: template.Context, action: str, org_path: str | None = None) -> bool:
    """``{% user_can "accounts.unmask" learner.org_path as can_unmask %}``."""
    request = context.get("request")
    return request is not None and permissions.can(request.user, action, org_path)


@register.filter
def indent_class(depth: Any) -> str:
    """A Bootstrap padding class for a tree row at ``depth`` (CSP forbids inline styles)."""
    try:
        level = int(depth)
    except (TypeError, ValueError):
        level = 0
    return _INDENT.get(level, "ps-5")


@register.filter
def mask_name(value: Any) -> str:
    return pii.mask_name(str(value or ""))


@register.simple_tag
def optional_url(name: str, *args: Any) -> str:
    """``reverse(name)``, or "" while the app that owns the route is not installed yet."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


register.filter("role_label", role_label)
