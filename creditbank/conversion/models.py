"""Degree-upgrade programmes (专业) of the university centres, their courses and requirement
groups, and the versioned conversion rules (转换规则) that turn catalog outcomes into courses."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.catalog.pinyin import initials
from creditbank.conversion.choices import ProgrammeLevel, ProgrammeStatus, RuleMode, RuleStatus, SourceKind
from creditbank.conversion.querysets import ConversionRuleQuerySet, ProgrammeQuerySet
from creditbank.core.models import TimeStampedModel


class Programme(TimeStampedModel):
    """A degree-upgrade programme owned by one university centre, whose subtree edits it and
    its rules. ``conversion_cap`` is the share of ``total_credits`` that conversion may
    recognise at most (0 < cap ≤ 1); ``max_outcome_age_years`` how old an outcome may be."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    name_initials = models.CharField(_("name initials"), max_length=128, blank=True, editable=False)
    level = models.CharField(_("level"), max_length=16, choices=ProgrammeLevel.choices)
    org = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("university centre"), on_delete=models.PROTECT, related_name="programmes"
    )
    org_path = models.CharField(_("org path"), max_length=255, editable=False, db_index=True)
    total_credits = models.DecimalField(_("total credits"), max_digits=6, decimal_places=1)
    conversion_cap = models.DecimalField(_("conversion cap"), max_digits=4, decimal_places=3)
    max_outcome_age_years = models.PositiveSmallIntegerField(
        _("maximum age of an outcome (years)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProgrammeStatus.choices, default=ProgrammeStatus.ACTIVE
    )

    objects = ProgrammeQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(conversion_cap__gt=0, conversion_cap__lte=1), name="conversion_programme_cap_range"
            ),
            models.CheckConstraint(condition=models.Q(total_credits__gt=0), name="conversion_programme_total_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_initials = initials(self.name)[:128]
        self.org_path = self.org.path
        super().save(*args, **kwargs)

    @property
    def cap_credits(self) -> Decimal:
        """The most conversion may recognise: the cap's share of the total, rounded down to a tenth."""
        return (self.conversion_cap * self.total_credits).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


class RequirementGroup(TimeStampedModel):
    """Courses that count together: a required group (必修) needs every course; an elective
    group needs ``min_credits`` from its courses."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=64)
    required = models.BooleanField(_("required"), default=False)
    min_credits = models.DecimalField(_("minimum credits"), max_digits=6, decimal_places=1, null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("requirement group")
        verbose_name_plural = _("requirement groups")
        ordering = ["programme", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="conversion_group_programme_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Course(TimeStampedModel):
    """A course of a programme; conversion recognises it whole, never part of its credits."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="courses"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=128)
    credits = models.DecimalField(_("credits"), max_digits=5, decimal_places=1)
    group = models.ForeignKey(
        RequirementGroup, verbose_name=_("requirement group"), on_delete=models.PROTECT, related_name="courses"
    )

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["programme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="conversion_course_programme_code_unique"),
            models.CheckConstraint(condition=models.Q(credits__gt=0), name="conversion_course_credits_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ConversionRule(TimeStampedModel):
    """One version of a conversion rule. Editing a published rule adds a version (as catalog
    items do): a conversion record keeps the version it applied, ``is_current`` marks the latest.

    Sources are catalog item *codes* (``RuleSource``), so that an outcome stored under any version
    of an item counts; targets are courses of the same programme (``RuleTarget``)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="rules"
    )
    number = models.CharField(_("rule number"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=RuleStatus.choices, default=RuleStatus.DRAFT)
    is_current = models.BooleanField(_("current version"), default=True)
    mode = models.CharField(_("mode"), max_length=16, choices=RuleMode.choices)
    source_kind = models.CharField(
        _("sources needed"), max_length=8, choices=SourceKind.choices, default=SourceKind.ALL_OF
    )
    # For ``n_of_m``: how many of the sources are needed (null for ``all_of``).
    source_count = models.PositiveSmallIntegerField(_("number of sources needed"), null=True, blank=True)
    # A score as ``imports.values.parse_score`` normalises it ("60", "85.5", "良好", "A"); blank: none.
    min_score = models.CharField(_("minimum score or grade"), max_length=16, blank=True)
    min_framework_level = models.PositiveSmallIntegerField(_("minimum framework level"), null=True, blank=True)
    within_years = models.PositiveSmallIntegerField(_("achieved within (years)"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = ConversionRuleQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("conversion rule")
        verbose_name_plural = _("conversion rules")
        ordering = ["programme", "number", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number", "version"], name="conversion_rule_number_version_unique"
            ),
            models.UniqueConstraint(
                fields=["programme", "number"],
                condition=models.Q(is_current=True),
                name="conversion_rule_one_current_version",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_from__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="conversion_rule_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "is_current", "status"], name="conversion_rule_current_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"


class RuleSource(TimeStampedModel):
    """A catalog item (by code) that a rule takes as a source."""

    rule = models.ForeignKey(ConversionRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="sources")
    item_code = models.CharField(_("catalog item code"), max_length=32)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("rule source")
        verbose_name_plural = _("rule sources")
        ordering = ["rule", "id"]
        constraints = [models.UniqueConstraint(fields=["rule", "item_code"], name="conversion_source_unique")]

    def __str__(self) -> str:
        return self.item_code


class RuleTarget(TimeStampedModel):
    """A course of the rule's programme that the rule recognises."""

    rule = models.ForeignKey(ConversionRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="targets")
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="+")

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("rule target")
        verbose_name_plural = _("rule targets")
        ordering = ["rule", "id"]
        constraints = [models.UniqueConstraint(fields=["rule", "course"], name="conversion_target_unique")]

    def __str__(self) -> str:
        return str(self.course_id)


class ConversionRequest(TimeStampedModel):
    """A learner's conversion application (转换申请) to one programme: the review application
    (kind ``conversion``, handled by the programme's university centre) and what the audit
    promised when it was filed; the records are computed again when it is approved."""

    application = models.OneToOneField(
        "reviews.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="conversion_request",
    )
    learner = models.ForeignKey(
        "accounts.Learner", verbose_name=_("learner"), on_delete=models.PROTECT, related_name="conversion_requests"
    )
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="requests"
    )
    credits_applied = models.DecimalField(_("credits applied for"), max_digits=6, decimal_places=1)
    # The audit's chosen rules and courses when the learner applied (shown to the reviewer).
    snapshot = models.JSONField(_("audit when applied"), default=dict)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("conversion application")
        verbose_name_plural = _("conversion applications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.programme_id} #{self.application_id}"


class ConversionRecord(TimeStampedModel):
    """One course recognised for a learner (转换记录): the rule and the version applied, the
    credits, the outcomes it used (never usable again for this programme) and the application
    that approved it. Written in the approval's transaction, with its ledger leaf."""

    learner = models.ForeignKey(
        "accounts.Learner", verbose_name=_("learner"), on_delete=models.PROTECT, related_name="conversion_records"
    )
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="records"
    )
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="+")
    course_code = models.CharField(_("course code"), max_length=32)
    credits = models.DecimalField(_("credits"), max_digits=6, decimal_places=1)
    mode = models.CharField(_("mode"), max_length=16, choices=RuleMode.choices)
    rule = models.ForeignKey(
        ConversionRule, verbose_name=_("rule version"), on_delete=models.PROTECT, related_name="records"
    )
    rule_number = models.CharField(_("rule number"), max_length=32)
    rule_version = models.PositiveIntegerField(_("rule version"))
    # The ids of the outcomes used, ascending, comma-separated ("12,15"): plain text, as the
    # ledger digests it.
    outcome_ids = models.CharField(_("outcomes used"), max_length=1000)
    application = models.ForeignKey(
        "reviews.Application", verbose_name=_("application"), on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("university centre"), on_delete=models.PROTECT, related_name="+"
    )

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("conversion record")
        verbose_name_plural = _("conversion records")
        ordering = ["programme", "course_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "programme", "course_code"], name="conversion_record_course_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_code} ({self.rule_number} v{self.rule_version})"

    @property
    def outcome_id_list(self) -> list[int]:
        return [int(part) for part in self.outcome_ids.split(",") if part]
