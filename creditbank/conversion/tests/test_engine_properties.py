"""Hypothesis properties of the choice: exact (equal to brute force over every subset of every
rule instance, tie-breaking included), within the cap, each outcome and course used once, and
monotone (another outcome never lowers the credits recognised)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from creditbank.conversion import engine
from creditbank.conversion.engine import CourseSpec, GroupSpec, History, OutcomeFact, ProgrammeSpec, RuleSpec

AS_OF = dt.date(2025, 6, 1)
ITEMS = ("A", "B", "C")
SCORES = ("", "55", "75", "88", "95", "良好", "优秀", "一等奖")
MINIMUMS = ("", "", "", "", "60", "80", "良好", "二等奖")
CREDITS = (Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("3"), Decimal("4"), Decimal("6"))


@st.composite
def scenarios(draw, *, plain=False):
    """A small programme, rules and outcomes. ``plain``: no conditions and no history, and an
    outcome of every item, so that many rules apply and compete."""
    course_count = draw(st.integers(1, 6))
    courses = tuple(
        CourseSpec(
            code=f"C{index}",
            name=f"C{index}",
            credits=draw(st.sampled_from(CREDITS)),
            group=draw(st.sampled_from(("必修", "选修"))),
        )
        for index in range(course_count)
    )
    groups = (GroupSpec("必修", True), GroupSpec("选修", False, Decimal("3")))
    rules = []
    for index in range(draw(st.integers(1, 6))):
        sources = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3, unique=True))
        targets = draw(st.lists(st.sampled_from([c.code for c in courses]), min_size=1, max_size=2, unique=True))
        n_of_m = len(sources) > 1 and draw(st.booleans())
        rules.append(
            RuleSpec(
                id=index + 1,
                number=draw(st.sampled_from(("R1", "R2", "R3", "R4", "R5", "R6"))) + f"-{index}",
                version=draw(st.integers(1, 2)),
                mode=draw(st.sampled_from(("exemption", "recognition"))),
                sources=tuple(sources),
                targets=tuple(targets),
                source_count=draw(st.integers(1, len(sources))) if n_of_m else None,
                min_score="" if plain else draw(st.sampled_from(MINIMUMS)),
                min_level=None if plain else draw(st.sampled_from((None, None, None, 3, 5))),
                within_years=None if plain else draw(st.sampled_from((None, None, None, 2, 5))),
                effective_to=None if plain else draw(st.sampled_from((None,) * 7 + (dt.date(2025, 1, 1),))),
            )
        )
    programme = ProgrammeSpec(
        id=1,
        code="P",
        name="P",
        total_credits=sum((c.credits for c in courses), Decimal(draw(st.integers(0, 6)))),
        cap=draw(st.sampled_from((Decimal("0.3"), Decimal("0.5"), Decimal("0.75"), Decimal("1")))),
        groups=groups,
        courses=courses,
        rules=tuple(rules),
        max_outcome_age_years=None if plain else draw(st.sampled_from((None, 4))),
    )
    outcomes = [_outcome(draw, index + 1) for index in range(draw(st.integers(1, 7)))]
    if plain:
        outcomes += [_outcome(draw, len(outcomes) + 1 + index, item) for index, item in enumerate(ITEMS)]
        return programme, outcomes, History()
    used = frozenset(o.id for o in outcomes if draw(st.integers(0, 9)) == 9)
    recognised = frozenset(c.code for c in courses if draw(st.integers(0, 9)) == 9)
    return programme, outcomes, History(used_outcome_ids=used, recognised_courses=recognised)


def _outcome(draw, outcome_id, item_code=None):
    return OutcomeFact(
        id=outcome_id,
        item_code=item_code or draw(st.sampled_from(ITEMS)),
        achieved_on=draw(
            st.sampled_from((dt.date(2019, 3, 1), dt.date(2022, 1, 1), dt.date(2024, 5, 17), dt.date(2024, 9, 1)))
        ),
        score=draw(st.sampled_from(SCORES)),
        level=draw(st.sampled_from((None, 4, 6, 6))),
    )


def _summary(selection):
    return (
        selection.credits,
        selection.key,
        tuple((chosen.rule.id, chosen.outcome_ids) for chosen in selection.chosen),
    )


SCENARIOS = st.one_of(scenarios(), scenarios(plain=True))
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(SCENARIOS)
def test_equals_brute_force(scenario):
    # given
    programme, outcomes, history = scenario
    compiled = engine.compile_programme(programme, as_of=AS_OF)
    try:
        expected = engine.brute_force(compiled, outcomes, history)
    except ValueError:
        assume(False)
    # when
    chosen = engine.choose(compiled, outcomes, history)
    # then
    assert expected is not None
    assert _summary(chosen) == _summary(expected)
    event(f"rules chosen: {min(len(chosen.chosen), 3)}")


@PROPERTY_SETTINGS
@given(SCENARIOS)
def test_never_exceeds_the_cap_nor_uses_an_outcome_or_course_twice(scenario):
    # given
    programme, outcomes, history = scenario
    # when
    result = engine.audit(programme, outcomes, as_of=AS_OF, history=history)
    # then
    for reason in sorted({alternative.reason for alternative in result.alternatives}):
        event(f"alternative passed over: {reason}")
    assert result.previous_credits + result.recognised_credits <= programme.cap_credits or (
        result.recognised_credits == 0
    )
    used = [outcome_id for chosen in result.selection.chosen for outcome_id in chosen.outcome_ids]
    courses = [code for chosen in result.selection.chosen for code in chosen.courses]
    assert len(used) == len(set(used))
    assert set(used).isdisjoint(history.used_outcome_ids)
    assert len(courses) == len(set(courses))
    assert set(courses).isdisjoint(history.recognised_courses)
    assert sum((chosen.credits for chosen in result.selection.chosen), Decimal("0.0")) == result.recognised_credits


@PROPERTY_SETTINGS
@given(SCENARIOS)
def test_chosen_rules_apply_and_their_outcomes_qualify(scenario):
    # given
    programme, outcomes, history = scenario
    # when
    result = engine.audit(programme, outcomes, as_of=AS_OF, history=history)
    # then
    checks = {check.rule.id: check for check in result.checks}
    for chosen in result.selection.chosen:
        check = checks[chosen.rule.id]
        assert check.applicable is True
        assert len(chosen.outcome_ids) == chosen.rule.needed
        for outcome_id, item_code in zip(chosen.outcome_ids, chosen.item_codes, strict=True):
            source = next(s for s in check.sources if s.item_code == item_code)
            assert outcome_id in source.qualifying
    for check in result.checks:
        assert check.applicable is (not check.findings)


@PROPERTY_SETTINGS
@given(SCENARIOS, st.data())
def test_another_outcome_never_lowers_the_credits(scenario, data):
    # given
    programme, outcomes, history = scenario
    compiled = engine.compile_programme(programme, as_of=AS_OF)
    extra = _outcome(data.draw, 99)
    # when
    before = engine.choose(compiled, outcomes, history).credits
    after = engine.choose(compiled, [*outcomes, extra], history).credits
    # then
    assert after >= before


@PROPERTY_SETTINGS
@given(SCENARIOS)
def test_the_full_audit_and_the_batch_path_agree(scenario):
    # given
    programme, outcomes, history = scenario
    compiled = engine.compile_programme(programme, as_of=AS_OF)
    # when
    fast = engine.choose(compiled, outcomes, history)
    full = engine.audit(compiled, list(reversed(outcomes)), history=history).selection
    # then
    assert _summary(fast) == _summary(full)


@PROPERTY_SETTINGS
@given(SCENARIOS)
def test_the_best_total_with_each_passed_over_rule_equals_brute_force(scenario):
    # given
    programme, outcomes, history = scenario
    compiled = engine.compile_programme(programme, as_of=AS_OF)
    result = engine.audit(compiled, outcomes, history=history)
    # when / then
    for alternative in result.alternatives:
        try:
            expected = engine.brute_force(compiled, outcomes, history, forced_rule_id=alternative.rule.id)
        except ValueError:
            assume(False)
        assert alternative.best_with == (expected.credits if expected is not None else None)
        assert alternative.best_with is None or alternative.best_with <= result.recognised_credits
