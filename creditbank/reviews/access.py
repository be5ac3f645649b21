"""The only way views and the API fetch one Application. Out of scope looks like missing."""

from __future__ import annotations

from typing import Any

from creditbank.core.errors import Forbidden, NotFound
from creditbank.orgs import permissions
from creditbank.reviews.models import Application


def access_application(actor: Any, pk: int, *, action: str = "reviews.view") -> Application:
    try:
        application = Application.objects.visible_to(actor).select_related("learner", "org").get(pk=pk)
    except (Application.DoesNotExist, ValueError):
        raise NotFound(code="application_not_found") from None
    if action != "reviews.view" and not permissions.can(actor, action, application.org_path):
        raise Forbidden(code="role_cannot_" + action.replace(".", "_"))
    return application
