"""The only way views, the API and the CLI fetch one Learner. Out of scope looks like missing."""

from __future__ import annotations

from typing import Any

from creditbank.accounts.errors import AccountErrorCode
from creditbank.accounts.models import Learner
from creditbank.core.errors import Forbidden, NotFound
from creditbank.orgs import permissions


def access_learner(actor: Any, account_no: str, *, action: str = "accounts.view") -> Learner:
    try:
        learner = Learner.objects.visible_to(actor).select_related("org", "region", "user").get(account_no=account_no)
    except Learner.DoesNotExist:
        raise NotFound(code=AccountErrorCode.LEARNER_NOT_FOUND) from None
    if action != "accounts.view" and not permissions.can(actor, action, learner.org_path):
        raise Forbidden(code="role_cannot_" + action.replace(".", "_"))
    return learner
