from django.db import models
from django.utils.translation import gettext_lazy as _


class CredentialKind(models.TextChoices):
    """What an issued credential attests: one certified outcome, or the archive as a transcript."""

    OUTCOME = "outcome", _("Outcome credential")
    TRANSCRIPT = "transcript", _("Transcript credential")


class StatusPurpose(models.TextChoices):
    # Bitstring Status List v1.0 §2.1: only revocation is used; a revoked outcome is never restored.
    REVOCATION = "revocation", _("Revocation")
