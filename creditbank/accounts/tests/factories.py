"""Factories for learners; identities come from the synthetic generator (valid check digits)."""

from __future__ import annotations

import itertools
from typing import Any

from creditbank.accounts import services
from creditbank.accounts.choices import LearnerStatus, OpeningChannel
from creditbank.accounts.demo_data import person
from creditbank.accounts.identity import validate_identity
from creditbank.accounts.models import Learner
from creditbank.orgs.models import OrgUnit

_people = itertools.count(5000)


def identity_data(index: int | None = None) -> dict[str, str]:
    return person(next(_people) if index is None else index, seed=7)


def make_learner(
    org: OrgUnit,
    *,
    status: str = LearnerStatus.ACTIVE,
    password: str | None = "Learner@pass123",
    channel: str = OpeningChannel.COUNTER,
    **overrides: Any,
) -> Learner:
    data = {**identity_data(), **overrides}
    identity = validate_identity(**data)
    return services.create_learner_record(identity, org=org, channel=channel, status=status, password=password)
