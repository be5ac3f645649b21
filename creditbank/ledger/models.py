"""The tamper-evident ledger (区块链存证): an append-only RFC 9162 Merkle log of events.

Every stored, certified or revoked outcome and every opened account appends one leaf, in the
transaction that writes the record. The tree's node hashes are stored as tiles (``tiles.py``) so
that no proof recomputes the tree; signed checkpoints fix its state for everyone else.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditbank.core.models import TimeStampedModel
from creditbank.ledger.merkle import EMPTY_ROOT


class AppendOnlyError(RuntimeError):
    pass


class LedgerLeaf(models.Model):
    """Leaf ``index`` of the log: ``leaf_hash`` = SHA-256(0x00 || data), ``data`` the RFC 8785
    canonical JSON of the event (type, record, keyed hash of the learner, digest of the record's
    content, time). Written once, never changed: no ``updated_at``; the ORM refuses updates and
    deletes, and on PostgreSQL a trigger does too.

    .. pii: none in clear — the learner appears only as a keyed hash (HMAC of the learner key).
    """

    index = models.BigIntegerField(_("index"), primary_key=True)
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    event_type = models.CharField(_("event type"), max_length=32)
    record_type = models.CharField(_("record type"), max_length=32)
    record_id = models.BigIntegerField(_("record ID"))
    data = models.TextField(_("data"))
    created_at = models.DateTimeField(_("created at"))

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("ledger leaf")
        verbose_name_plural = _("ledger leaves")
        ordering = ["index"]
        indexes = [
            # The leaves of one record (its detail page, credentials) and verify's merge with the
            # records, both in index order.
            models.Index(fields=["record_type", "record_id", "index"], name="ledger_leaf_record"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.event_type} {self.record_type}:{self.record_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("ledger leaves are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("ledger leaves are append-only")


class LedgerTile(models.Model):
    """Up to 16 consecutive node hashes of tree level ``4·level`` (``tiles.py``): full tiles
    never change, the last one of each level only grows (a PostgreSQL trigger refuses anything
    else).

    .. pii: none (hashes).
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField(_("tile level"))
    index = models.BigIntegerField(_("tile index"))
    hashes = models.BinaryField(_("hashes"), max_length=512)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("ledger tile")
        verbose_name_plural = _("ledger tiles")

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index} ({len(bytes(self.hashes)) // 32})"


class LedgerHead(models.Model):
    """The one row (pk 1) that says how big the tree is and what its root is. Appends lock it
    (SELECT … FOR UPDATE), which makes leaf indexes gapless under concurrent writers.

    .. pii: none.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(_("tree size"), default=0)
    root_hash = models.BinaryField(_("root hash"), max_length=32, default=EMPTY_ROOT)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The periodic checkpoint chain the worker runs (tasks.py); a new schedule replaces the old.
    schedule_token = models.CharField(_("checkpoint schedule"), max_length=32, blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger heads")

    def __str__(self) -> str:
        return f"{self.size} {bytes(self.root_hash).hex()[:16]}"


class Checkpoint(models.Model):
    """A signed tree head: the C2SP signed-note checkpoint (origin, size, base64 root) of the
    tree at ``size`` leaves, signed with the deployment's Ed25519 key. Written once.

    .. pii: none.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    origin = models.CharField(_("origin"), max_length=255)
    size = models.BigIntegerField(_("tree size"))
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    note = models.TextField(_("signed note"))

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.origin} {self.size}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("checkpoints are append-only")
        super().save(*args, **kwargs)


class AnchorReceipt(TimeStampedModel):
    """What an anchor (a file, a webhook) answered when a checkpoint was published to it.

    .. pii: none.
    """

    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.PROTECT, related_name="receipts"
    )
    anchor = models.CharField(_("anchor"), max_length=200)
    is_success = models.BooleanField(_("success"))
    detail = models.TextField(_("detail"), blank=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("anchor receipt")
        verbose_name_plural = _("anchor receipts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.anchor} {'ok' if self.is_success else 'failed'}"
