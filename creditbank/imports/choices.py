from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    LEARNERS = "learners", _("Learners")
    OUTCOMES = "outcomes", _("Learning outcomes")


class ImportStatus(models.TextChoices):
    PREVIEWING = "previewing", _("Checking the file")
    PREVIEW_READY = "preview_ready", _("Checked, waiting for your decision")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = frozenset({ImportStatus.PREVIEWING, ImportStatus.IMPORTING})
FINISHED_STATUSES = frozenset({ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED})
