"""The loader: a fixed number of queries per programme, one per chunk of learners in a batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditbank.accounts.tests.factories import make_learner
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion import selectors, services
from creditbank.conversion.tests.factories import course, make_programme, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(tree):
    items = [make_item(code=f"X{n}", name=f"证书{n}", type="one_plus_x", level=4 + n % 3) for n in range(4)]
    programme = make_programme(
        tree.b,
        code="CS",
        courses={"C1": (3, "必修"), "C2": (2, "必修"), "C3": (4, "选修"), "C4": (2, "选修")},
        total=30,
        cap="0.4",
    )
    make_rule(programme, "R1", "X0", "C1")
    make_rule(programme, "R2", "X1", "C1+C2")
    make_rule(programme, "R3", "X2|X3", "C3", min_level="5")
    make_rule(programme, "R4", "X3", "C4", min_score="80")
    return programme, items


def test_the_programme_loads_in_a_fixed_number_of_queries(setup, django_assert_num_queries):
    # given
    programme, _items = setup
    group = course(programme, "C1").group
    # when / then
    with django_assert_num_queries(5):  # groups, courses, rules, their sources, their targets with courses
        few = selectors.programme_spec(programme)
    for number in range(30):
        services.save_course(programme, code=f"E{number}", name="选修", credits=Decimal(1), group=group, actor=None)
        make_rule(programme, f"S{number:02d}", "X0", f"E{number}")
    with django_assert_num_queries(5):
        many = selectors.programme_spec(programme)
    assert (len(few.rules), len(many.rules), len(many.courses)) == (4, 34, 34)


def test_only_counting_outcomes_of_the_rules_items_are_loaded(setup, tree):
    # given
    programme, items = setup
    learner = make_learner(tree.a_point)
    kept = make_outcome(learner=learner, item=items[0], score="90")
    certified = make_outcome(learner=learner, item=items[1], status="certified")
    make_outcome(learner=learner, item=items[2], status="revoked")
    make_outcome(learner=learner, item=make_item(code="OTHER", name="无关"))
    spec = selectors.programme_spec(programme)
    # when
    outcomes = selectors.learner_outcomes(learner.pk, selectors.source_codes(spec))
    loaded = selectors.load_programme(programme, as_of=timezone.localdate())
    with_levels = selectors.learner_outcomes(learner.pk, loaded.codes, loaded.levels)
    # then
    assert sorted((o.id, o.item_code, o.level) for o in outcomes) == sorted(
        [(kept.pk, "X0", 4), (certified.pk, "X1", 5)]
    )
    assert sorted(outcomes, key=lambda o: o.id) == sorted(with_levels, key=lambda o: o.id)


def test_the_batch_answers_as_single_audits_with_one_query_per_chunk(setup, tree, django_assert_num_queries):
    # given
    programme, items = setup
    today = timezone.localdate()
    learners = [make_learner(tree.a_point) for _ in range(5)]
    for index, learner in enumerate(learners):
        for offset, item in enumerate(items[: index + 1]):
            make_outcome(
                learner=learner,
                item=item,
                score=("90", "70")[offset % 2],
                achieved_on=today - dt.timedelta(days=offset),
            )
    ids = [learner.pk for learner in learners]
    # when
    # the stamp, the programme, the item levels, 3 chunks of 2 (their outcomes and their conversion records)
    with django_assert_num_queries(1 + 5 + 1 + 3 * 2):
        batch = dict(selectors.audit_learners(programme, ids, chunk_size=2))
    # then
    single = {learner.pk: selectors.audit_learner(learner, programme).selection for learner in learners}
    assert {key: value.credits for key, value in batch.items()} == {key: value.credits for key, value in single.items()}
    assert [batch[learner_id].credits for learner_id in ids] == [
        Decimal("3.0"),
        Decimal("5.0"),
        Decimal("9.0"),
        Decimal("9.0"),
        Decimal("9.0"),
    ]
    assert {key: [c.rule.number for c in value.chosen] for key, value in batch.items()} == {
        key: [c.rule.number for c in value.chosen] for key, value in single.items()
    }


def test_the_compiled_programme_is_reused_until_something_in_it_changes(setup, django_assert_num_queries):
    # given
    programme, _items = setup
    today = timezone.localdate()
    first = selectors.load_programme(programme, as_of=today)
    # when
    with django_assert_num_queries(1):
        again = selectors.load_programme(programme, as_of=today)
    make_rule(programme, "R5", "X0", "C4")
    changed = selectors.load_programme(programme, as_of=today)
    services.retire_rule(programme.rules.get(number="R5"), actor=None)
    retired = selectors.load_programme(programme, as_of=today)
    tomorrow = selectors.load_programme(programme, as_of=today + dt.timedelta(days=1))
    # then
    assert again is first
    assert [len(loaded.compiled.programme.rules) for loaded in (first, changed, retired)] == [4, 5, 4]
    assert tomorrow is not retired
