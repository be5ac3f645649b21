from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class IssuerKind(models.TextChoices):
    UNIVERSITY = "university", _("University")
    COLLEGE = "college", _("College")
    TRAINING = "training", _("Training body")
    COMPANY = "company", _("Company")
    ASSOCIATION = "association", _("Industry association")
    CREDIT_BANK = "credit_bank", _("Credit bank")
    AUTHORITY = "authority", _("Government authority")
    OTHER = "other", _("Other")


class StandardKind(models.TextChoices):
    CERTIFICATION = "certification", _("Certification standard")
    CONVERSION = "conversion", _("Conversion standard")
    MUTUAL_RECOGNITION = "mutual_recognition", _("Mutual-recognition standard")
