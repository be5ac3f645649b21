"""Bulk import jobs: one row per uploaded file, from preview to the end of the import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.core.models import TimeStampedModel
from creditbank.imports.choices import ImportKind, ImportStatus
from creditbank.imports.querysets import ImportJobQuerySet


class ImportJob(TimeStampedModel):
    """An uploaded file, its preview (counts and the first row errors) and its import.

    Live progress is published through the cache while a task runs (the row is only written at
    the end of each phase, because the import is one transaction).

    .. pii: the uploaded file and the error report hold names, ID and phone numbers; the source
       file is deleted when the job ends, the error report stays downloadable in scope.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices, default=ImportKind.LEARNERS)
    org = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("target organisation"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(_("org path"), max_length=255, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWING)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255, blank=True)
    original_filename = models.CharField(_("file name"), max_length=255)
    strict = models.BooleanField(_("import nothing when any row is bad"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    valid = models.PositiveIntegerField(_("valid rows"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    error_sample = models.JSONField(_("first row errors"), default=list, blank=True)
    error_report = models.FileField(_("error report"), upload_to="imports/reports/%Y/%m/", max_length=255, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_message = models.TextField(_("failure"), blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    pii_fields = ("file", "error_report", "error_sample")

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["org_path", "created_at"], name="imports_job_scope")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.original_filename}"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.PREVIEWING, ImportStatus.IMPORTING)

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED)
