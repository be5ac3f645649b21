from django.db import models
from django.utils.translation import gettext_lazy as _


class OutcomeSource(models.TextChoices):
    """How an outcome reached the archive (shown to the learner beside every outcome)."""

    BULK = "bulk", _("Bulk deposit")
    SELF = "self", _("Self-deposit")
    INSTITUTION = "institution", _("Institution push")
    CONVERSION = "conversion", _("Conversion")
    MUTUAL_RECOGNITION = "mutual_recognition", _("Mutual recognition")


class OutcomeStatus(models.TextChoices):
    STORED = "stored", _("Stored")
    CERTIFIED = "certified", _("Certified")
    REVOKED = "revoked", _("Revoked")
