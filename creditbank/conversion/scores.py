"""Comparing a score with a rule's minimum: numbers, grade words and awards on one order.

Pure functions, no database. Scores arrive as ``imports.values.parse_score`` stores them: a
number from 0 to 100 without trailing zeros ("86", "92.5"), an upper-cased grade word or letter
("优秀", "良好", "A-", "PASS"), an award ("一等奖"), or blank.

Two scales, because an award is not a mark out of 100:

* **marks**: numbers, and grade words at the lowest mark they stand for in the five-level scale
  Chinese institutions use (优秀 ≥ 90, 良好 ≥ 80, 中等 ≥ 70, 及格/合格 ≥ 60) and the letter
  grades of the common 4.0 scale (A ≥ 90, A- ≥ 85, B+ ≥ 82, …, D ≥ 60). A rule asking for 良好
  accepts 80 or 良好 or 优秀; a rule asking for 85 accepts 优秀 (≥ 90) but not 良好 (which may be 80).
* **awards**: 特等奖 > 一等奖 (金奖) > 二等奖 (银奖) > 三等奖 (铜奖) > 优胜奖.

A score on one scale never satisfies a minimum on the other (``NOT_COMPARABLE``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import NamedTuple

MARKS = "marks"
AWARDS = "awards"

# The lowest mark each grade word or letter guarantees.
GRADE_FLOORS: dict[str, Decimal] = {
    "优秀": Decimal(90), "优": Decimal(90),
    "良好": Decimal(80), "良": Decimal(80),
    "中等": Decimal(70), "中": Decimal(70),
    "及格": Decimal(60), "合格": Decimal(60), "通过": Decimal(60),
    "A+": Decimal(90), "A": Decimal(90), "A-": Decimal(85),
    "B+": Decimal(82), "B": Decimal(78), "B-": Decimal(75),
    "C+": Decimal(72), "C": Decimal(68), "C-": Decimal(64),
    "D+": Decimal(60), "D": Decimal(60), "D-": Decimal(60),
    "P": Decimal(60), "PASS": Decimal(60), "MERIT": Decimal(70), "DISTINCTION": Decimal(85),
}  # fmt: skip
AWARD_RANKS: dict[str, int] = {
    "特等奖": 5,
    "一等奖": 4,
    "金奖": 4,
    "二等奖": 3,
    "银奖": 3,
    "三等奖": 2,
    "铜奖": 2,
    "优胜奖": 1,
}


class Score(NamedTuple):
    scale: str
    value: Decimal


class Comparison(Enum):
    MEETS = "meets"
    BELOW = "below"
    MISSING = "missing"
    NOT_COMPARABLE = "not_comparable"


def score_value(text: str) -> Score | None:
    """The place of ``text`` on its scale, or None for a blank or unknown score."""
    text = text.strip().upper()
    if not text:
        return None
    floor = GRADE_FLOORS.get(text)
    if floor is not None:
        return Score(MARKS, floor)
    rank = AWARD_RANKS.get(text)
    if rank is not None:
        return Score(AWARDS, Decimal(rank))
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return Score(MARKS, number) if number.is_finite() else None


def compare(score: Score | None, minimum: Score | None) -> Comparison:
    """Whether an outcome's ``score`` meets a rule's ``minimum`` (None: the rule sets none)."""
    if minimum is None:
        return Comparison.MEETS
    if score is None:
        return Comparison.MISSING
    if score.scale != minimum.scale:
        return Comparison.NOT_COMPARABLE
    return Comparison.MEETS if score.value >= minimum.value else Comparison.BELOW
