"""Credit rules per outcome type: what an item is worth when its credits are left open.

* Courses, trainings, community and elderly education and MOOCs: 16 learning hours make one
  credit, rounded down to half a credit (hours not yet worth half a credit earn nothing).
* Certificates (skill levels, 1+X, professional qualifications): a fixed number of credits per
  framework level.
* Competition awards, technical innovation and practice: no rule; the catalog must state credits.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

HOURS_PER_CREDIT = 16
HOUR_TYPES = frozenset({"degree_course", "self_study_exam", "non_degree_training", "community_elderly", "mooc"})
CERTIFICATE_TYPES = frozenset({"skill_level_certificate", "one_plus_x", "professional_qualification"})
# Credits a certificate gives at each framework level (1-10).
CERTIFICATE_CREDITS: dict[int, Decimal] = {
    1: Decimal("1"),
    2: Decimal("1"),
    3: Decimal("2"),
    4: Decimal("4"),
    5: Decimal("6"),
    6: Decimal("8"),
    7: Decimal("10"),
    8: Decimal("12"),
    9: Decimal("14"),
    10: Decimal("16"),
}
_HALF = Decimal("0.5")


def rule_credits(type_code: str, *, hours: int | None, level: int | None) -> Decimal | None:
    """The credits the type's rule gives, or None when the type has no rule or lacks its input."""
    if type_code in HOUR_TYPES:
        if hours is None or hours < 0:
            return None
        halves = (Decimal(hours) / HOURS_PER_CREDIT / _HALF).to_integral_value(rounding=ROUND_FLOOR)
        return (halves * _HALF).quantize(Decimal("0.1"))
    if type_code in CERTIFICATE_TYPES:
        if level is None or level not in CERTIFICATE_CREDITS:
            return None
        return CERTIFICATE_CREDITS[level].quantize(Decimal("0.1"))
    return None
