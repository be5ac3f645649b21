"""The cell parsers of outcome rows: dates (hypothesis), scores, hours, credits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.imports import values
from creditbank.imports.values import CellError

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-17",
        "2024-5-17",
        "2024/5/17",
        "2024/05/17",
        "2024.5.17",
        "2024年5月17日",
        "2024年05月17日",
        "2024 年 5 月 17 日",
        "20240517",
        "45429",
        "45429.5",
        "2024-05-17 00:00:00",
        "2024-05-17T13:45:00",
        "2024/5/17 0:00",
        "２０２４－０５－１７",
        " 2024-05-17 ",
    ],
)
def test_accepts_the_date_forms_offices_write(text):
    assert values.parse_date(text, today=TODAY) == dt.date(2024, 5, 17)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "date_required"),
        ("   ", "date_required"),
        ("2024-02-30", "date_impossible"),
        ("2023/2/29", "date_impossible"),
        ("2024年13月1日", "date_impossible"),
        ("20241301", "date_impossible"),
        ("2027-01-01", "date_in_future"),
        ("1899-12-31", "date_too_early"),
        ("2024", "date_format"),
        ("17/05/2024", "date_format"),
        ("yesterday", "date_format"),
        ("2024-05", "date_format"),
        ("=TODAY()", "date_format"),
        ("99999", "date_in_future"),
    ],
)
def test_refuses_impossible_future_early_and_unreadable_dates(text, code):
    with pytest.raises(CellError) as refused:
        values.parse_date(text, today=TODAY)
    assert refused.value.code == code


def test_an_excel_serial_is_counted_from_1899_12_30():
    assert values.parse_date("10000", today=TODAY) == dt.date(1927, 5, 18)
    assert values.parse_date("46357", today=TODAY) == dt.date(2026, 12, 1)


DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
FORMS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.isoformat()} 08:30:00",
]


@given(DATES, st.sampled_from(FORMS))
def test_every_date_in_range_reads_back_in_every_form(day, form):
    assert values.parse_date(form(day), today=TODAY) == day


@given(st.dates(min_value=dt.date(1927, 5, 18), max_value=TODAY))
def test_every_excel_serial_reads_back(day):
    serial = (day - dt.date(1899, 12, 30)).days
    assert values.parse_date(str(serial), today=TODAY) == day


@given(st.text(max_size=30))
def test_any_text_is_a_date_in_range_or_a_clear_refusal(text):
    code = None
    try:
        day = values.parse_date(text, today=TODAY)
    except CellError as refused:
        code = refused.code
    if code is None:
        assert dt.date(1900, 1, 1) <= day <= TODAY
    else:
        assert code in {"date_required", "date_format", "date_impossible", "date_in_future", "date_too_early"}


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("86", "86"),
        ("100", "100"),
        ("0", "0"),
        ("92.5", "92.5"),
        ("92.50", "92.5"),
        ("８６", "86"),
        ("优秀", "优秀"),
        (" 合格 ", "合格"),
        ("a", "A"),
        ("B+", "B+"),
        ("一等奖", "一等奖"),
        ("", ""),
    ],
)
def test_accepts_numeric_scores_and_passing_grades(text, stored):
    assert values.parse_score(text) == stored


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("101", "score_out_of_range"),
        ("-1", "score_out_of_range"),
        ("150", "score_out_of_range"),
        ("八十六", "score_format"),
        ("good-ish", "score_format"),
        ("86.125", "score_format"),
        ("不及格", "score_failing"),
        ("F", "score_failing"),
        ("NaN", "score_format"),
    ],
)
def test_refuses_other_scores(text, code):
    with pytest.raises(CellError) as refused:
        values.parse_score(text)
    assert refused.value.code == code


def test_hours_and_credits():
    assert values.parse_hours("48") == 48
    assert values.parse_hours("48.0") == 48
    assert values.parse_hours("") is None
    assert values.parse_credits("2.5") == Decimal("2.5")
    assert values.parse_credits("3") == Decimal("3.0")
    assert values.parse_credits("") is None
    for bad in ("4.5", "-1", "x", "1e100000", "-1e100000"):
        with pytest.raises(CellError):
            values.parse_hours(bad)
    for bad in ("2.25", "-1", "201", "x", "1e30", "1e-30", "-1e30", "Infinity"):
        with pytest.raises(CellError):
            values.parse_credits(bad)


def test_codes_and_certificate_numbers_are_normalised():
    assert values.normalize_code(" ｎｍ-04-1 ") == "NM-04-1"
    assert values.normalize_certificate_no(" ah 2024-001 ") == "AH2024-001"
