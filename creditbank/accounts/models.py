"""Identity (统一身份认证) and lifelong-learning accounts (终身学习账户)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.accounts.choices import CodePurpose, Gender, IdType, LearnerStatus, OpeningChannel, UserKind
from creditbank.accounts.querysets import LearnerQuerySet
from creditbank.core import pii
from creditbank.core.models import TimeStampedModel
from creditbank.core.pii import EncryptedTextField


class User(AbstractUser):
    """One sign-in for learners and staff; a learner's username is their account number."""

    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF)
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    large_text = models.BooleanField(_("large text mode"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)

    pii_fields = ("display_name",)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF

    @property
    def is_learner(self) -> bool:
        return self.kind == UserKind.LEARNER

    def scope_paths(self, action: str) -> tuple[str, ...]:
        from creditbank.orgs import permissions

        return permissions.scope_paths(self, action)


class Learner(TimeStampedModel):
    """A resident's lifelong-learning account. ID and phone numbers are encrypted; ``*_hash``
    columns (keyed HMAC) make them unique and searchable without storing them in clear.

    .. pii: name, id_number, phone, birth_date, gender — PIPL personal information.
    """

    account_no = models.CharField(_("account number"), max_length=12)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="learner",
    )
    name = models.CharField(_("name"), max_length=64)
    id_type = models.CharField(_("ID type"), max_length=24, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = EncryptedTextField(_("ID number"))
    # Unique through Meta.constraints rather than unique=True: on PostgreSQL that also builds a
    # second, varchar_pattern_ops index for LIKE, useless on a hash and a third of the cost of a
    # bulk import's COPY (docs/performance.md).
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, editable=False)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_hash = models.CharField(_("mobile phone hash"), max_length=64, null=True, blank=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    # No index: regions are reference data that is never deleted, and no page filters learners by it yet.
    region = models.ForeignKey(
        "orgs.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    org = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("home organisation"), on_delete=models.PROTECT, related_name="learners"
    )
    # Denormalized from org.path so that the data-scope filter on millions of rows needs no join.
    org_path = models.CharField(_("org path"), max_length=255, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=LearnerStatus.choices, default=LearnerStatus.PENDING)
    opened_via = models.CharField(_("opened via"), max_length=16, choices=OpeningChannel.choices)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    objects = LearnerQuerySet.as_manager()

    pii_fields = ("name", "id_number", "phone", "birth_date", "gender")

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")
        ordering = ["-id"]
        indexes = [
            # Indexes are few on purpose: each one costs every bulk import (docs/performance.md).
            # varchar_pattern_ops lets PostgreSQL use them for the prefix (LIKE 'x%') filters of
            # data scope and name search; other databases ignore the operator classes.
            models.Index(
                fields=["org_path", "status"],
                name="accounts_learner_scope",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            models.Index(fields=["name"], name="accounts_learner_name", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account_no"], name="accounts_learner_account_no_unique"),
            models.UniqueConstraint(fields=["id_number_hash"], name="accounts_learner_id_number_hash_unique"),
            models.UniqueConstraint(fields=["phone_hash"], name="accounts_learner_phone_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{pii.mask_name(self.name)} {self.account_no}"

    @property
    def id_number_masked(self) -> str:
        return pii.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return pii.mask_phone(self.phone)


class AccountSequence(models.Model):
    """A counter row from which account numbers are reserved in blocks (works on both databases)."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    next_value = models.BigIntegerField(_("next value"), default=1)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("account number sequence")
        verbose_name_plural = _("account number sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.next_value}"


class PhoneCode(TimeStampedModel):
    """A one-time code sent by SMS; only its hash is kept, and it dies after use or 5 wrong tries."""

    phone_hash = models.CharField(_("mobile phone hash"), max_length=64, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=CodePurpose.choices)
    code_hash = models.CharField(_("code hash"), max_length=64)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("phone code")
        verbose_name_plural = _("phone codes")
        indexes = [models.Index(fields=["phone_hash", "purpose", "created_at"], name="accounts_phonecode_lookup")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(TimeStampedModel):
    """A bearer token for apps; only the SHA-256 of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


def learner_pii_state(learner: Learner) -> dict[str, Any]:
    """What the audit log keeps of a learner: masked values only."""
    return {
        "account_no": learner.account_no,
        "name": pii.mask_name(learner.name),
        "id_number": learner.id_number_masked,
        "phone": learner.phone_masked,
        "status": learner.status,
        "org": learner.org_id,
    }
