"""Operation log and login log. The application only ever appends to them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.audit.querysets import AuditEntryQuerySet, LoginEntryQuerySet


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyModel(models.Model):
    """Rows are written once; updating or deleting one through the ORM is a bug."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("audit rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit rows are append-only")


class AuditEntry(AppendOnlyModel):
    """Who did what to which object, from where, with the state before and after (masked)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    org = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(_("org path"), max_length=255, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_entry_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"


class LoginEntry(AppendOnlyModel):
    """Every sign-in attempt. Identifiers that are personal data are stored masked."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    identifier = models.CharField(_("login name"), max_length=150, blank=True)
    identifier_hash = models.CharField(_("login name hash"), max_length=64, db_index=True)
    method = models.CharField(_("method"), max_length=32)
    is_success = models.BooleanField(_("succeeded"))
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    org_path = models.CharField(_("org path"), max_length=255, blank=True, db_index=True)

    objects = LoginEntryQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("login log entry")
        verbose_name_plural = _("login log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.identifier} {self.is_success}"
