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


def access_for_step(actor: Any, pk: int) -> Application:
    """``access_application`` for a step someone wants to take: an attempt on an application that
    exists outside the actor's scope is written to the operation log (it still answers 404)."""
    try:
        return access_application(actor, pk)
    except NotFound:
        outside = Application.objects.filter(pk=pk).only("pk", "org_path", "status").first() if pk else None
        if outside is not None:
            from creditbank.audit import services as audit

            audit.record(
                actor=actor,
                action="reviews.refused",
                obj=outside,
                after={"code": "out_of_scope", "status": outside.status},
            )
        raise
