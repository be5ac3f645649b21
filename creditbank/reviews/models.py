"""Applications that a service organisation reviews, and the history of each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.core.models import TimeStampedModel
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus, ReviewEventKind
from creditbank.reviews.querysets import ApplicationQuerySet


class Application(TimeStampedModel):
    """One request by a learner (opening an account, depositing an outcome; conversions later),
    moved through the steps its kind declares in ``reviews.workflow``."""

    kind = models.CharField(_("kind"), max_length=32, choices=ApplicationKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    learner = models.ForeignKey(
        "accounts.Learner", verbose_name=_("learner"), on_delete=models.PROTECT, related_name="applications"
    )
    org = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="applications"
    )
    org_path = models.CharField(_("org path"), max_length=255, db_index=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("reason"), blank=True)

    objects = ApplicationQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["org_path", "status", "submitted_at"], name="reviews_application_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReviewEvent(models.Model):
    """One step in an application's history: who, when, from which status to which, and why."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The organisation the step was taken for (the learner's steps: the handling organisation).
    org = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("event"), max_length=16, choices=ReviewEventKind.choices)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class Notification(models.Model):
    """One line of a user's inbox (站内消息): something about an application that concerns them."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    application = models.ForeignKey(
        Application, verbose_name=_("application"), null=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(_("event"), max_length=16, choices=ReviewEventKind.choices)
    text = models.CharField(_("text"), max_length=255)
    link = models.CharField(_("link"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="reviews_notification_inbox")]

    def __str__(self) -> str:
        return self.text
