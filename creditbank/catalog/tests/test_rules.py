from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.catalog.rules import CERTIFICATE_CREDITS, CERTIFICATE_TYPES, HOUR_TYPES, rule_credits

NO_RULE = ("competition_award", "technical_innovation", "practice")


@pytest.mark.parametrize(
    ("hours", "credits"), [(0, "0.0"), (7, "0.0"), (8, "0.5"), (16, "1.0"), (18, "1.0"), (24, "1.5"), (32, "2.0")]
)
def test_sixteen_hours_make_one_credit_rounded_down_to_a_half(hours, credits):
    # given / when
    result = rule_credits("degree_course", hours=hours, level=None)
    # then
    assert result == Decimal(credits)


@given(type_code=st.sampled_from(sorted(HOUR_TYPES)), hours=st.integers(min_value=0, max_value=100_000))
def test_hour_rule_is_a_multiple_of_a_half_never_above_hours_over_sixteen(type_code, hours):
    # when
    credits = rule_credits(type_code, hours=hours, level=3)
    # then
    assert credits is not None
    assert credits % Decimal("0.5") == 0
    assert credits <= Decimal(hours) / 16 < credits + Decimal("0.5")


@given(hours=st.integers(min_value=0, max_value=10_000))
def test_more_hours_never_give_fewer_credits(hours):
    assert rule_credits("mooc", hours=hours, level=None) <= rule_credits("mooc", hours=hours + 1, level=None)


@given(type_code=st.sampled_from(sorted(CERTIFICATE_TYPES)), level=st.integers(min_value=1, max_value=10))
def test_a_certificate_level_gives_its_fixed_credits_whatever_the_hours(type_code, level):
    # when
    credits = rule_credits(type_code, hours=999, level=level)
    # then
    assert credits == CERTIFICATE_CREDITS[level]


@given(
    type_code=st.sampled_from(NO_RULE),
    hours=st.none() | st.integers(min_value=0, max_value=1000),
    level=st.none() | st.integers(min_value=1, max_value=10),
)
def test_types_without_a_rule_leave_credits_open(type_code, hours, level):
    assert rule_credits(type_code, hours=hours, level=level) is None


def test_missing_input_leaves_credits_open():
    assert rule_credits("one_plus_x", hours=40, level=None) is None
    assert rule_credits("one_plus_x", hours=None, level=11) is None
    assert rule_credits("degree_course", hours=None, level=5) is None
    assert rule_credits("unknown", hours=16, level=5) is None
