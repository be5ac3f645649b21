"""Factories for learners; identities come from the synthetic generator (valid check digits)."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from creditbank.accounts.choices import LearnerStatus, OpeningChannel, UserKind
from creditbank.accounts.demo_data import person
from creditbank.accounts.identity import validate_identity
from creditbank.accounts.models import Learner, User
from creditbank.accounts.numbering import reserve_account_numbers
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
    account_no = reserve_account_numbers(1)[0]
    user = None
    if password is not None:
        user = User.objects.create_user(
            username=account_no, password=password, kind=UserKind.LEARNER, display_name=identity.name
        )
    return Learner.objects.create(
        account_no=account_no,
        user=user,
        name=identity.name,
        id_type=identity.id_type,
        id_number=identity.id_number,
        id_number_hash=identity.id_number_hash,
        phone=identity.phone,
        phone_hash=identity.phone_hash,
        birth_date=identity.birth_date,
        gender=identity.gender,
        region_id=identity.region_code,
        org=org,
        org_path=org.path,
        status=status,
        opened_via=channel,
        activated_at=timezone.now() if status == LearnerStatus.ACTIVE else None,
    )
