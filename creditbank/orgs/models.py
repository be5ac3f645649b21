"""The four-level service network (管理中心 → 认证中心 → 认证分中心 → 受理点) and who works where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.core.models import TimeStampedModel
from creditbank.orgs.choices import OrgCategory, OrgKind, OrgStatus, RegionLevel
from creditbank.orgs.querysets import InstitutionTokenQuerySet, OrgUnitQuerySet, RegionQuerySet


class Region(models.Model):
    """A GB/T 2260 administrative division; historical codes are kept for old ID numbers."""

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_current = models.BooleanField(_("current"), default=True)

    objects = RegionQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class OrgUnit(TimeStampedModel):
    """One node of the service network. ``path`` is materialized ("000001.000004.") so that a
    subtree is one indexed ``startswith`` on PostgreSQL and SQLite alike (docs/decisions/0002)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    category = models.CharField(_("category"), max_length=16, choices=OrgCategory.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="orgs")
    address = models.CharField(_("address"), max_length=255, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)

    objects = OrgUnitQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("service organisation")
        verbose_name_plural = _("service organisations")
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "status"], name="orgs_orgunit_kind_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_management(self) -> bool:
        return self.kind == OrgKind.MANAGEMENT


class Role(TimeStampedModel):
    """Roles are data: the actions each grants (``orgs/permissions.py`` lists the actions)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    actions = models.JSONField(_("actions"), default=list)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A staff user works for an org with some roles; scope is that org's subtree, per action."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    org = models.ForeignKey(
        OrgUnit, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), related_name="memberships")
    org_path = models.CharField(_("org path"), max_length=255, db_index=True, editable=False)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "org"], name="orgs_membership_user_org_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org}"


class InstitutionToken(TimeStampedModel):
    """An organisation's API credential for pushing outcomes (``POST /api/v1/outcomes:batch``):
    a university's or a training body's own system deposits as that organisation. Issued and
    revoked in the console; only the SHA-256 of the secret is stored, the secret is shown once."""

    org = models.ForeignKey(
        OrgUnit, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="institution_tokens"
    )
    org_path = models.CharField(_("org path"), max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=64)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InstitutionTokenQuerySet.as_manager()

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("institution API token")
        verbose_name_plural = _("institution API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.org})"
