"""The archive (个人终身学习档案): every learning outcome stored for a learner."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.querysets import EvidenceQuerySet, OutcomeQuerySet
from creditbank.core.models import TimeStampedModel

NATURAL_KEY_LENGTH = 100  # item code (32) + "|c:" + certificate number (64)


def natural_key(item_code: str, *, certificate_no: str = "", achieved_on: dt.date | None = None) -> str:
    """What makes two rows the same outcome of one learner: the item and the certificate number,
    or the item and the date when there is no certificate number (issue 4). The item *code*, not
    the version, so that a new version of an item does not let the same outcome in twice."""
    if certificate_no:
        return f"{item_code}|c:{certificate_no.upper()}"
    if achieved_on is None:
        raise ValueError("an outcome without a certificate number needs its date")
    return f"{item_code}|d:{achieved_on.isoformat()}"


class Outcome(TimeStampedModel):
    """One stored learning outcome (学习成果) of one learner, under the catalog item version it was
    stored against. The table that reaches ten million rows: every index on it is paid for by
    every bulk deposit, so each one below says which query needs it (docs/performance.md).

    ``learner_id`` is the distribution key (Citus, docs/deploy.md): both unique indexes start with it.

    .. pii: no identifiers are stored here, but the row is part of a person's education record
       (PIPL): it is served only to the learner and to staff in scope; ``note`` is the learner's
       free text.
    """

    # No index of its own: the (learner, natural key) unique index starts with it and serves the
    # archive, the duplicate check and the foreign key.
    learner = models.ForeignKey(
        "accounts.Learner",
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="outcomes",
        db_index=False,
    )
    # No index: items are versioned and retired, never deleted, so nothing looks outcomes up by
    # item version yet; counts per item (dashboards) will add one when they exist.
    # No database constraint either (db_constraint=False, here and on org and import_job): a
    # foreign-key check is a row lock on the referenced row for every inserted outcome, and a
    # bulk deposit references a few hundred items and one org a million times. Measured on a
    # million-row COPY: 6.4 s without foreign keys, 10.3 s with the learner's, 24.1 s with the
    # learner's, the item's and the org's (docs/performance.md). Items and orgs are never
    # deleted (retired, closed), PROTECT still refuses a delete through the ORM, and every writer
    # resolves them inside its own transaction. The learner's constraint stays: it is the
    # distribution key and the one reference a wrong row could break.
    item = models.ForeignKey(
        "catalog.CatalogItem",
        verbose_name=_("catalog item"),
        on_delete=models.PROTECT,
        related_name="outcomes",
        db_index=False,
        db_constraint=False,
    )
    # Denormalised from the item: the natural key must survive new versions of the item.
    item_code = models.CharField(_("item code"), max_length=32)
    # The depositing (owning) organisation. No index: organisations are never deleted, and the
    # scope filter reaches rows through the learner or by primary key (querysets.py).
    org = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("depositing organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    org_path = models.CharField(_("org path"), max_length=255, editable=False)
    source = models.CharField(_("source"), max_length=24, choices=OutcomeSource.choices)
    # Mutual recognition (互认): the GB/T 2260 code of the partner region whose credit bank the
    # outcome came from; blank for our own. A database default, so that the bulk writers' COPY
    # column lists need not name it.
    source_region = models.CharField(_("source region"), max_length=6, blank=True, default="", db_default="")
    status = models.CharField(_("status"), max_length=16, choices=OutcomeStatus.choices, default=OutcomeStatus.STORED)
    # Numbers (86, 92.5) or grade words (优秀, 良好, 合格, A); blank when the outcome has no score.
    score = models.CharField(_("score"), max_length=16, blank=True)
    achieved_on = models.DateField(_("date achieved"))
    certificate_no = models.CharField(_("certificate number"), max_length=64, blank=True)
    hours = models.PositiveIntegerField(_("learning hours"), null=True, blank=True)
    credits = models.DecimalField(_("credits"), max_digits=6, decimal_places=1, default=Decimal("0"))
    natural_key = models.CharField(_("natural key"), max_length=NATURAL_KEY_LENGTH, editable=False)
    # The console import that stored it (none for the command line). No index: jobs are never
    # deleted, and "the outcomes of this job" is not a query anything runs. No constraint: see item.
    import_job = models.ForeignKey(
        "imports.ImportJob",
        verbose_name=_("import job"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # An institution's idempotency key for a pushed record (null for everything else).
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True)
    certified_at = models.DateTimeField(_("certified at"), null=True, blank=True)
    certified_by_org = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("certified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(_("description"), blank=True)
    # A certified outcome is never edited: when it proves wrong it is revoked, with the reason the
    # learner reads. Database defaults, so that the bulk writers' COPY column lists need not name them.
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True, db_default="")

    objects = OutcomeQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("learning outcome")
        verbose_name_plural = _("learning outcomes")
        ordering = ["-achieved_on", "-id"]
        constraints = [
            # The duplicate rule, and the only index besides the primary key on the bulk path:
            # it also serves the archive (learner_id = ?) and the learner foreign key.
            models.UniqueConstraint(fields=["learner", "natural_key"], name="archive_outcome_natural_key_unique"),
            # Idempotency of institution pushes. Partial, so that bulk and self deposits (null)
            # neither pay for it nor appear in it; it starts with learner_id because Citus can
            # only enforce a unique index that contains the distribution column, and a pushed
            # record always names its learner, so a retried record is found exactly.
            models.UniqueConstraint(
                fields=["learner", "org", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="archive_outcome_external_id_unique",
            ),
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="archive_outcome_credits_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item_code} {self.achieved_on:%Y-%m-%d}"


class Deposit(TimeStampedModel):
    """What a learner asks to store (自主存入): a catalog item, or "other" described in free text,
    with the facts and the evidence. It travels as a review application of kind ``deposit``;
    certifying it (the review workflow) stores the ``outcome``.

    .. pii: part of the learner's education record; ``note`` and ``other_*`` are their free text.
    """

    application = models.OneToOneField(
        "reviews.Application", verbose_name=_("application"), on_delete=models.PROTECT, related_name="deposit"
    )
    learner = models.ForeignKey(
        "accounts.Learner", verbose_name=_("learner"), on_delete=models.PROTECT, related_name="deposits"
    )
    # None: "other", an outcome the catalog does not list yet (described below).
    item = models.ForeignKey(
        "catalog.CatalogItem",
        verbose_name=_("catalog item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    other_name = models.CharField(_("outcome name"), max_length=200, blank=True)
    other_issuer = models.CharField(_("awarded by"), max_length=128, blank=True)
    achieved_on = models.DateField(_("date achieved"))
    score = models.CharField(_("score"), max_length=16, blank=True)
    certificate_no = models.CharField(_("certificate number"), max_length=64, blank=True)
    hours = models.PositiveIntegerField(_("learning hours"), null=True, blank=True)
    note = models.TextField(_("description"), blank=True)
    outcome = models.OneToOneField(
        Outcome,
        verbose_name=_("stored outcome"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deposit",
    )

    pii_fields = ("note", "other_name", "other_issuer")

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.item.name if self.item_id and self.item else self.other_name

    @property
    def title(self) -> str:
        return str(self)


def _evidence_path(instance: Evidence, filename: str) -> str:
    # A random name per learner under the private media root (never served as a static file).
    suffix = Path(filename).suffix.lower()[:10]
    return f"evidence/{instance.learner_id}/{secrets.token_hex(12)}{suffix}"


class Evidence(TimeStampedModel):
    """A file that proves an outcome (a certificate scan, a transcript): PDF, JPG or PNG, its type
    checked from the content. Stored outside the web root and served only through views that
    check the learner or the staff member's scope.

    .. pii: scans of certificates carry names, ID numbers and photos.
    """

    learner = models.ForeignKey(
        "accounts.Learner", verbose_name=_("learner"), on_delete=models.PROTECT, related_name="evidence"
    )
    deposit = models.ForeignKey(
        Deposit, verbose_name=_("deposit"), null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    objects = EvidenceQuerySet.as_manager()

    pii_fields = ("file", "filename")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
