"""Issued verifiable credentials (可验证凭证) and the Bitstring Status Lists that revoke them."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.core.models import TimeStampedModel
from creditbank.credentials.choices import CredentialKind, StatusPurpose

# Bitstring Status List v1.0 §6.1 (herd privacy): at least 131,072 entries (16 KB) per list.
STATUS_LIST_SIZE = 131_072


def _new_permutation_key() -> str:
    return secrets.token_hex(16)


def _empty_bits() -> bytes:
    return bytes(STATUS_LIST_SIZE // 8)


class StatusList(TimeStampedModel):
    """One Bitstring Status List (W3C VC Bitstring Status List v1.0): 131,072 bits, bit ``i`` set
    when the credential with ``statusListIndex`` ``i`` is revoked. Its credential is served at
    ``/api/v1/credentials/status/<pk>``, signed on demand. Indexes are handed out in a keyed
    pseudo-random order (``statuslist.permute``), so that an index tells nothing about when or in
    which order credentials were issued (§6.3, herd privacy)."""

    purpose = models.CharField(
        _("status purpose"), max_length=16, choices=StatusPurpose.choices, default=StatusPurpose.REVOCATION
    )
    size = models.PositiveIntegerField(_("size"), default=STATUS_LIST_SIZE)
    # Left-most bit of the first byte is index 0 (§4.1 "Bitstring Encoding").
    bits = models.BinaryField(_("bits"), default=_empty_bits)
    allocated = models.PositiveIntegerField(_("allocated entries"), default=0)
    permutation_key = models.CharField(_("permutation key"), max_length=32, default=_new_permutation_key)
    # Bumped on every change, so that caches of the signed list know when they are stale.
    version = models.PositiveIntegerField(_("version"), default=0)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"status list {self.pk} ({self.allocated}/{self.size})"


class IssuedCredential(TimeStampedModel):
    """A credential as it was signed and handed out: the exact JSON text (so that a download is
    byte for byte what was signed), its index in a status list, and what it attests. A QR code
    points at ``/verify/c/<uuid>``. Never edited; revoking an outcome sets the status bit and
    ``revoked_at`` of every credential that attests it.

    .. pii: the JSON carries the learner's masked name and a keyed hash of the learner, never an
       ID number; it is still part of the learner's education record.
    """

    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=CredentialKind.choices)
    learner = models.ForeignKey(
        "accounts.Learner", verbose_name=_("learner"), on_delete=models.PROTECT, related_name="credentials"
    )
    # The outcome of an outcome credential (none for a transcript).
    outcome = models.ForeignKey(
        "archive.Outcome",
        verbose_name=_("outcome"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credentials",
    )
    # The outcomes a transcript lists (its embedded outcome credentials), so that revoking one
    # of them revokes the transcript too.
    included_outcomes = models.ManyToManyField(
        "archive.Outcome", verbose_name=_("outcomes included"), blank=True, related_name="transcripts"
    )
    document = models.TextField(_("credential JSON"))
    issuer = models.CharField(_("issuer"), max_length=255)
    verification_method = models.CharField(_("verification method"), max_length=512)
    status_list = models.ForeignKey(
        StatusList, verbose_name=_("status list"), on_delete=models.PROTECT, related_name="credentials"
    )
    status_index = models.PositiveIntegerField(_("status list index"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    pii_fields = ("document",)

    class Meta:
        verbose_name = _("issued credential")
        verbose_name_plural = _("issued credentials")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["uuid"], name="credentials_uuid_unique"),
            models.UniqueConstraint(fields=["status_list", "status_index"], name="credentials_status_entry_uniq"),
        ]
        indexes = [
            models.Index(fields=["learner", "kind", "-created_at"], name="credentials_learner_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid}"

    @property
    def urn(self) -> str:
        return f"urn:uuid:{self.uuid}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def as_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.document))
