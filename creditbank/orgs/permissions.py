"""Actions, default roles, and the only two functions that read role grants.

A staff user may do ``action`` on a row owned by org ``P`` when one of their memberships is at an
ancestor-or-self of ``P`` and one of that membership's roles lists ``action``. Scope is therefore
per action: a reviewer's scope for reviewing need not be their scope for exporting.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Any] = {
    "orgs.view": _("View the service network"),
    "orgs.manage": _("Create and edit sub-organisations"),
    "staff.manage": _("Manage staff and their roles"),
    "accounts.view": _("View learners (masked)"),
    "accounts.unmask": _("View unmasked ID and phone numbers"),
    "accounts.open": _("Open accounts at the counter"),
    "accounts.import": _("Import learners in bulk"),
    "accounts.manage": _("Freeze, unfreeze and close accounts"),
    "accounts.export": _("Export learner lists"),
    "reviews.view": _("View applications"),
    "reviews.accept": _("Accept applications"),
    "reviews.first_review": _("First-review applications"),
    "reviews.certify": _("Certify deposited outcomes (certification centres)"),
    "audit.view": _("Browse the operation and login logs"),
    "catalog.propose": _("Propose learning-outcome catalog items"),
    "catalog.publish": _("Publish and retire catalog items (management centre)"),
    "archive.view": _("View learners' stored outcomes"),
    "archive.import": _("Deposit outcomes in bulk"),
    "archive.revoke": _("Revoke certified outcomes (with a reason)"),
    "conversion.manage": _("Manage programmes and conversion rules (university centres)"),
}

DEFAULT_ROLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "administrator": (
        _("Administrator"),
        (
            "orgs.view",
            "orgs.manage",
            "staff.manage",
            "accounts.view",
            "accounts.unmask",
            "accounts.open",
            "accounts.import",
            "accounts.manage",
            "accounts.export",
            "reviews.view",
            "audit.view",
            "catalog.propose",
            "catalog.publish",
            "archive.view",
            "archive.import",
            "archive.revoke",
            "conversion.manage",
        ),
    ),
    "reviewer": (
        _("Reviewer"),
        (
            "orgs.view",
            "accounts.view",
            "accounts.unmask",
            "reviews.view",
            "reviews.accept",
            "reviews.first_review",
            "reviews.certify",
            "archive.view",
        ),
    ),
    "operator": (
        _("Operator"),
        (
            "orgs.view",
            "accounts.view",
            "accounts.open",
            "accounts.import",
            "reviews.view",
            "catalog.propose",
            "archive.view",
            "archive.import",
        ),
    ),
    "auditor": (_("Auditor"), ("orgs.view", "audit.view")),
}


def grants_by_path(user: Any) -> dict[str, set[str]]:
    """{org path: actions} for a user, loaded once per user object (two queries)."""
    cached = getattr(user, "_creditbank_grants", None)
    if cached is not None:
        return cached
    from creditbank.orgs.models import Membership

    grants: dict[str, set[str]] = {}
    if (
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff_member", False)
    ):
        memberships = Membership.objects.filter(user_id=user.pk, org__status="active").prefetch_related("roles")
        for membership in memberships:
            actions = grants.setdefault(membership.org_path, set())
            for role in membership.roles.all():
                actions.update(role.actions)
    user._creditbank_grants = grants
    return grants


def scope_paths(user: Any, action: str) -> tuple[str, ...]:
    """The org paths whose subtrees ``user`` may act on for ``action``."""
    return tuple(sorted(path for path, actions in grants_by_path(user).items() if action in actions))


def can(user: Any, action: str, org_path: str | None = None) -> bool:
    """Whether ``user`` may do ``action`` at all (``org_path`` None) or on a row of that org."""
    paths = scope_paths(user, action)
    if not paths:
        return False
    if org_path is None:
        return True
    return any(org_path.startswith(path) for path in paths)


def forget(user: Any) -> None:
    """Drop the cached grants after memberships change."""
    if hasattr(user, "_creditbank_grants"):
        del user._creditbank_grants
