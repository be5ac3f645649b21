"""Plain engine inputs for tests: a programme with courses in groups, rules, and outcomes."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from creditbank.conversion.engine import CourseSpec, GroupSpec, OutcomeFact, ProgrammeSpec, RuleSpec

AS_OF = dt.date(2025, 6, 1)
_ids = itertools.count(1)


def course(code: str, credits: str | int = 3, group: str = "必修") -> CourseSpec:
    return CourseSpec(code=code, name=f"课程{code}", credits=Decimal(str(credits)), group=group)


def rule(
    number: str,
    sources: Sequence[str],
    targets: Sequence[str],
    *,
    version: int = 1,
    mode: str = "exemption",
    rule_id: int | None = None,
    **extra: Any,
) -> RuleSpec:
    return RuleSpec(
        id=rule_id if rule_id is not None else next(_ids),
        number=number,
        version=version,
        mode=mode,
        sources=tuple(sources),
        targets=tuple(targets),
        **extra,
    )


def programme(
    courses: Sequence[CourseSpec],
    rules: Sequence[RuleSpec],
    *,
    total: str | int = 80,
    cap: str = "0.5",
    groups: Sequence[GroupSpec] | None = None,
    max_age: int | None = None,
) -> ProgrammeSpec:
    if groups is None:
        names = list(dict.fromkeys(c.group for c in courses))
        groups = [GroupSpec(name=name, required=name == "必修", min_credits=None) for name in names]
    return ProgrammeSpec(
        id=1,
        code="P1",
        name="计算机应用技术",
        total_credits=Decimal(str(total)),
        cap=Decimal(cap),
        groups=tuple(groups),
        courses=tuple(courses),
        rules=tuple(rules),
        max_outcome_age_years=max_age,
    )


def outcome(
    item_code: str,
    *,
    outcome_id: int | None = None,
    score: str = "",
    level: int | None = None,
    achieved_on: dt.date = dt.date(2024, 5, 17),
) -> OutcomeFact:
    return OutcomeFact(
        id=outcome_id if outcome_id is not None else next(_ids),
        item_code=item_code,
        achieved_on=achieved_on,
        score=score,
        level=level,
    )
