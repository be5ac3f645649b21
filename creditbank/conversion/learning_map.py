"""The learning map (学习地图): where a learner stands in a programme and the routes to the rest.

For one learner and one open programme: per requirement group the credits done and missing; per
course whether it is recognised already (``recorded``: a conversion record), recognisable now
(``available``: today's audit chooses a rule for it), still ``missing``, or ``not_needed`` (an
elective group whose minimum is already met); and for every missing course the ways to fill it,
cheapest first:

* a rule that would recognise it, with the catalog items the learner still lacks for it (every
  missing source of an all-of rule; the cheapest missing ones of an n-of-m rule). Whether the
  items really fill the course is asked of the engine itself — a what-if choice with exactly
  those items — so that the cap, competing rules and every condition count as in a real audit;
  rules no learning can make apply (an item not in the published catalog, or whose current
  version is below the rule's minimum framework level; a rule not in effect or one of whose
  courses is already recognised) are left out;
* studying the course itself (always offered: it is no conversion and the cap does not apply).

Options that fill the course come first, by effort ascending; then those that would not (the
cap leaves no room, or the engine would use the items for a bigger rule), by effort.

Learning projects (终身教育学习项目) do not exist yet: what can be learned is the published
catalog items; when projects arrive, a project is one more kind of option here.

Effort (``effort_hours``, an estimate for ordering, documented in docs/conversion.md): an item's
learning hours from the catalog, else its credits × ``HOURS_PER_CREDIT``, else
``DEFAULT_ITEM_HOURS``; an option costs the sum of its items plus ``EXTRA_ITEM_HOURS`` for each
item beyond the first (another examination, another registration). Studying a course costs its
credits × ``HOURS_PER_CREDIT``.

Queries: the programme's stamp (its compiled form is cached per process), the learner's
outcomes, their conversion records, and the catalog items the rules name — four, whatever the
number of courses and rules; the what-ifs run in memory.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.models import CatalogItem
from creditbank.conversion import engine, selectors
from creditbank.conversion.choices import ProgrammeLevel, RuleMode
from creditbank.conversion.models import ConversionRecord, Programme

HOURS_PER_CREDIT = 18  # the usual 16–18 class hours per credit of Chinese higher education
DEFAULT_ITEM_HOURS = 36  # an item with neither learning hours nor credits
EXTRA_ITEM_HOURS = 8  # each item beyond the first: another examination and registration


class CourseStatus(StrEnum):
    RECORDED = "recorded"
    AVAILABLE = "available"
    MISSING = "missing"
    NOT_NEEDED = "not_needed"


class OptionKind(StrEnum):
    RULE = "rule"
    STUDY = "study"


def status_label(status: CourseStatus) -> str:
    if status is CourseStatus.RECORDED:
        return _("Recognised (conversion record)")
    if status is CourseStatus.AVAILABLE:
        return _("Recognisable now")
    if status is CourseStatus.MISSING:
        return _("Missing")
    return _("Not needed (the group's minimum is met)")


@dataclass(frozen=True, slots=True)
class MapItem:
    """A catalog item the learner lacks for a rule (``held``: they have an outcome of it, but
    none that qualifies or is free — too old, score too low, used by another rule)."""

    code: str
    name: str
    credits: Decimal
    learning_hours: int | None
    effort_hours: int
    held: bool


@dataclass(frozen=True, slots=True)
class MapOption:
    kind: OptionKind
    effort_hours: int
    items: tuple[MapItem, ...] = ()
    rule_id: int | None = None
    rule_number: str = ""
    rule_version: int | None = None
    mode: str = ""
    courses: tuple[str, ...] = ()  # every course the rule recognises
    credits: Decimal = Decimal(0)  # the rule's credits (what the cap counts)
    fills: bool = True  # the what-if with these items recognises the course
    credits_gained: Decimal = Decimal(0)  # what the what-if recognises beyond today's audit
    exceeds_cap: bool = False  # the rule's credits exceed what is left under the cap


@dataclass(frozen=True, slots=True)
class MapCourse:
    code: str
    name: str
    credits: Decimal
    status: CourseStatus
    rule_number: str = ""  # recorded / available: the rule that recognises it
    rule_version: int | None = None
    options: tuple[MapOption, ...] = ()


@dataclass(frozen=True, slots=True)
class MapGroup:
    name: str
    required: bool
    min_credits: Decimal | None
    needed_credits: Decimal
    done_credits: Decimal
    recorded_credits: Decimal
    available_credits: Decimal
    missing_credits: Decimal
    courses: tuple[MapCourse, ...]


@dataclass(frozen=True)
class LearningMap:
    programme: Programme
    spec: engine.ProgrammeSpec
    as_of: dt.date
    total_credits: Decimal
    cap_credits: Decimal
    recorded_credits: Decimal  # by conversion records
    available_credits: Decimal  # by today's audit
    cap_left: Decimal  # under the cap after both
    cap_reached: bool
    credits_missing: Decimal  # to the programme's total
    groups: tuple[MapGroup, ...]

    @property
    def recognised_credits(self) -> Decimal:
        return self.recorded_credits + self.available_credits

    def courses(self) -> list[MapCourse]:
        return [course for group in self.groups for course in group.courses]


def hours_for_credits(credits: Decimal) -> int:
    return math.ceil(credits * HOURS_PER_CREDIT)


def item_effort(credits: Decimal, learning_hours: int | None) -> int:
    if learning_hours:
        return learning_hours
    if credits > 0:
        return hours_for_credits(credits)
    return DEFAULT_ITEM_HOURS


def option_effort(items: tuple[MapItem, ...]) -> int:
    if not items:
        return 0
    return sum(item.effort_hours for item in items) + EXTRA_ITEM_HOURS * (len(items) - 1)


@dataclass(frozen=True, slots=True)
class _CatalogRow:
    name: str
    credits: Decimal
    learning_hours: int | None
    level: int | None

    @property
    def effort(self) -> int:
        return item_effort(self.credits, self.learning_hours)


def _catalog(codes: list[str]) -> dict[str, _CatalogRow]:
    """The current published version of each item (one query): what can be learned."""
    if not codes:
        return {}
    return {
        code: _CatalogRow(name=name, credits=credits or Decimal(0), learning_hours=hours, level=level)
        for code, name, credits, hours, level in CatalogItem.objects.filter(
            code__in=codes, is_current=True, status=ItemStatus.PUBLISHED
        ).values_list("code", "name", "credits", "learning_hours", "level__number")
    }


def _records(learner_id: int, programme: Programme) -> tuple[engine.History, dict[str, tuple[str, int]]]:
    """The learner's conversion records for the programme (one query): the engine's history and,
    per course, the rule number and version that recognised it."""
    rows = list(
        ConversionRecord.objects.filter(learner_id=learner_id, programme=programme).values_list(
            "course_code", "outcome_ids", "rule_number", "rule_version"
        )
    )
    if not rows:
        return engine.NO_HISTORY, {}
    used: set[int] = set()
    by_course: dict[str, tuple[str, int]] = {}
    for course_code, outcome_ids, number, version in rows:
        by_course[course_code] = (number, version)
        used.update(int(part) for part in (outcome_ids or "").split(",") if part)
    history = engine.History(used_outcome_ids=frozenset(used), recognised_courses=frozenset(by_course))
    return history, by_course


def _recognised(audit: engine.Audit) -> set[str]:
    return set(audit.history.recognised_courses) | {
        code for chosen in audit.selection.chosen for code in chosen.courses
    }


@dataclass(frozen=True, slots=True)
class _WhatIf:
    recognised: frozenset[str]  # courses recognised, earlier conversions included
    credits: Decimal  # recognised by the choice


class _Planner:
    """The rule options for the missing courses: one plan per rule, shared by its courses, and
    one what-if per set of items (the what-if depends on the items alone), through the engine's
    batch path (``engine.choose``: the choice without the explanations, 40 times cheaper)."""

    def __init__(
        self,
        compiled: engine.CompiledProgramme,
        outcomes: list[engine.OutcomeFact],
        base: engine.Audit,
        catalog: dict[str, _CatalogRow],
    ) -> None:
        self.compiled = compiled
        self.outcomes = outcomes
        self.base = base
        self.catalog = catalog
        self.checks = {check.rule.id: check for check in base.checks}
        self.used = {outcome_id for chosen in base.selection.chosen for outcome_id in chosen.outcome_ids}
        self.held = {outcome.item_code for outcome in outcomes}
        self.cap_left = base.remaining_cap - base.selection.credits
        self.base_what_if = _WhatIf(recognised=frozenset(_recognised(base)), credits=base.selection.credits)
        self._plans: dict[int, tuple[MapOption, _WhatIf] | None] = {}
        self._what_ifs: dict[tuple[str, ...], _WhatIf] = {}
        self.by_course: dict[str, list[engine.RuleSpec]] = {}
        for rule in compiled.rules:
            if rule.in_effect:
                for code in rule.spec.targets:
                    self.by_course.setdefault(code, []).append(rule.spec)

    def options_for(self, course_code: str) -> list[MapOption]:
        found = []
        for spec in self.by_course.get(course_code, ()):
            if spec.id not in self._plans:
                self._plans[spec.id] = self._plan(spec)
            planned = self._plans[spec.id]
            if planned is not None:
                option, what_if = planned
                found.append(_with_fills(option, course_code in what_if.recognised))
        return found

    def _serves(self, code: str, spec: engine.RuleSpec) -> bool:
        """An item can be learned for the rule: it is in the published catalog and its current
        version meets the rule's minimum framework level (the one condition a what-if outcome,
        achieved today and assumed to meet any score, can still fail)."""
        row = self.catalog.get(code)
        if row is None:
            return False
        return spec.min_level is None or (row.level is not None and row.level >= spec.min_level)

    def _plan(self, spec: engine.RuleSpec) -> tuple[MapOption, _WhatIf] | None:
        check = self.checks[spec.id]
        if check.reason in (engine.Reason.NOT_IN_EFFECT, engine.Reason.COURSE_RECOGNISED):
            return None  # learning cannot change these
        missing = [
            source.item_code
            for source in check.sources
            if not any(outcome_id not in self.used for outcome_id in source.qualifying)
        ]
        needed = max(spec.needed - (len(spec.sources) - len(missing)), 0)
        learnable = [code for code in missing if self._serves(code, spec)]
        if len(learnable) < needed:
            return None  # not enough items that can be learned for it
        # The cheapest ``needed`` of the missing items (all of them for an all-of rule), shown
        # in the rule's order.
        picked = set(sorted(learnable, key=lambda code: (self.catalog[code].effort, learnable.index(code)))[:needed])
        codes = tuple(code for code in learnable if code in picked)
        items = tuple(
            MapItem(
                code=code,
                name=self.catalog[code].name,
                credits=self.catalog[code].credits,
                learning_hours=self.catalog[code].learning_hours,
                effort_hours=self.catalog[code].effort,
                held=code in self.held,
            )
            for code in codes
        )
        what_if = self._what_if(codes)
        option = MapOption(
            kind=OptionKind.RULE,
            effort_hours=option_effort(items),
            items=items,
            rule_id=spec.id,
            rule_number=spec.number,
            rule_version=spec.version,
            mode=spec.mode,
            courses=spec.targets,
            credits=check.credits,
            credits_gained=what_if.credits - self.base_what_if.credits,
            exceeds_cap=check.credits > self.cap_left,
        )
        return option, what_if

    def _what_if(self, codes: tuple[str, ...]) -> _WhatIf:
        """The choice if the learner also had an outcome of each of ``codes``, as the audit's
        what-if builds them: negative ids, achieved today, meeting any score condition."""
        if not codes:
            return self.base_what_if
        key = tuple(sorted(codes))
        found = self._what_ifs.get(key)
        if found is None:
            facts = list(self.outcomes)
            for number, code in enumerate(key, start=1):
                row = self.catalog[code]
                facts.append(
                    engine.OutcomeFact(
                        id=-number,
                        item_code=code,
                        achieved_on=self.compiled.as_of,
                        level=row.level,
                        credits=row.credits,
                        hypothetical=True,
                    )
                )
            history = self.base.history
            selection = engine.choose(self.compiled, facts, history)
            recognised = set(history.recognised_courses)
            recognised.update(code for chosen in selection.chosen for code in chosen.courses)
            found = self._what_ifs[key] = _WhatIf(recognised=frozenset(recognised), credits=selection.credits)
        return found


def _with_fills(option: MapOption, fills: bool) -> MapOption:
    if option.fills == fills:
        return option
    return MapOption(
        kind=option.kind,
        effort_hours=option.effort_hours,
        items=option.items,
        rule_id=option.rule_id,
        rule_number=option.rule_number,
        rule_version=option.rule_version,
        mode=option.mode,
        courses=option.courses,
        credits=option.credits,
        fills=fills,
        credits_gained=option.credits_gained,
        exceeds_cap=option.exceeds_cap,
    )


def _order(option: MapOption) -> tuple[Any, ...]:
    """Options that fill the course first, each part by effort; a rule before studying on a tie."""
    return (
        not option.fills,
        option.effort_hours,
        option.kind is OptionKind.STUDY,
        option.rule_number,
        option.rule_version or 0,
    )


def learning_map(learner: Any, programme: Programme, *, today: dt.date | None = None) -> LearningMap:
    """The learning map of ``learner`` for ``programme`` (an open one: ``selectors.get_open_programme``)."""
    as_of = today or timezone.localdate()
    loaded = selectors.load_programme(programme, as_of=as_of)
    compiled = loaded.compiled
    spec = compiled.programme
    outcomes = selectors.learner_outcomes(learner.pk, loaded.codes, loaded.levels)
    history, recorded = _records(learner.pk, programme)
    base = engine.audit(compiled, outcomes, history=history)
    available: dict[str, engine.RuleSpec] = {
        code: chosen.rule for chosen in base.selection.chosen for code in chosen.courses
    }
    planner = _Planner(compiled, outcomes, base, _catalog(sorted(compiled.item_codes)))
    progress = {group.name: group for group in base.groups}
    courses_by_group: dict[str, list[engine.CourseSpec]] = {}
    for course in spec.courses:
        courses_by_group.setdefault(course.group, []).append(course)
    groups = []
    for group in spec.groups:
        done = progress[group.name]
        rows = []
        recorded_credits = available_credits = Decimal(0)
        for course in courses_by_group.get(group.name, ()):
            if course.code in recorded:
                number, version = recorded[course.code]
                rows.append(MapCourse(course.code, course.name, course.credits, CourseStatus.RECORDED, number, version))
                recorded_credits += course.credits
            elif course.code in available:
                rule = available[course.code]
                rows.append(
                    MapCourse(
                        course.code, course.name, course.credits, CourseStatus.AVAILABLE, rule.number, rule.version
                    )
                )
                available_credits += course.credits
            elif not done.missing_credits:
                rows.append(MapCourse(course.code, course.name, course.credits, CourseStatus.NOT_NEEDED))
            else:
                options = planner.options_for(course.code)
                options.append(MapOption(kind=OptionKind.STUDY, effort_hours=hours_for_credits(course.credits)))
                options.sort(key=_order)
                rows.append(
                    MapCourse(course.code, course.name, course.credits, CourseStatus.MISSING, options=tuple(options))
                )
        groups.append(
            MapGroup(
                name=group.name,
                required=group.required,
                min_credits=group.min_credits,
                needed_credits=done.needed_credits,
                done_credits=done.done_credits,
                recorded_credits=recorded_credits,
                available_credits=available_credits,
                missing_credits=done.missing_credits,
                courses=tuple(rows),
            )
        )
    return LearningMap(
        programme=programme,
        spec=spec,
        as_of=as_of,
        total_credits=spec.total_credits,
        cap_credits=base.cap_credits,
        recorded_credits=base.previous_credits,
        available_credits=base.selection.credits,
        cap_left=planner.cap_left,
        cap_reached=base.cap_reached,
        credits_missing=base.credits_missing,
        groups=tuple(groups),
    )


# --- one plain structure: the API's answer and the page's chart data ------------------------------


def map_report(learning: LearningMap) -> dict[str, Any]:
    spec = learning.spec
    modes = {mode.value: str(mode.label) for mode in RuleMode}
    return {
        "programme": {
            "code": spec.code,
            "name": spec.name,
            "level": spec.level,
            "level_label": str(ProgrammeLevel(spec.level).label) if spec.level else "",
            "org": {"code": spec.org_code, "name": spec.org_name},
        },
        "as_of": learning.as_of,
        "total_credits": learning.total_credits,
        "cap_credits": learning.cap_credits,
        "recorded_credits": learning.recorded_credits,
        "available_credits": learning.available_credits,
        "recognised_credits": learning.recognised_credits,
        "cap_left_credits": learning.cap_left,
        "cap_reached": learning.cap_reached,
        "credits_missing": learning.credits_missing,
        "groups": [
            {
                "name": group.name,
                "required": group.required,
                "min_credits": group.min_credits,
                "needed_credits": group.needed_credits,
                "done_credits": group.done_credits,
                "recorded_credits": group.recorded_credits,
                "available_credits": group.available_credits,
                "missing_credits": group.missing_credits,
                "courses": [
                    {
                        "code": course.code,
                        "name": course.name,
                        "credits": course.credits,
                        "status": str(course.status),
                        "status_label": status_label(course.status),
                        "rule_number": course.rule_number,
                        "rule_version": course.rule_version,
                        "options": [
                            {
                                "kind": str(option.kind),
                                "effort_hours": option.effort_hours,
                                "rule_id": option.rule_id,
                                "rule_number": option.rule_number,
                                "rule_version": option.rule_version,
                                "mode": option.mode,
                                "mode_label": modes.get(option.mode, ""),
                                "courses": list(option.courses),
                                "credits": option.credits,
                                "fills": option.fills,
                                "credits_gained": option.credits_gained,
                                "exceeds_cap": option.exceeds_cap,
                                "items": [
                                    {
                                        "code": item.code,
                                        "name": item.name,
                                        "credits": item.credits,
                                        "learning_hours": item.learning_hours,
                                        "effort_hours": item.effort_hours,
                                        "held": item.held,
                                    }
                                    for item in option.items
                                ],
                            }
                            for option in course.options
                        ],
                    }
                    for course in group.courses
                ],
            }
            for group in learning.groups
        ],
    }
