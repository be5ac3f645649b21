"""The outcome table's constraints and its data scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from creditbank.archive.models import Outcome, natural_key
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item


def test_natural_key_uses_the_certificate_number_else_the_date():
    assert natural_key("X1", certificate_no="ah-001", achieved_on=dt.date(2024, 5, 17)) == "X1|c:AH-001"
    assert natural_key("X1", achieved_on=dt.date(2024, 5, 17)) == "X1|d:2024-05-17"


@pytest.mark.django_db
def test_the_same_outcome_cannot_be_stored_twice_for_one_learner(learner_a, learner_b):
    # given
    item = make_item()
    make_outcome(learner=learner_a, item=item, achieved_on=dt.date(2024, 5, 17))
    # when / then: another learner may hold the same outcome, the same learner may not
    make_outcome(learner=learner_b, item=item, achieved_on=dt.date(2024, 5, 17))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_outcome(learner=learner_a, item=item, achieved_on=dt.date(2024, 5, 17))
    assert Outcome.objects.count() == 2


@pytest.mark.django_db
def test_credits_cannot_be_negative(learner_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_outcome(learner=learner_a, credits=Decimal("-1"))


@pytest.mark.django_db
def test_an_idempotency_key_is_unique_per_learner_and_org_when_set(learner_a, tree):
    # given
    make_outcome(learner=learner_a, org=tree.b, external_id="K-1")
    make_outcome(learner=learner_a, org=tree.b)  # no key: never conflicts
    make_outcome(learner=learner_a, org=tree.b)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        make_outcome(learner=learner_a, org=tree.b, external_id="K-1")
    assert Outcome.objects.filter(external_id="K-1").count() == 1


@pytest.mark.django_db
def test_staff_see_their_learners_whole_archive_and_what_they_deposited(
    tree, learner_a, learner_b, centre_admin, other_admin, root_admin, centre_operator
):
    # given: learner_a lives under centre A; centre B deposited one outcome for learner_a
    own = make_outcome(learner=learner_a)
    by_b = make_outcome(learner=learner_a, org=tree.b)
    of_b = make_outcome(learner=learner_b)
    # when
    visible = {
        user.username: set(Outcome.objects.visible_to(user).values_list("pk", flat=True))
        for user in (centre_admin, other_admin, root_admin, centre_operator)
    }
    # then
    assert visible == {
        "centre_admin": {own.pk, by_b.pk},
        "other_admin": {by_b.pk, of_b.pk},
        "root_admin": {own.pk, by_b.pk, of_b.pk},
        "centre_operator": {own.pk, by_b.pk},
    }


@pytest.mark.django_db
def test_nobody_without_the_action_sees_outcomes(learner_a, root_auditor, anon_client):
    make_outcome(learner=learner_a)
    assert Outcome.objects.visible_to(root_auditor).count() == 0
    assert Outcome.objects.visible_to(learner_a.user).count() == 0
    assert Outcome.objects.visible_to(None).count() == 0


@pytest.mark.django_db
def test_for_learner_is_one_archive_newest_first(learner_a, learner_b):
    older = make_outcome(learner=learner_a, achieved_on=dt.date(2020, 1, 1))
    newer = make_outcome(learner=learner_a, achieved_on=dt.date(2024, 1, 1))
    make_outcome(learner=learner_b)
    assert list(Outcome.objects.for_learner(learner_a)) == [newer, older]
    assert list(Outcome.objects.for_learner(learner_a.pk)) == [newer, older]
