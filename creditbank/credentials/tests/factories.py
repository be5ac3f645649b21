"""Certified outcomes for credential tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.archive.tests.factories import make_outcome


def make_certified_outcome(*, learner: Any = None, item: Any = None, **overrides: Any) -> Outcome:
    overrides.setdefault("status", OutcomeStatus.CERTIFIED)
    overrides.setdefault("certified_at", timezone.now())
    return make_outcome(learner=learner, item=item, **overrides)
