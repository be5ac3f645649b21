from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeLevel(models.TextChoices):
    """The level of a degree-upgrade programme (学历层次)."""

    JUNIOR_COLLEGE = "junior_college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor")


class ProgrammeStatus(models.TextChoices):
    ACTIVE = "active", _("Open")
    CLOSED = "closed", _("Closed")


class RuleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class RuleMode(models.TextChoices):
    EXEMPTION = "exemption", _("Exemption from study and examination")
    RECOGNITION = "recognition", _("Credit recognition")


class SourceKind(models.TextChoices):
    """What a rule needs: every listed catalog item, or any ``n`` of them."""

    ALL_OF = "all_of", _("All of")
    N_OF_M = "n_of_m", _("n of m")
