"""The only way views and the API fetch one OrgUnit for staff work."""

from __future__ import annotations

from typing import Any

from creditbank.core.errors import Forbidden, NotFound
from creditbank.orgs import permissions
from creditbank.orgs.errors import OrgErrorCode
from creditbank.orgs.models import OrgUnit


def access_org(actor: Any, code: str, *, action: str = "orgs.view") -> OrgUnit:
    try:
        org = OrgUnit.objects.visible_to(actor).select_related("parent", "region").get(code=code)
    except OrgUnit.DoesNotExist:
        raise NotFound(code=OrgErrorCode.ORG_NOT_FOUND) from None
    if action != "orgs.view" and not permissions.can(actor, action, org.path):
        raise Forbidden(code="role_cannot_" + action.replace(".", "_"))
    return org
