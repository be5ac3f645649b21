"""Programmes, courses and rules for tests, made through the services (audit rows, checks)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from creditbank.conversion import services
from creditbank.conversion.models import ConversionRule, Course, Programme
from creditbank.orgs.models import OrgUnit

_codes = itertools.count(1)


def make_programme(
    org: OrgUnit,
    *,
    code: str | None = None,
    courses: dict[str, tuple[str | int, str]] | None = None,
    total: str | int = 80,
    cap: str = "0.5",
    max_age: int | None = None,
    minimums: dict[str, str] | None = None,
    name: str = "计算机应用技术",
) -> Programme:
    """``courses``: code → (credits, group name); a group named with 必修 is required."""
    programme, _state = services.save_programme(
        services.ProgrammeValues(
            code=code or f"P{next(_codes):04d}",
            name=name,
            level="bachelor",
            org=org,
            total_credits=Decimal(str(total)),
            conversion_cap=Decimal(cap),
            max_outcome_age_years=max_age,
        ),
        actor=None,
    )
    minimums = minimums or {}
    for course_code, (credits, group_name) in (courses or {"C1": (3, "专业必修")}).items():
        minimum = minimums.get(group_name)
        group, _ = services.save_group(
            programme, name=group_name, min_credits=Decimal(minimum) if minimum else None, actor=None
        )
        services.save_course(
            programme,
            code=course_code,
            name=f"课程{course_code}",
            credits=Decimal(str(credits)),
            group=group,
            actor=None,
        )
    return programme


def make_rule(
    programme: Programme,
    number: str,
    sources: str,
    targets: str,
    *,
    mode: str = "免修免考",
    publish: bool = True,
    **extra: Any,
) -> ConversionRule:
    return services.create_rule(
        services.RuleData(
            programme_code=programme.code, number=number, sources=sources, targets=targets, mode=mode, **extra
        ),
        actor=None,
        publish=publish,
    )


def course(programme: Programme, code: str) -> Course:
    return Course.objects.get(programme=programme, code=code)
