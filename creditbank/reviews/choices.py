from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationKind(models.TextChoices):
    ACCOUNT_OPENING = "account_opening", _("Account opening")
    DEPOSIT = "deposit", _("Outcome deposit")
    CONVERSION = "conversion", _("Credit conversion")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft, not yet submitted")
    SUBMITTED = "submitted", _("Submitted, waiting to be accepted")
    ACCEPTED = "accepted", _("Accepted, waiting for first review")
    FIRST_REVIEWED = "first_reviewed", _("First review passed, waiting for certification")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for supplement")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the learner")


class ReviewEventKind(models.TextChoices):
    DRAFTED = "drafted", _("Saved as a draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    APPROVED = "approved", _("Passed first review")
    RETURNED = "returned", _("Returned for supplement")
    REJECTED = "rejected", _("Rejected")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    CERTIFIED = "certified", _("Certified")
    FIRST_REVIEWED = "first_reviewed", _("First review passed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
