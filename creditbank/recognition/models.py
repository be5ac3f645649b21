"""Mutual recognition (学习成果互认): a published standard of another region's credit bank and the
mapping table that says which of their outcomes counts as which item of our catalog."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.core.models import TimeStampedModel
from creditbank.recognition.choices import StandardStatus


class RecognitionStandard(TimeStampedModel):
    """A mutual-recognition standard agreed with one partner region (长三角 credit banks publish one
    per field or programme). Only a published standard maps outcomes; outcomes stored under it
    name its partner region as their ``source_region``."""

    code = models.CharField(_("standard number"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # GB/T 2260: the partner credit bank's region (a province for the Yangtze River Delta).
    partner_region = models.ForeignKey(
        "orgs.Region", verbose_name=_("partner region"), on_delete=models.PROTECT, related_name="+"
    )
    partner_name = models.CharField(_("partner institution"), max_length=200)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=StandardStatus.choices, default=StandardStatus.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Off by default: an unsigned credential proves nothing about who issued it.
    allows_unsigned = models.BooleanField(_("accepts unsigned credentials"), default=False)
    # The partner's issuer DIDs, one per line; empty: any issuer whose signature verifies.
    trusted_issuers = models.TextField(_("trusted issuer DIDs"), blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("mutual-recognition standard")
        verbose_name_plural = _("mutual-recognition standards")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def region_code(self) -> str:
        return str(self.partner_region_id)

    def trusted_issuer_list(self) -> list[str]:
        return [line.strip() for line in self.trusted_issuers.splitlines() if line.strip()]


class RecognitionMapping(TimeStampedModel):
    """One row of a standard's mapping table: the partner's outcome (by its code, or failing that
    its exact name) counts as our catalog item ``item_code`` (its current published version), with
    the item's credits, the item's credits times ``credit_factor``, or ``fixed_credits``."""

    standard = models.ForeignKey(
        RecognitionStandard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="mappings"
    )
    partner_code = models.CharField(_("partner outcome code"), max_length=64)
    partner_name = models.CharField(_("partner outcome name"), max_length=200)
    item_code = models.CharField(_("our item code"), max_length=32)
    credit_factor = models.DecimalField(_("credit factor"), max_digits=5, decimal_places=2, null=True, blank=True)
    fixed_credits = models.DecimalField(_("fixed credits"), max_digits=6, decimal_places=1, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("mutual-recognition mapping")
        verbose_name_plural = _("mutual-recognition mappings")
        ordering = ["standard", "partner_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "partner_code"], name="recognition_mapping_partner_code_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(credit_factor__isnull=True) | models.Q(credit_factor__gte=0),
                name="recognition_mapping_factor_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(fixed_credits__isnull=True) | models.Q(fixed_credits__gte=0),
                name="recognition_mapping_credits_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_code} → {self.item_code}"
