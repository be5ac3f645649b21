"""The engine on hand-made programmes: each rule kind, conditions, the cap, single use, expiry,
what-if, the degree audit and the explanation. Pure: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from creditbank.conversion import engine
from creditbank.conversion.engine import (
    GroupSpec,
    History,
    HypotheticalItem,
    Passed,
    Reason,
    TieBreak,
    compile_programme,
)
from creditbank.conversion.tests.builders import AS_OF, course, outcome, programme, rule


def _audit(spec, outcomes, **kwargs):
    return engine.audit(spec, outcomes, as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def _check(result, number):
    return next(check for check in result.checks if check.rule.number == number)


def _chosen(result):
    return [(chosen.rule.number, chosen.courses, chosen.outcome_ids) for chosen in result.selection.chosen]


# --- rule kinds ----------------------------------------------------------------------------------


def test_single_source_rule_recognises_its_courses_with_the_outcome_used():
    # given
    spec = programme([course("C1", 4), course("C2", 2)], [rule("R1", ["X"], ["C1", "C2"])])
    x = outcome("X", outcome_id=7)
    # when
    result = _audit(spec, [x])
    # then
    assert result.recognised_credits == Decimal("6.0")
    assert _chosen(result) == [("R1", ("C1", "C2"), (7,))]
    assert result.selection.chosen[0].item_codes == ("X",)
    assert _check(result, "R1").applicable is True


def test_all_of_rule_needs_every_source():
    # given
    spec = programme([course("C1")], [rule("R1", ["X", "Y"], ["C1"])])
    # when
    partial = _audit(spec, [outcome("X")])
    full = _audit(spec, [outcome("X", outcome_id=1), outcome("Y", outcome_id=2)])
    # then
    check = _check(partial, "R1")
    assert check.applicable is False
    assert [(f.reason, f.item_code) for f in check.findings] == [(Reason.MISSING_SOURCE, "Y")]
    assert _chosen(full) == [("R1", ("C1",), (1, 2))]


def test_n_of_m_rule_takes_n_sources_and_prefers_the_earliest_outcomes():
    # given
    spec = programme([course("C1")], [rule("R1", ["X", "Y", "Z"], ["C1"], source_count=2)])
    y = outcome("Y", outcome_id=2, achieved_on=dt.date(2023, 1, 1))
    z = outcome("Z", outcome_id=3, achieved_on=dt.date(2022, 1, 1))
    x = outcome("X", outcome_id=1, achieved_on=dt.date(2024, 1, 1))
    # when
    result = _audit(spec, [x, y, z])
    one = _audit(spec, [x])
    # then
    assert _chosen(result) == [("R1", ("C1",), (3, 2))]
    check = _check(one, "R1")
    assert check.reason == Reason.NOT_ENOUGH_SOURCES
    assert (check.findings[0].actual, check.findings[0].required) == ("1", "2")
    assert [f.item_code for f in check.findings[1:]] == ["Y", "Z"]


# --- conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "score", "applies", "reason"),
    [
        ("60", "60", True, None),
        ("60", "59.5", False, Reason.SCORE_BELOW),
        ("良好", "85", True, None),
        ("良好", "合格", False, Reason.SCORE_BELOW),
        ("85", "优秀", True, None),
        ("85", "良好", False, Reason.SCORE_BELOW),
        ("二等奖", "一等奖", True, None),
        ("二等奖", "三等奖", False, Reason.SCORE_BELOW),
        ("二等奖", "95", False, Reason.SCORE_NOT_COMPARABLE),
        ("60", "", False, Reason.SCORE_MISSING),
    ],
)
def test_minimum_score_compares_numbers_grades_and_awards(minimum, score, applies, reason):
    # given
    spec = programme([course("C1")], [rule("R1", ["X"], ["C1"], min_score=minimum)])
    # when
    check = _check(_audit(spec, [outcome("X", score=score)]), "R1")
    # then
    assert check.applicable is applies
    assert check.reason == reason
    if reason is not None:
        assert (check.findings[0].actual, check.findings[0].required) == (score, minimum)


def test_minimum_framework_level():
    # given
    spec = programme([course("C1")], [rule("R1", ["X"], ["C1"], min_level=5)])
    # when
    low = _check(_audit(spec, [outcome("X", level=4)]), "R1")
    none = _check(_audit(spec, [outcome("X")]), "R1")
    ok = _check(_audit(spec, [outcome("X", level=5)]), "R1")
    # then
    assert (low.reason, low.findings[0].actual, low.findings[0].required) == (Reason.LEVEL_BELOW, "4", "5")
    assert none.reason == Reason.LEVEL_BELOW
    assert ok.applicable is True


def test_expiry_by_the_rule_and_by_the_programme_whichever_is_shorter():
    # given: as of 2025-06-01, within 3 years means achieved on or after 2022-06-01
    spec = programme([course("C1")], [rule("R1", ["X"], ["C1"], within_years=3)], max_age=5)
    strict = programme([course("C1")], [rule("R1", ["X"], ["C1"], within_years=3)], max_age=2)
    # when
    on_the_day = _check(_audit(spec, [outcome("X", achieved_on=dt.date(2022, 6, 1))]), "R1")
    a_day_late = _check(_audit(spec, [outcome("X", achieved_on=dt.date(2022, 5, 31))]), "R1")
    by_programme = _check(_audit(strict, [outcome("X", achieved_on=dt.date(2023, 1, 1))]), "R1")
    # then
    assert on_the_day.applicable is True
    assert (a_day_late.reason, a_day_late.findings[0].required) == (Reason.TOO_OLD, "2022-06-01")
    assert (by_programme.reason, by_programme.findings[0].required) == (Reason.TOO_OLD, "2023-06-01")


def test_every_failed_condition_of_an_outcome_is_reported():
    # given
    spec = programme([course("C1")], [rule("R1", ["X"], ["C1"], min_score="80", min_level=5, within_years=1)])
    # when
    check = _check(_audit(spec, [outcome("X", score="70", level=3, achieved_on=dt.date(2020, 1, 1))]), "R1")
    # then
    assert [f.reason for f in check.findings] == [Reason.SCORE_BELOW, Reason.LEVEL_BELOW, Reason.TOO_OLD]


def test_a_second_outcome_of_the_item_may_satisfy_the_rule():
    # given
    spec = programme([course("C1")], [rule("R1", ["X"], ["C1"], min_score="80")])
    # when
    result = _audit(spec, [outcome("X", outcome_id=1, score="70"), outcome("X", outcome_id=2, score="90")])
    # then
    assert _chosen(result) == [("R1", ("C1",), (2,))]
    assert [f.outcome_id for f in _check(result, "R1").sources[0].findings] == [1]


def test_rules_not_in_effect_do_not_apply():
    # given
    spec = programme(
        [course("C1"), course("C2")],
        [
            rule("R1", ["X"], ["C1"], effective_from=dt.date(2025, 7, 1)),
            rule("R2", ["X"], ["C2"], effective_to=dt.date(2025, 5, 31)),
        ],
    )
    # when
    result = _audit(spec, [outcome("X")])
    # then
    assert result.recognised_credits == Decimal("0.0")
    assert _check(result, "R1").reason == Reason.NOT_IN_EFFECT
    assert _check(result, "R1").findings[0].required == "2025-07-01~"
    assert _check(result, "R2").findings[0].required == "~2025-05-31"


# --- single use, courses once, history --------------------------------------------------------------


def test_an_outcome_serves_one_rule_only():
    # given: one certificate, two rules for different courses
    spec = programme([course("C1", 3), course("C2", 4)], [rule("R1", ["X"], ["C1"]), rule("R2", ["X"], ["C2"])])
    # when
    result = _audit(spec, [outcome("X", outcome_id=5)])
    # then
    assert _chosen(result) == [("R2", ("C2",), (5,))]
    [alternative] = result.alternatives
    assert (alternative.rule.number, alternative.reason) == ("R1", Passed.FEWER_CREDITS)
    assert (alternative.best_with, alternative.competing, alternative.shared_outcomes) == (
        Decimal("3.0"),
        ("R2",),
        (5,),
    )


def test_two_outcomes_of_one_item_serve_two_rules():
    # given
    spec = programme([course("C1", 3), course("C2", 4)], [rule("R1", ["X"], ["C1"]), rule("R2", ["X"], ["C2"])])
    # when
    result = _audit(spec, [outcome("X", outcome_id=5), outcome("X", outcome_id=6, achieved_on=dt.date(2024, 6, 1))])
    # then
    assert _chosen(result) == [("R1", ("C1",), (5,)), ("R2", ("C2",), (6,))]
    assert result.recognised_credits == Decimal("7.0")


def test_a_course_is_recognised_once_and_the_larger_set_wins():
    # given: a tier (same source, nested targets) and a rival from another source
    spec = programme(
        [course("C1", 3), course("C2", 2), course("C3", 4)],
        [rule("R1", ["X"], ["C1"]), rule("R2", ["X"], ["C1", "C2"]), rule("R3", ["Y"], ["C1", "C3"])],
    )
    # when
    result = _audit(spec, [outcome("X", outcome_id=1), outcome("Y", outcome_id=2)])
    # then: R3 (7) beats R2 (5) on C1; with R3, X can no longer claim C1 in any rule
    assert _chosen(result) == [("R3", ("C1", "C3"), (2,))]
    reasons = {alternative.rule.number: alternative for alternative in result.alternatives}
    assert reasons["R2"].reason == Passed.FEWER_CREDITS
    assert reasons["R2"].shared_courses == ("C1",)
    assert reasons["R2"].best_with == Decimal("5.0")


def test_earlier_conversions_use_up_outcomes_courses_and_cap():
    # given
    spec = programme(
        [course("C1", 10), course("C2", 10), course("C3", 10)],
        [rule("R1", ["X"], ["C1"]), rule("R2", ["Y"], ["C2"]), rule("R3", ["Z"], ["C3"])],
        total=50,
        cap="0.4",
    )
    history = History(used_outcome_ids=frozenset({1}), recognised_courses=frozenset({"C2"}))
    outcomes = [outcome("X", outcome_id=1), outcome("Y", outcome_id=2), outcome("Z", outcome_id=3)]
    # when
    result = _audit(spec, outcomes, history=history)
    # then
    assert _check(result, "R1").reason == Reason.OUTCOME_USED
    assert _check(result, "R2").reason == Reason.COURSE_RECOGNISED
    assert _chosen(result) == [("R3", ("C3",), (3,))]
    assert (result.previous_credits, result.cap_credits, result.remaining_cap) == (
        Decimal("10.0"),
        Decimal("20.0"),
        Decimal("10.0"),
    )


# --- the cap ---------------------------------------------------------------------------------------------


def test_the_cap_holds_and_whole_courses_fill_it_best():
    # given: cap 0.25 × 40 = 10 credits; 6 + 4 fits exactly, 8 alone does not beat it
    spec = programme(
        [course("C1", 8), course("C2", 6), course("C3", 4)],
        [rule("R1", ["X"], ["C1"]), rule("R2", ["Y"], ["C2"]), rule("R3", ["Z"], ["C3"])],
        total=40,
        cap="0.25",
    )
    outcomes = [outcome("X"), outcome("Y"), outcome("Z")]
    # when
    result = _audit(spec, outcomes)
    # then
    assert [c.rule.number for c in result.selection.chosen] == ["R2", "R3"]
    assert result.recognised_credits == Decimal("10.0")
    assert result.cap_reached is True
    [alternative] = result.alternatives
    assert (alternative.rule.number, alternative.reason, alternative.best_with) == (
        "R1",
        Passed.OVER_CAP,
        Decimal("8.0"),
    )


def test_a_rule_larger_than_the_cap_never_applies():
    # given
    spec = programme([course("C1", 30)], [rule("R1", ["X"], ["C1"])], total=40, cap="0.5")
    # when
    result = _audit(spec, [outcome("X")])
    # then
    assert result.recognised_credits == Decimal("0.0")
    [alternative] = result.alternatives
    assert (alternative.reason, alternative.best_with) == (Passed.OVER_CAP, None)


def test_cap_credits_are_rounded_down_to_a_tenth():
    # given / then: 0.333 × 80 = 26.64
    assert programme([course("C1")], [], total=80, cap="0.333").cap_credits == Decimal("26.6")


# --- tie-breaking ---------------------------------------------------------------------------------------


def test_ties_prefer_required_courses():
    # given
    spec = programme(
        [course("E1", 3, group="选修"), course("C1", 3)],
        [rule("R1", ["X"], ["E1"]), rule("R2", ["X"], ["C1"])],
    )
    # when
    result = _audit(spec, [outcome("X")])
    # then
    assert [c.rule.number for c in result.selection.chosen] == ["R2"]
    [alternative] = result.alternatives
    assert (alternative.reason, alternative.decider) == (Passed.TIE_BREAK, TieBreak.REQUIRED_CREDITS)


def test_ties_prefer_fewer_outcomes_then_the_earlier_rule():
    # given: R2 needs two outcomes for what R1 gives with one; R3 is R1's twin from another item
    spec = programme(
        [course("C1", 3)],
        [rule("R2", ["X", "Y"], ["C1"]), rule("R1", ["X"], ["C1"]), rule("R3", ["Z"], ["C1"])],
    )
    # when
    result = _audit(spec, [outcome("X"), outcome("Y"), outcome("Z")])
    # then
    assert [c.rule.number for c in result.selection.chosen] == ["R1"]
    deciders = {alternative.rule.number: alternative.decider for alternative in result.alternatives}
    assert deciders == {"R2": TieBreak.FEWER_OUTCOMES, "R3": TieBreak.RULE_ORDER}


def test_ties_prefer_the_earlier_outcome():
    # given
    spec = programme([course("C1", 3), course("C2", 3)], [rule("R1", ["X"], ["C1"]), rule("R2", ["Y"], ["C1"])])
    # when: two outcomes of X, either serves R1
    result = _audit(spec, [outcome("X", outcome_id=1), outcome("X", outcome_id=2, achieved_on=dt.date(2020, 1, 1))])
    # then
    assert _chosen(result) == [("R1", ("C1",), (2,))]


def test_the_result_does_not_depend_on_input_order():
    # given
    rules = [rule(f"R{n}", [f"X{n % 3}"], [f"C{n % 4}"]) for n in range(8)]
    spec = programme([course(f"C{n}", n + 1) for n in range(4)], rules, total=20, cap="0.4")
    outcomes = [outcome(f"X{n % 3}", outcome_id=n + 1, achieved_on=dt.date(2024, 1, 1 + n)) for n in range(5)]
    reversed_spec = programme(list(reversed(spec.courses)), list(reversed(rules)), total=20, cap="0.4")
    # when
    first = _audit(spec, outcomes)
    second = _audit(reversed_spec, list(reversed(outcomes)))
    # then
    assert sorted(_chosen(first)) == sorted((n, tuple(sorted(c)), o) for n, c, o in _chosen(second))


# --- what-if ---------------------------------------------------------------------------------------------


def test_what_if_adds_hypothetical_outcomes_assumed_to_meet_the_score():
    # given
    spec = programme(
        [course("C1", 3), course("C2", 4)],
        [rule("R1", ["X"], ["C1"]), rule("R2", ["X", "Y"], ["C2"], min_score="90", min_level=5)],
    )
    # when
    now = _audit(spec, [outcome("X", outcome_id=1)])
    low = _audit(spec, [outcome("X", outcome_id=1, level=5)], hypothetical=[HypotheticalItem("Y", level=4)])
    good = _audit(
        spec, [outcome("X", outcome_id=1, score="95", level=5)], hypothetical=[HypotheticalItem("Y", level=5)]
    )
    # then
    assert now.recognised_credits == Decimal("3.0")
    assert [f.reason for f in _check(low, "R2").findings] == [Reason.SCORE_MISSING, Reason.LEVEL_BELOW]
    assert [f.item_code for f in _check(low, "R2").findings] == ["X", "Y"]
    assert _chosen(good) == [("R2", ("C2",), (1, -1))]
    assert good.selection.chosen[0].hypothetical is True
    assert good.hypothetical_items == ("Y",)


# --- the degree audit ------------------------------------------------------------------------------------


def test_degree_audit_per_group():
    # given
    groups = [GroupSpec("必修", True), GroupSpec("专业选修", False, Decimal("6")), GroupSpec("公共选修", False, None)]
    spec = programme(
        [
            course("C1", 4),
            course("C2", 3),
            course("E1", 2, "专业选修"),
            course("E2", 2, "专业选修"),
            course("E3", 4, "专业选修"),
            course("G1", 2, "公共选修"),
        ],
        [rule("R1", ["X"], ["C1"]), rule("R2", ["Y"], ["E1", "E3"])],
        groups=groups,
        total=20,
    )
    # when
    result = _audit(spec, [outcome("X"), outcome("Y")])
    # then
    by_name = {group.name: group for group in result.groups}
    assert (by_name["必修"].needed_credits, by_name["必修"].done_credits, by_name["必修"].missing_credits) == (
        Decimal("7.0"),
        Decimal("4.0"),
        Decimal("3.0"),
    )
    assert by_name["必修"].missing_courses == ("C2",)
    assert (by_name["专业选修"].done_credits, by_name["专业选修"].missing_credits) == (Decimal("6.0"), Decimal("0.0"))
    assert by_name["专业选修"].recognised_courses == ("E1", "E3")
    assert by_name["专业选修"].missing_courses == ()
    assert (by_name["公共选修"].needed_credits, by_name["公共选修"].missing_credits) == (Decimal("0.0"), Decimal("0.0"))
    assert result.credits_missing == Decimal("10.0")


def test_the_compiled_programme_serves_many_learners_with_the_same_answers():
    # given
    spec = programme([course("C1", 3), course("C2", 4)], [rule("R1", ["X"], ["C1"]), rule("R2", ["Y"], ["C2"])])
    compiled = compile_programme(spec, as_of=AS_OF)
    learners = [[outcome("X")], [outcome("Y")], [outcome("X"), outcome("Y")], []]
    # when
    fast = [engine.choose(compiled, outcomes).credits for outcomes in learners]
    full = [engine.audit(compiled, outcomes).recognised_credits for outcomes in learners]
    # then
    assert fast == full == [Decimal("3.0"), Decimal("4.0"), Decimal("7.0"), Decimal("0.0")]


def test_a_rule_naming_a_course_outside_the_programme_is_a_programming_error():
    with pytest.raises(ValueError, match="not a course"):
        compile_programme(programme([course("C1")], [rule("R1", ["X"], ["C9"])]), as_of=AS_OF)
