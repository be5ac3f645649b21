"""Who hears about a step of an application, and how: the in-app inbox (站内消息) always, and SMS
for the events a deployment switches on (``CREDITBANK_SMS_EVENTS``, e.g. "returned,rejected,certified").

- The learner hears about every step staff take on their application (accepted, returned,
  rejected, certified, approved), without the name of who took it.
- The staff of the handling organisation who may accept (``reviews.accept`` granted at that
  organisation itself) hear about new, resubmitted and withdrawn applications.

Called inside the step's transaction; the SMS goes out only once the step is committed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from creditbank.reviews.choices import ApplicationKind, ReviewEventKind
from creditbank.reviews.models import Application, Notification

logger = logging.getLogger(__name__)

E = ReviewEventKind
LEARNER_EVENTS = frozenset({E.ACCEPTED, E.FIRST_REVIEWED, E.RETURNED, E.REJECTED, E.CERTIFIED, E.APPROVED})
STAFF_EVENTS = frozenset({E.SUBMITTED, E.RESUBMITTED, E.WITHDRAWN})


def _learner_text(application: Application, event: str) -> str:
    what = application.get_kind_display()
    texts: dict[str, Any] = {
        E.ACCEPTED: _("Your application ({what}) was accepted and is being reviewed."),
        E.FIRST_REVIEWED: _("Your application ({what}) passed the first review; certification follows."),
        E.RETURNED: _("Your application ({what}) was returned: something needs to be added. See the reason."),
        E.REJECTED: _("Your application ({what}) was not approved. See the reason."),
        E.CERTIFIED: _("Your outcome was certified and stored in your archive."),
        E.APPROVED: _("Your application ({what}) was approved."),
    }
    return str(texts[event]).format(what=what)


def _learner_link(application: Application) -> str:
    deposit = getattr(application, "deposit", None) if application.kind == ApplicationKind.DEPOSIT else None
    return reverse("archive:me-deposit", args=[deposit.pk]) if deposit is not None else reverse("accounts:me")


def notify(application: Application, event: str) -> list[Notification]:
    """Write the inbox lines for ``event`` on ``application`` (and queue the SMS, if switched on)."""
    made: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        if event in LEARNER_EVENTS and application.learner.user_id is not None:
            text = _learner_text(application, event)
            made.append(
                Notification.objects.create(
                    recipient_id=application.learner.user_id,
                    application=application,
                    event=event,
                    text=text[:255],
                    link=_learner_link(application),
                )
            )
            if event in settings.CREDITBANK_SMS_EVENTS:
                _sms_on_commit(application, text)
        if event in STAFF_EVENTS:
            text = str(
                _("{kind} #{number} from {name} is waiting ({event}).").format(
                    kind=application.get_kind_display(),
                    number=application.pk,
                    name=application.learner.name[:1] + "*",
                    event=E(event).label,
                )
            )
            link = reverse("reviews:application-detail", args=[application.pk])
            made.extend(
                Notification.objects.bulk_create(
                    Notification(recipient_id=user_id, application=application, event=event, text=text[:255], link=link)
                    for user_id in _staff_to_tell(application)
                )
            )
    return made


def _staff_to_tell(application: Application) -> list[int]:
    from creditbank.orgs.models import Membership

    memberships = Membership.objects.filter(org_id=application.org_id, user__is_active=True).prefetch_related("roles")
    return sorted(
        {
            membership.user_id
            for membership in memberships
            if any("reviews.accept" in role.actions for role in membership.roles.all())
        }
    )


def _sms_on_commit(application: Application, text: str) -> None:
    from creditbank.accounts.sms import get_backend

    phone = application.learner.phone

    def send() -> None:
        try:
            get_backend().send_message(phone, text)
        except Exception:  # a gateway failure must not undo the step; the inbox has it
            logger.exception("SMS for application %s failed", application.pk)

    if phone:
        transaction.on_commit(send)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
