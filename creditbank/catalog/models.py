"""The reference layer every outcome is stored against: issuers, outcome types, the ten-level
learning-outcome framework, disciplines, standards, and the versioned catalog items (学习成果名录)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.catalog.choices import IssuerKind, ItemStatus, StandardKind
from creditbank.catalog.grams import index_text
from creditbank.catalog.pinyin import initials
from creditbank.core.models import TimeStampedModel


class Issuer(TimeStampedModel):
    """Who awards an outcome: a university, college, training body, company, association, or
    another region's credit bank."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=IssuerKind.choices, default=IssuerKind.OTHER)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("issuer")
        verbose_name_plural = _("issuers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class OutcomeType(TimeStampedModel):
    """A kind of learning outcome (学历教育课程, 1+X证书, …); ``code`` drives the credit rule."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("outcome type")
        verbose_name_plural = _("outcome types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class FrameworkLevel(TimeStampedModel):
    """One level of the learning-outcome framework (the demo uses ten), with its descriptor."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=32)
    descriptor = models.TextField(_("descriptor"), blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("framework level")
        verbose_name_plural = _("framework levels")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name


class Discipline(TimeStampedModel):
    """A major (专业), by its code in the national catalogue of majors."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Standard(TimeStampedModel):
    """A certification, conversion or mutual-recognition standard, as a document."""

    number = models.CharField(_("number"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=StandardKind.choices)
    issuing_org = models.CharField(_("issuing organisation"), max_length=128)
    scope = models.CharField(_("scope"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    effective_on = models.DateField(_("effective date"), null=True, blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.title


def _attachment_path(instance: StandardAttachment, filename: str) -> str:
    # A random name under the private media root: the file is served only through a view.
    return f"standards/{instance.standard_id}/{secrets.token_hex(8)}{Path(filename).suffix.lower()[:10]}"


class StandardAttachment(TimeStampedModel):
    """A file published with a standard (the signed PDF, a mapping table). Stored outside the
    web root; anyone may download the attachments of a standard, as the standard is public."""

    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("standard attachment")
        verbose_name_plural = _("standard attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class CatalogItem(TimeStampedModel):
    """One version of a catalog item. Editing a published item adds a version; outcomes keep the
    row they were stored under, and ``is_current`` marks the latest version of each code."""

    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    name_initials = models.CharField(_("name initials"), max_length=200, blank=True, editable=False)
    # Grams of the name and initials for the PostgreSQL search index (``catalog.grams``).
    search_grams = models.TextField(_("search grams"), blank=True, editable=False)
    outcome_type = models.ForeignKey(
        OutcomeType, verbose_name=_("outcome type"), on_delete=models.PROTECT, related_name="items"
    )
    issuer = models.ForeignKey(Issuer, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="items")
    level = models.ForeignKey(
        FrameworkLevel,
        verbose_name=_("framework level"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    credits = models.DecimalField(_("credits"), max_digits=6, decimal_places=1, default=Decimal("0"))
    learning_hours = models.PositiveIntegerField(_("learning hours"), null=True, blank=True)
    validity_years = models.PositiveSmallIntegerField(_("validity in years"), null=True, blank=True)
    evidence_required = models.TextField(_("evidence required"), blank=True)
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    status = models.CharField(_("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.DRAFT)
    is_current = models.BooleanField(_("current version"), default=True)
    # The centre that proposed the item (None: the management centre or an import). Only that
    # centre's subtree may edit the draft; the management centre may edit any.
    proposed_by = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    proposed_path = models.CharField(_("proposer path"), max_length=255, blank=True, editable=False)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="catalog_item_code_version_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(is_current=True), name="catalog_item_one_current_version"
            ),
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="catalog_item_credits_not_negative"),
        ]
        indexes = [
            models.Index(fields=["is_current", "status", "code"], name="catalog_item_current_status"),
            # Code prefix search (``LIKE 'X%'``) on PostgreSQL, whatever the database collation.
            models.Index(fields=["code"], name="catalog_item_code_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["outcome_type", "is_current"], name="catalog_item_type_current"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code} v{self.version}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_initials = initials(self.name)
        self.search_grams = index_text(self.name, self.name_initials)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name_initials" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_grams"}
        super().save(*args, **kwargs)
