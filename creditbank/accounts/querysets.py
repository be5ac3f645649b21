from __future__ import annotations

from typing import TYPE_CHECKING

from creditbank.core.querysets import ScopedQuerySet

if TYPE_CHECKING:
    from creditbank.accounts.models import Learner  # noqa: F401


class LearnerQuerySet(ScopedQuerySet["Learner"]):
    scope_path = "org_path"
    view_action = "accounts.view"

    def active(self) -> LearnerQuerySet:
        return self.filter(status="active")
