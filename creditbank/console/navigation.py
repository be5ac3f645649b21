"""The console's sections and the role action each needs; the layout shows only those allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from creditbank.orgs import permissions


@dataclass(frozen=True, slots=True)
class Section:
    label: Promise
    url_name: str
    action: str | None  # None: every console user
    fallback_path: str = ""  # for sections whose app may not be installed yet


@dataclass(frozen=True, slots=True)
class NavItem:
    label: Promise
    url: str
    is_active: bool


SECTIONS: tuple[Section, ...] = (
    Section(_("Dashboard"), "console:dashboard", None),
    Section(_("Messages"), "reviews:console-inbox", None),
    Section(_("Service network"), "orgs:org-list", "orgs.view"),
    Section(_("Staff"), "orgs:staff-list", "staff.manage"),
    Section(_("Roles"), "orgs:role-list", "staff.manage"),
    Section(_("Learners"), "learners:learner-list", "accounts.view"),
    Section(_("Open an account"), "learners:learner-open", "accounts.open"),
    Section(_("Bulk import"), "imports:job-list", "accounts.import", fallback_path="/console/imports/"),
    Section(_("Deposit outcomes in bulk"), "imports:outcome-create", "archive.import"),
    Section(_("Review queue"), "reviews:queue", "reviews.view"),
    Section(_("Outcome catalog"), "catalog:item-list", "catalog.propose"),
    Section(_("Standards"), "catalog:standard-list", "catalog.propose"),
    Section(_("Programmes and conversion rules"), "conversion:programme-list", "conversion.manage"),
    Section(_("Operation log"), "audit:entry-list", "audit.view"),
    Section(_("Login log"), "audit:login-list", "audit.view"),
)


def _url(section: Section) -> str:
    try:
        return reverse(section.url_name)
    except NoReverseMatch:
        return section.fallback_path


def nav_items(user: Any, current_path: str) -> list[NavItem]:
    """The sections ``user`` may open, the one holding ``current_path`` marked active."""
    items: list[NavItem] = []
    urls = [(section, _url(section)) for section in SECTIONS]
    # The longest matching URL wins, so "/console/learners/open/" is not also "Learners".
    matches = [
        url for section, url in urls if url and section.url_name != "console:dashboard" and current_path.startswith(url)
    ]
    active_url = max(matches, key=len) if matches else ""
    for section, url in urls:
        if not url:
            continue
        if section.action is not None and not permissions.can(user, section.action):
            continue
        is_active = url == active_url if section.url_name != "console:dashboard" else current_path == url
        items.append(NavItem(label=section.label, url=url, is_active=is_active))
    return items
