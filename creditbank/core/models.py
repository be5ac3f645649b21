"""Abstract bases shared by every domain model."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """``created_at``/``updated_at`` on every row (NetBox's created/last_updated)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    pii_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True
