"""The conversion engine: which rules a learner's outcomes satisfy, the best choice of rules, and
the degree audit. Pure: no database, no settings, no clock — a loader (``loader.py``) builds the
plain dataclasses below, and the engine computes on them alone, so that one audit, a what-if and
a batch of 100,000 learners run the same code.

The choice (``choose``) is an exact optimisation, a small weighted set packing with a budget:

* every applicable rule may be used once, with one *instance*: the outcomes it takes (for an
  all-of rule one qualifying outcome per source item; for an n-of-m rule, n of its items);
* each outcome serves at most one rule, each course is recognised at most once and whole;
* the credits of the chosen rules' courses, plus those recognised earlier, stay within the cap
  (``conversion_cap × total_credits``, rounded down to a tenth of a credit).

It maximises the credits recognised and breaks ties by a fixed order (``SelectionKey``): more
credits of required courses, then fewer outcomes used (they stay free for later), then the
earliest rule (by number and version), then the earliest outcomes (which would expire first),
then the earliest rule with the earliest outcome; no two selections are equal in that order.
Every part of that order is additive over disjoint selections, so that partial selections can
be merged exactly: instances are split into independent components (no shared course or outcome);
each component is solved by a dynamic programme over its instances whose state is the set of
courses and outcomes still contested plus the credits so far; the components are then combined
by a knapsack over their credit totals when the cap binds. ``tests/test_engine_properties.py``
checks the result against brute force.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from creditbank.conversion.scores import Comparison, Score, compare, score_value

TENTH = Decimal("0.1")


def tenths(value: Decimal) -> int:
    """Credits carry one decimal: the engine counts in tenths of a credit, as integers."""
    return int((value * 10).to_integral_value(rounding=ROUND_HALF_UP))


def credits_of(count: int) -> Decimal:
    return (Decimal(count) / 10).quantize(TENTH)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseSpec:
    code: str
    name: str
    credits: Decimal
    group: str


@dataclass(frozen=True, slots=True)
class GroupSpec:
    name: str
    required: bool
    min_credits: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One published rule version. ``source_count`` None: all ``sources`` are needed; n: any n."""

    id: int
    number: str
    version: int
    mode: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    source_count: int | None = None
    min_score: str = ""
    min_level: int | None = None
    within_years: int | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    @property
    def needed(self) -> int:
        return len(self.sources) if self.source_count is None else self.source_count

    def in_effect(self, day: dt.date) -> bool:
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_to is None or day <= self.effective_to


@dataclass(frozen=True, slots=True)
class ProgrammeSpec:
    id: int
    code: str
    name: str
    total_credits: Decimal
    cap: Decimal
    groups: tuple[GroupSpec, ...]
    courses: tuple[CourseSpec, ...]
    rules: tuple[RuleSpec, ...]
    max_outcome_age_years: int | None = None
    level: str = ""
    org_code: str = ""
    org_name: str = ""

    @property
    def cap_credits(self) -> Decimal:
        """The most that conversion may recognise: the cap's share of the total, rounded down."""
        return (self.cap * self.total_credits).quantize(TENTH, rounding=ROUND_FLOOR)


@dataclass(frozen=True, slots=True)
class OutcomeFact:
    """One stored (or certified) outcome, not revoked; or, in a what-if, a hypothetical one
    (negative ``id``), assumed to meet any score condition."""

    id: int
    item_code: str
    achieved_on: dt.date
    score: str = ""
    level: int | None = None
    credits: Decimal = Decimal(0)
    hypothetical: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """What earlier conversions into this programme did: outcomes they used and courses they
    recognised (conversion records, written when an application is approved)."""

    used_outcome_ids: frozenset[int] = frozenset()
    recognised_courses: frozenset[str] = frozenset()


NO_HISTORY = History()


@dataclass(frozen=True, slots=True)
class HypotheticalItem:
    """A catalog item for the what-if mode: "if I also had item X"."""

    item_code: str
    level: int | None = None
    credits: Decimal = Decimal(0)


# --- reasons --------------------------------------------------------------------------------


class Reason(StrEnum):
    """Why a rule does not apply (``RuleCheck.reasons``), per source item where it has one."""

    NOT_IN_EFFECT = "not_in_effect"
    COURSE_RECOGNISED = "course_already_recognised"
    MISSING_SOURCE = "missing_source"
    NOT_ENOUGH_SOURCES = "not_enough_sources"
    OUTCOME_USED = "outcome_used"
    SCORE_MISSING = "score_missing"
    SCORE_BELOW = "score_below"
    SCORE_NOT_COMPARABLE = "score_not_comparable"
    LEVEL_BELOW = "level_below"
    TOO_OLD = "too_old"


class Passed(StrEnum):
    """Why an applicable rule was not chosen (``Alternative.reason``)."""

    OVER_CAP = "over_cap"
    FEWER_CREDITS = "fewer_credits"
    TIE_BREAK = "tie_break"


class TieBreak(StrEnum):
    """The part of the order that decided between selections recognising as many credits."""

    REQUIRED_CREDITS = "required_credits"
    FEWER_OUTCOMES = "fewer_outcomes"
    RULE_ORDER = "rule_order"
    OUTCOME_ORDER = "outcome_order"
    ASSIGNMENT = "assignment"


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason, with what its message needs: the item, the outcome, and the values compared."""

    reason: Reason
    item_code: str = ""
    outcome_id: int | None = None
    actual: str = ""
    required: str = ""


@dataclass(frozen=True, slots=True)
class SourceCheck:
    item_code: str
    qualifying: tuple[int, ...]  # outcome ids that satisfy this source, earliest first
    findings: tuple[Finding, ...]  # why the item's other outcomes (or its absence) do not


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One rule against the learner's outcomes. ``sources`` (per source item, the qualifying
    outcomes and the findings about the others) is built when read: an audit checks a hundred
    rules and the API shows only their findings."""

    rule: RuleSpec
    applicable: bool
    credits: Decimal
    findings: tuple[Finding, ...]  # empty when applicable
    _qualifying: tuple[tuple[int, ...], ...] | None = field(default=None, repr=False, compare=False)
    _source_findings: dict[tuple[int, int], list[Finding]] | None = field(default=None, repr=False, compare=False)
    _index: int = field(default=-1, repr=False, compare=False)

    @property
    def reason(self) -> Reason | None:
        return self.findings[0].reason if self.findings else None

    @property
    def sources(self) -> tuple[SourceCheck, ...]:
        found = self._source_findings or {}
        return tuple(
            SourceCheck(
                item_code=code,
                qualifying=self._qualifying[source] if self._qualifying else (),
                findings=tuple(found.get((self._index, source), ())),
            )
            for source, code in enumerate(self.rule.sources)
        )


@dataclass(frozen=True, slots=True)
class ChosenRule:
    """A rule the choice applies: what a conversion record keeps (rule and version, courses,
    credits, the outcomes used)."""

    rule: RuleSpec
    courses: tuple[str, ...]
    credits: Decimal
    outcome_ids: tuple[int, ...]
    item_codes: tuple[str, ...]
    hypothetical: bool


@dataclass(frozen=True, slots=True)
class SelectionKey:
    """A selection's place in the order: more credits, then more credits of required courses,
    then fewer outcomes, then the earlier rules, then the earlier outcomes, then the earlier
    rule with the earlier outcome."""

    credits: int
    required: int
    outcomes: int
    rule_ranks: tuple[int, ...]
    outcome_ranks: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]

    def decider(self, other: SelectionKey) -> TieBreak | None:
        """The first criterion after credits on which ``self`` and ``other`` differ."""
        if self.required != other.required:
            return TieBreak.REQUIRED_CREDITS
        if self.outcomes != other.outcomes:
            return TieBreak.FEWER_OUTCOMES
        if set(self.rule_ranks) != set(other.rule_ranks):
            return TieBreak.RULE_ORDER
        if set(self.outcome_ranks) != set(other.outcome_ranks):
            return TieBreak.OUTCOME_ORDER
        if set(self.pairs) != set(other.pairs):
            return TieBreak.ASSIGNMENT
        return None


@dataclass(frozen=True, slots=True)
class Alternative:
    """An applicable rule the choice leaves out, and why (``Passed``): the best total possible
    with it, the chosen rules it competes with, and what they share."""

    rule: RuleSpec
    credits: Decimal
    reason: Passed
    best_with: Decimal | None
    competing: tuple[str, ...]
    shared_courses: tuple[str, ...]
    shared_outcomes: tuple[int, ...]
    decider: TieBreak | None = None


@dataclass(frozen=True, slots=True)
class GroupProgress:
    name: str
    required: bool
    needed_credits: Decimal
    done_credits: Decimal
    missing_credits: Decimal
    recognised_courses: tuple[str, ...]
    missing_courses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    chosen: tuple[ChosenRule, ...]
    credits: Decimal
    key: SelectionKey


@dataclass(frozen=True)
class Audit:
    """Everything a learner, a reviewer and a conversion application need about one programme."""

    programme: ProgrammeSpec
    as_of: dt.date
    outcomes: tuple[OutcomeFact, ...]
    history: History
    checks: tuple[RuleCheck, ...]
    selection: Selection
    alternatives: tuple[Alternative, ...]
    groups: tuple[GroupProgress, ...]
    previous_credits: Decimal
    cap_credits: Decimal
    remaining_cap: Decimal
    credits_missing: Decimal
    hypothetical_items: tuple[str, ...] = ()

    @property
    def recognised_credits(self) -> Decimal:
        return self.selection.credits

    @property
    def cap_reached(self) -> bool:
        """Earlier and present conversions together use the whole cap."""
        return self.previous_credits + self.selection.credits >= self.cap_credits


# --- compiled programme ---------------------------------------------------------------------


@dataclass(slots=True)
class _Rule:
    spec: RuleSpec
    index: int
    rank: int
    in_effect: bool
    course_bits: int
    tenths: int
    required_tenths: int
    minimum: Score | None
    earliest: dt.date | None
    needed: int
    credits: Decimal


class CompiledProgramme:
    """A programme prepared once for an as-of date: bit masks for courses, tenths of credits,
    parsed minimum scores, the earliest acceptable date per rule, and rules by source item. A
    batch audit compiles once and evaluates every learner against it."""

    def __init__(self, programme: ProgrammeSpec, *, as_of: dt.date) -> None:
        self.programme = programme
        self.as_of = as_of
        self.course_index = {course.code: position for position, course in enumerate(programme.courses)}
        self.course_tenths = [tenths(course.credits) for course in programme.courses]
        required_groups = {group.name for group in programme.groups if group.required}
        self.required_bits = 0
        for position, course in enumerate(programme.courses):
            if course.group in required_groups:
                self.required_bits |= 1 << position
        self.cap_tenths = tenths(programme.cap_credits)
        if self.cap_tenths >= 1 << _TOTAL_BITS:
            raise ValueError("a cap of more than 100,000 credits")
        order = sorted(
            range(len(programme.rules)),
            key=lambda i: (programme.rules[i].number, programme.rules[i].version, programme.rules[i].id),
        )
        ranks = {index: rank for rank, index in enumerate(order)}
        self.rules: list[_Rule] = []
        self.by_item: dict[str, list[tuple[_Rule, int]]] = {}
        for index, spec in enumerate(programme.rules):
            bits = 0
            for code in spec.targets:
                course_position = self.course_index.get(code)
                if course_position is None:
                    raise ValueError(f"rule {spec.number} targets {code}, not a course of {programme.code}")
                bits |= 1 << course_position
            years = [value for value in (spec.within_years, programme.max_outcome_age_years) if value is not None]
            rule = _Rule(
                spec=spec,
                index=index,
                rank=ranks[index],
                in_effect=spec.in_effect(as_of),
                course_bits=bits,
                tenths=self.mask_tenths(bits),
                required_tenths=self.mask_tenths(bits & self.required_bits),
                minimum=score_value(spec.min_score) if spec.min_score else None,
                earliest=years_before(as_of, min(years)) if years else None,
                needed=spec.needed,
                credits=credits_of(self.mask_tenths(bits)),
            )
            self.rules.append(rule)
            if rule.in_effect:
                for source_index, code in enumerate(spec.sources):
                    self.by_item.setdefault(code, []).append((rule, source_index))
        self.rule_count = len(self.rules)
        self.item_codes = frozenset(self.by_item)

    def mask_tenths(self, bits: int) -> int:
        total = 0
        position = 0
        while bits:
            if bits & 1:
                total += self.course_tenths[position]
            bits >>= 1
            position += 1
        return total

    def course_codes(self, bits: int) -> tuple[str, ...]:
        codes = []
        courses = self.programme.courses
        while bits:
            low = bits & -bits
            codes.append(courses[low.bit_length() - 1].code)
            bits ^= low
        return tuple(codes)

    def history_bits(self, history: History) -> int:
        bits = 0
        for code in history.recognised_courses:
            position = self.course_index.get(code)
            if position is not None:
                bits |= 1 << position
        return bits


def compile_programme(programme: ProgrammeSpec, *, as_of: dt.date) -> CompiledProgramme:
    return CompiledProgramme(programme, as_of=as_of)


# --- evaluation -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Instance:
    rule: _Rule
    outcomes: tuple[int, ...]  # positions in the ordered outcomes
    mask: int  # course bits | outcome bits
    tenths: int
    key: int  # the packed tie-break key (see _KeyPacking)


@dataclass(slots=True)
class _Evaluation:
    ordered: list[OutcomeFact]
    qualifying: dict[int, list[list[int]]]  # rule index → per source, qualifying outcome positions
    findings: dict[tuple[int, int], list[Finding]]
    applicable: list[_Rule]
    checks: list[RuleCheck] | None


_SCORE_REASONS = {
    Comparison.MISSING: Reason.SCORE_MISSING,
    Comparison.BELOW: Reason.SCORE_BELOW,
    Comparison.NOT_COMPARABLE: Reason.SCORE_NOT_COMPARABLE,
}
_score_cache: dict[str, Score | None] = {}


def _score(text: str) -> Score | None:
    try:
        return _score_cache[text]
    except KeyError:
        value = score_value(text)
        if len(_score_cache) < 10_000:
            _score_cache[text] = value
        return value


def _evaluate(
    compiled: CompiledProgramme, outcomes: Iterable[OutcomeFact], history: History, *, explain: bool
) -> _Evaluation:
    relevant = [outcome for outcome in outcomes if outcome.item_code in compiled.item_codes]
    relevant.sort(key=lambda outcome: (outcome.achieved_on, outcome.id))
    qualifying: dict[int, list[list[int]]] = {}
    findings: dict[tuple[int, int], list[Finding]] = {}
    used = history.used_outcome_ids
    for position, outcome in enumerate(relevant):
        entries = compiled.by_item[outcome.item_code]
        if outcome.id in used:
            if explain:
                for rule, source in entries:
                    findings.setdefault((rule.index, source), []).append(
                        Finding(Reason.OUTCOME_USED, outcome.item_code, outcome.id)
                    )
            continue
        score = _score(outcome.score) if outcome.score else None
        for rule, source in entries:
            failed: list[Finding] | None = None
            if rule.minimum is not None and not outcome.hypothetical:
                comparison = compare(score, rule.minimum)
                if comparison is not Comparison.MEETS:
                    if not explain:
                        continue
                    failed = [
                        Finding(
                            _SCORE_REASONS[comparison],
                            outcome.item_code,
                            outcome.id,
                            actual=outcome.score,
                            required=rule.spec.min_score,
                        )
                    ]
            minimum_level = rule.spec.min_level
            if minimum_level is not None and (outcome.level is None or outcome.level < minimum_level):
                if not explain:
                    continue
                failed = failed or []
                failed.append(
                    Finding(
                        Reason.LEVEL_BELOW,
                        outcome.item_code,
                        outcome.id,
                        actual="" if outcome.level is None else str(outcome.level),
                        required=str(minimum_level),
                    )
                )
            if rule.earliest is not None and outcome.achieved_on < rule.earliest:
                if not explain:
                    continue
                failed = failed or []
                failed.append(
                    Finding(
                        Reason.TOO_OLD,
                        outcome.item_code,
                        outcome.id,
                        actual=outcome.achieved_on.isoformat(),
                        required=rule.earliest.isoformat(),
                    )
                )
            if failed:
                findings.setdefault((rule.index, source), []).extend(failed)
                continue
            per_source = qualifying.get(rule.index)
            if per_source is None:
                per_source = qualifying[rule.index] = [[] for _ in rule.spec.sources]
            per_source[source].append(position)

    history_bits = compiled.history_bits(history) if history.recognised_courses else 0
    applicable: list[_Rule] = []
    if not explain:
        # The batch path: only rules some outcome qualifies for can apply (rules in effect only
        # are reached through ``by_item``), in programme order.
        rules = compiled.rules
        for index in sorted(qualifying):
            rule = rules[index]
            if rule.course_bits & history_bits:
                continue
            if sum(1 for options in qualifying[index] if options) >= rule.needed:
                applicable.append(rule)
        return _Evaluation(relevant, qualifying, findings, applicable, None)
    checks: list[RuleCheck] = []
    for rule in compiled.rules:
        spec = rule.spec
        per_source = qualifying.get(rule.index)
        satisfied = 0 if per_source is None else sum(1 for options in per_source if options)
        rule_findings: list[Finding] = []
        if not rule.in_effect:
            rule_findings.append(
                Finding(
                    Reason.NOT_IN_EFFECT,
                    actual=compiled.as_of.isoformat(),
                    required=_period(spec),
                )
            )
        elif rule.course_bits & history_bits:
            rule_findings.append(
                Finding(
                    Reason.COURSE_RECOGNISED, actual="、".join(compiled.course_codes(rule.course_bits & history_bits))
                )
            )
        elif satisfied < rule.needed:
            if spec.source_count is not None:
                rule_findings.append(
                    Finding(Reason.NOT_ENOUGH_SOURCES, actual=str(satisfied), required=str(spec.needed))
                )
            for source, code in enumerate(spec.sources):
                if per_source is not None and per_source[source]:
                    continue
                found = findings.get((rule.index, source))
                rule_findings.extend(found if found else [Finding(Reason.MISSING_SOURCE, code)])
        if not rule_findings:
            applicable.append(rule)
        checks.append(
            RuleCheck(
                rule=spec,
                applicable=not rule_findings,
                credits=rule.credits,
                findings=tuple(rule_findings),
                _qualifying=(
                    tuple(tuple(relevant[position].id for position in positions) for positions in per_source)
                    if per_source
                    else None
                ),
                _source_findings=findings,
                _index=rule.index,
            )
        )
    return _Evaluation(relevant, qualifying, findings, applicable, checks)


def _period(spec: RuleSpec) -> str:
    start = spec.effective_from.isoformat() if spec.effective_from else ""
    end = spec.effective_to.isoformat() if spec.effective_to else ""
    return f"{start}~{end}"


# --- instances and the packed key ------------------------------------------------------------


class _KeyPacking:
    """The tie-break order packed into one integer, so that merging partial selections is one
    addition and one comparison. From the most significant part down: required-course tenths,
    minus the number of outcomes, the rules as bits (the earliest rule in the highest bit), the
    outcomes as bits (the earliest outcome highest), and the (rule, outcome) pairs as bits (the
    earliest rule with its earliest outcome highest), which tells apart two selections that use
    the same rules and outcomes assigned the other way round. Every part is additive over
    disjoint selections, and each lower part's range stays below one unit of the part above."""

    def __init__(self, rule_count: int, outcome_count: int) -> None:
        self.rule_count = rule_count
        self.outcome_count = outcome_count
        self.pair_count = rule_count * outcome_count
        self.outcome_unit = 1 << self.pair_count
        self.rule_unit = self.outcome_unit << outcome_count
        self.outcome_count_unit = self.rule_unit << rule_count
        self.required_unit = self.outcome_count_unit * (outcome_count + 2)

    def key(self, rule_rank: int, outcome_positions: Sequence[int], required_tenths: int) -> int:
        rule_bit = 1 << (self.rule_count - 1 - rule_rank)
        outcome_bits = pair_bits = 0
        for position in outcome_positions:
            outcome_bits |= 1 << (self.outcome_count - 1 - position)
            pair_bits |= 1 << (self.pair_count - 1 - (rule_rank * self.outcome_count + position))
        return (
            required_tenths * self.required_unit
            - len(outcome_positions) * self.outcome_count_unit
            + rule_bit * self.rule_unit
            + outcome_bits * self.outcome_unit
            + pair_bits
        )


def _instances(
    compiled: CompiledProgramme, evaluation: _Evaluation, cap: int, *, reduce: bool = True
) -> tuple[list[_Instance], _KeyPacking]:
    """Every way each applicable rule can be applied. With ``reduce``, an item that only one rule
    in effect takes contributes only its earliest qualifying outcome: no other rule competes for
    the others, and the earliest is preferred by the order anyway (brute force in the tests runs
    without this)."""
    course_count = len(compiled.programme.courses)
    packing = _KeyPacking(compiled.rule_count, len(evaluation.ordered))
    instances: list[_Instance] = []
    for rule in evaluation.applicable:
        if rule.tenths > cap:
            continue
        spec = rule.spec
        per_source = evaluation.qualifying[rule.index]
        options: list[list[int]] = []
        for source, positions in enumerate(per_source):
            if reduce and positions and len(compiled.by_item[spec.sources[source]]) == 1:
                options.append(positions[:1])
            else:
                options.append(positions)
        satisfied = [source for source, positions in enumerate(options) if positions]
        for combination in itertools.combinations(satisfied, rule.needed):
            for picks in itertools.product(*(options[source] for source in combination)):
                outcome_bits = 0
                for position in picks:
                    outcome_bits |= 1 << (course_count + position)
                instances.append(
                    _Instance(
                        rule=rule,
                        outcomes=tuple(sorted(picks)),
                        mask=rule.course_bits | outcome_bits,
                        tenths=rule.tenths,
                        key=packing.key(rule.rank, picks, rule.required_tenths),
                    )
                )
    return instances, packing


# --- the optimisation -----------------------------------------------------------------------

_Chain = tuple[_Instance, "_Chain"] | None
_Options = dict[int, tuple[int, _Chain]]  # credits in tenths → (best key, the instances)


def _components(instances: list[_Instance]) -> list[list[_Instance]]:
    """Groups of instances that share no course or outcome with any other group."""
    parent = list(range(len(instances)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[int, int] = {}
    for index, instance in enumerate(instances):
        bits = instance.mask
        while bits:
            low = bits & -bits
            bits ^= low
            other = owner.setdefault(low, index)
            if other != index:
                a, b = find(other), find(index)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[_Instance]] = {}
    for index, instance in enumerate(instances):
        groups.setdefault(find(index), []).append(instance)
    return [groups[root] for root in sorted(groups)]


_TOTAL_BITS = 20  # credits in tenths below 2**20 (104,857.6 credits): the low bits of a DP state


def _component_options(component: list[_Instance], cap: int) -> _Options:
    """For each credit total this component can reach within ``cap``, its best selection. The
    state is (the contested bits taken, the credits), packed in one integer: bits no later
    instance uses are dropped, so that partial selections equivalent for the rest merge,
    keeping the better key."""
    future = [0] * (len(component) + 1)
    for index in range(len(component) - 1, -1, -1):
        future[index] = future[index + 1] | (component[index].mask << _TOTAL_BITS)
    states: dict[int, tuple[int, _Chain]] = {0: (0, None)}
    total_mask = (1 << _TOTAL_BITS) - 1
    for index, instance in enumerate(component):
        keep = future[index + 1] | total_mask
        bits = instance.mask << _TOTAL_BITS
        size = instance.tenths
        limit = cap - size
        key_gain = instance.key
        merged: dict[int, tuple[int, _Chain]] = {}
        get = merged.get
        for state, value in states.items():
            skipped = state & keep
            current = get(skipped)
            if current is None or value[0] > current[0]:
                merged[skipped] = value
            if not state & bits and state & total_mask <= limit:
                taken = ((state | bits) + size) & keep
                gained = value[0] + key_gain
                current = get(taken)
                if current is None or gained > current[0]:
                    merged[taken] = (gained, (instance, value[1]))
        states = merged
    options: _Options = {}
    for state, (key, chain) in states.items():
        total = state & total_mask
        current = options.get(total)
        if current is None or key > current[0]:
            options[total] = (key, chain)
    return options


def _forced_options(component: list[_Instance], cap: int, rule_index: int) -> _Options:
    """Like ``_component_options``, for the selections that apply rule ``rule_index``: each of
    its instances, plus the best of the instances that do not conflict with it."""
    options: _Options = {}
    for instance in component:
        if instance.rule.index != rule_index:
            continue
        rest = [other for other in component if other.rule.index != rule_index and not other.mask & instance.mask]
        for total, (key, chain) in _component_options(rest, cap - instance.tenths).items():
            combined = total + instance.tenths
            gained = key + instance.key
            current = options.get(combined)
            if current is None or gained > current[0]:
                options[combined] = (gained, (instance, chain))
    return options


_Table = dict[int, tuple[int, Any]]  # credits in tenths → (best key, a tree of chains)
_EMPTY_TABLE: _Table = {0: (0, None)}


def _merge(table: _Table, other: _Table | _Options, cap: int) -> _Table:
    """Every total of one entry of ``table`` plus one of ``other`` within ``cap``, each with its
    best key: the knapsack step over independent components."""
    merged: _Table = {}
    for total, (key, node) in table.items():
        for extra, (extra_key, other_node) in other.items():
            combined = total + extra
            if combined > cap:
                continue
            gained = key + extra_key
            current = merged.get(combined)
            if current is None or gained > current[0]:
                merged[combined] = (gained, (other_node, node))
    return merged


def _flatten(node: Any) -> list[_Instance]:
    """The instances of a tree whose leaves are chains ``(instance, chain)``, sorted by rule."""
    picked: list[_Instance] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        first, second = current
        if isinstance(first, _Instance):
            picked.append(first)
        else:
            stack.append(first)
        stack.append(second)
    picked.sort(key=lambda instance: instance.rule.rank)
    return picked


def _best_of(options: _Options | _Table) -> tuple[int, int, Any]:
    total = max(options)
    key, node = options[total]
    return total, key, node


class _Solution:
    """The optimisation over independent components, kept so that "the best selection that
    includes rule r" (the explanation) re-solves only r's component: the others are combined
    once, from prefix and suffix knapsack tables, when the cap binds at all."""

    def __init__(self, instances: list[_Instance], cap: int) -> None:
        self.cap = cap
        self.components = _components(instances)
        self.options = [_component_options(component, cap) for component in self.components]
        self.component_of = {
            instance.rule.index: position
            for position, component in enumerate(self.components)
            for instance in component
        }
        self.capped = sum(max(options) for options in self.options) > cap
        self._prefix: list[_Table] | None = None
        self._suffix: list[_Table] | None = None
        self._totals: dict[int, list[int]] = {}

    def _tables(self) -> tuple[list[_Table], list[_Table]]:
        if self._prefix is None or self._suffix is None:
            prefix = [_EMPTY_TABLE]
            for options in self.options:
                prefix.append(_merge(prefix[-1], options, self.cap))
            suffix = [_EMPTY_TABLE]
            for options in reversed(self.options):
                suffix.append(_merge(suffix[-1], options, self.cap))
            suffix.reverse()
            self._prefix, self._suffix = prefix, suffix
        return self._prefix, self._suffix

    def best(self) -> tuple[int, int, list[_Instance]]:
        if not self.capped:
            total = key = 0
            nodes: Any = None
            for options in self.options:
                extra, extra_key, node = _best_of(options)
                total += extra
                key += extra_key
                nodes = (node, nodes)
            return total, key, _flatten(nodes)
        prefix, _suffix = self._tables()
        total, key, node = _best_of(prefix[-1])
        return total, key, _flatten(node)

    def best_with(self, rule_index: int) -> tuple[int, int, list[_Instance]] | None:
        """The best selection that applies rule ``rule_index`` (None: none fits under the cap)."""
        position = self.component_of.get(rule_index)
        if position is None:
            return None
        forced = _forced_options(self.components[position], self.cap, rule_index)
        if not forced:
            return None
        if not self.capped:
            total, key, nodes = _best_of(forced)
            for other, options in enumerate(self.options):
                if other != position:
                    extra, extra_key, node = _best_of(options)
                    total += extra
                    key += extra_key
                    nodes = (node, nodes)
            return total, key, _flatten(nodes)
        # The other components: the prefix before and the suffix after this one. For each forced
        # option and each entry of the smaller table, the best partner in the larger table is
        # the one with the largest total that still fits (credits come first in the order).
        prefix, suffix = self._tables()
        small, large = prefix[position], suffix[position + 1]
        if len(small) > len(large):
            small, large = large, small
        totals = self._sorted_totals(large)
        best: tuple[int, int, Any] | None = None
        for forced_total, (forced_key, forced_node) in forced.items():
            for small_total, (small_key, small_node) in small.items():
                room = self.cap - forced_total - small_total
                if room < 0:
                    continue
                large_total = totals[bisect.bisect_right(totals, room) - 1]
                large_key, large_node = large[large_total]
                total = forced_total + small_total + large_total
                key = forced_key + small_key + large_key
                if best is None or (total, key) > (best[0], best[1]):
                    best = (total, key, (forced_node, (small_node, large_node)))
        if best is None:
            return None
        return best[0], best[1], _flatten(best[2])

    def _sorted_totals(self, table: _Table) -> list[int]:
        found = self._totals.get(id(table))
        if found is None:
            found = self._totals[id(table)] = sorted(table)
        return found


def _optimise(instances: list[_Instance], cap: int) -> tuple[int, int, list[_Instance]]:
    return _Solution(instances, cap).best()


# --- results --------------------------------------------------------------------------------


def _selection(compiled: CompiledProgramme, ordered: list[OutcomeFact], picked: list[_Instance]) -> Selection:
    chosen = []
    total = required = outcomes = 0
    outcome_ranks: list[int] = []
    pairs: list[tuple[int, int]] = []
    for instance in picked:
        spec = instance.rule.spec
        facts = [ordered[position] for position in instance.outcomes]
        chosen.append(
            ChosenRule(
                rule=spec,
                courses=compiled.course_codes(instance.rule.course_bits),
                credits=credits_of(instance.tenths),
                outcome_ids=tuple(fact.id for fact in facts),
                item_codes=tuple(fact.item_code for fact in facts),
                hypothetical=any(fact.hypothetical for fact in facts),
            )
        )
        total += instance.tenths
        required += instance.rule.required_tenths
        outcomes += len(instance.outcomes)
        outcome_ranks.extend(instance.outcomes)
        pairs.extend((instance.rule.rank, position) for position in instance.outcomes)
    key = SelectionKey(
        credits=total,
        required=required,
        outcomes=outcomes,
        rule_ranks=tuple(sorted(instance.rule.rank for instance in picked)),
        outcome_ranks=tuple(sorted(outcome_ranks)),
        pairs=tuple(sorted(pairs)),
    )
    return Selection(chosen=tuple(chosen), credits=credits_of(total), key=key)


def _remaining_cap(compiled: CompiledProgramme, history: History) -> tuple[int, int]:
    previous = compiled.mask_tenths(compiled.history_bits(history)) if history.recognised_courses else 0
    return previous, max(compiled.cap_tenths - previous, 0)


def choose(compiled: CompiledProgramme, outcomes: Iterable[OutcomeFact], history: History = NO_HISTORY) -> Selection:
    """The batch path: the best choice of rules, without explanations."""
    evaluation = _evaluate(compiled, outcomes, history, explain=False)
    _previous, cap = _remaining_cap(compiled, history)
    instances, _packing = _instances(compiled, evaluation, cap)
    return _selection(compiled, evaluation.ordered, _optimise(instances, cap)[2])


def audit(
    programme: ProgrammeSpec | CompiledProgramme,
    outcomes: Iterable[OutcomeFact],
    *,
    as_of: dt.date | None = None,
    history: History = NO_HISTORY,
    hypothetical: Sequence[HypotheticalItem] = (),
) -> Audit:
    """The degree audit: every rule checked, the best choice explained, progress per group.

    ``hypothetical`` (the what-if mode) adds an outcome of each item, achieved on ``as_of`` and
    assumed to meet any score condition; their ids are negative."""
    if isinstance(programme, CompiledProgramme):
        compiled = programme
        if as_of is not None and as_of != compiled.as_of:
            raise ValueError("the compiled programme is for another date")
    else:
        if as_of is None:
            raise ValueError("as_of is required")
        compiled = CompiledProgramme(programme, as_of=as_of)
    facts = list(outcomes)
    for number, item in enumerate(hypothetical, start=1):
        facts.append(
            OutcomeFact(
                id=-number,
                item_code=item.item_code,
                achieved_on=compiled.as_of,
                level=item.level,
                credits=item.credits,
                hypothetical=True,
            )
        )
    evaluation = _evaluate(compiled, facts, history, explain=True)
    previous, cap = _remaining_cap(compiled, history)
    instances, _packing = _instances(compiled, evaluation, cap)
    solution = _Solution(instances, cap)
    result = solution.best()
    selection = _selection(compiled, evaluation.ordered, result[2])
    alternatives = _alternatives(compiled, evaluation, solution, instances, result[2], selection)
    recognised_bits = compiled.history_bits(history)
    for instance in result[2]:
        recognised_bits |= instance.rule.course_bits
    groups = _groups(compiled, recognised_bits)
    done = previous + selection.key.credits
    assert evaluation.checks is not None  # noqa: S101
    return Audit(
        programme=compiled.programme,
        as_of=compiled.as_of,
        outcomes=tuple(evaluation.ordered),
        history=history,
        checks=tuple(evaluation.checks),
        selection=selection,
        alternatives=alternatives,
        groups=groups,
        previous_credits=credits_of(previous),
        cap_credits=credits_of(compiled.cap_tenths),
        remaining_cap=credits_of(cap),
        credits_missing=credits_of(max(tenths(compiled.programme.total_credits) - done, 0)),
        hypothetical_items=tuple(item.item_code for item in hypothetical),
    )


def _alternatives(
    compiled: CompiledProgramme,
    evaluation: _Evaluation,
    solution: _Solution,
    instances: list[_Instance],
    picked: list[_Instance],
    selection: Selection,
) -> tuple[Alternative, ...]:
    chosen_indexes = {instance.rule.index for instance in picked}
    taken = 0
    for instance in picked:
        taken |= instance.mask
    course_count = len(compiled.programme.courses)
    course_mask = (1 << course_count) - 1
    ordered = evaluation.ordered
    result = []
    for rule in evaluation.applicable:
        if rule.index in chosen_indexes:
            continue
        own = [instance for instance in instances if instance.rule.index == rule.index]
        competing = tuple(
            instance.rule.spec.number
            for instance in picked
            if instance.rule.course_bits & rule.course_bits or any(instance.mask & other.mask for other in own)
        )
        shared_courses = compiled.course_codes(rule.course_bits & taken & course_mask)
        shared_outcomes = tuple(
            sorted(
                {
                    ordered[position].id
                    for instance in own
                    for position in instance.outcomes
                    if taken >> (course_count + position) & 1
                }
            )
        )
        fits_beside = any(not instance.mask & taken for instance in own)
        forced = solution.best_with(rule.index) if own else None
        if forced is None or fits_beside:
            # Nothing of it fits under the cap, or it conflicts with nothing chosen: the cap decided.
            result.append(
                Alternative(
                    rule=rule.spec,
                    credits=credits_of(rule.tenths),
                    reason=Passed.OVER_CAP,
                    best_with=credits_of(forced[0]) if forced is not None else None,
                    competing=competing,
                    shared_courses=shared_courses,
                    shared_outcomes=shared_outcomes,
                )
            )
            continue
        best_with = _selection(compiled, ordered, forced[2])
        if best_with.key.credits < selection.key.credits:
            reason, decider = Passed.FEWER_CREDITS, None
        else:
            reason, decider = Passed.TIE_BREAK, selection.key.decider(best_with.key)
        result.append(
            Alternative(
                rule=rule.spec,
                credits=credits_of(rule.tenths),
                reason=reason,
                best_with=best_with.credits,
                competing=competing,
                shared_courses=shared_courses,
                shared_outcomes=shared_outcomes,
                decider=decider,
            )
        )
    return tuple(result)


def _groups(compiled: CompiledProgramme, recognised_bits: int) -> tuple[GroupProgress, ...]:
    programme = compiled.programme
    by_group: dict[str, list[int]] = {group.name: [] for group in programme.groups}
    for position, course in enumerate(programme.courses):
        by_group.setdefault(course.group, []).append(position)
    progress = []
    for group in programme.groups:
        positions = by_group.get(group.name, [])
        done = [position for position in positions if recognised_bits >> position & 1]
        left = [position for position in positions if not recognised_bits >> position & 1]
        done_tenths = sum(compiled.course_tenths[position] for position in done)
        if group.required:
            needed = sum(compiled.course_tenths[position] for position in positions)
        else:
            needed = tenths(group.min_credits) if group.min_credits is not None else 0
        missing = max(needed - done_tenths, 0)
        progress.append(
            GroupProgress(
                name=group.name,
                required=group.required,
                needed_credits=credits_of(needed),
                done_credits=credits_of(done_tenths),
                missing_credits=credits_of(missing),
                recognised_courses=tuple(programme.courses[position].code for position in done),
                missing_courses=tuple(programme.courses[position].code for position in left) if missing else (),
            )
        )
    return tuple(progress)


# --- brute force (for the tests and for doubt) -----------------------------------------------


def brute_force(
    compiled: CompiledProgramme,
    outcomes: Iterable[OutcomeFact],
    history: History = NO_HISTORY,
    *,
    forced_rule_id: int | None = None,
) -> Selection | None:
    """Every subset of every instance (no reduction), the best by the same order: exponential,
    for checking ``choose`` (and, with ``forced_rule_id``, the explanation's "best with this
    rule") on small programmes only. None: no selection with the forced rule fits."""
    evaluation = _evaluate(compiled, outcomes, history, explain=False)
    _previous, cap = _remaining_cap(compiled, history)
    instances, _packing = _instances(compiled, evaluation, cap, reduce=False)
    if len(instances) > 18:
        raise ValueError("too many instances for brute force")
    best: tuple[int, int, list[_Instance]] | None = None if forced_rule_id is not None else (0, 0, [])
    for size in range(1, len(instances) + 1):
        for subset in itertools.combinations(instances, size):
            if forced_rule_id is not None and all(instance.rule.spec.id != forced_rule_id for instance in subset):
                continue
            mask = total = key = 0
            for instance in subset:
                if mask & instance.mask:
                    break
                mask |= instance.mask
                total += instance.tenths
                key += instance.key
            else:
                if total <= cap and (best is None or (total, key) > (best[0], best[1])):
                    best = (total, key, sorted(subset, key=lambda instance: instance.rule.rank))
    return None if best is None else _selection(compiled, evaluation.ordered, best[2])
