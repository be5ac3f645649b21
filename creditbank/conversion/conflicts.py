"""When two rules of one programme contradict each other (pure; docs/conversion.md).

Two rules *overlap* when their effective periods intersect, they share a source item, and they
claim a common course. The engine copes with any overlap (each course and each outcome is used
once, and it picks the best), but a rule set that says two things about the same course from the
same outcomes is an administrative mistake, so publishing refuses it — except for one shape that
is deliberate:

* a **tier** (refinement): same mode, the smaller rule's sources are all among the bigger rule's
  (for n-of-m rules: the very same source specification), and its courses are a strict subset of
  the bigger rule's. "1+X 中级 → 课程A; 1+X 中级 + 技能竞赛二等奖 → 课程A + 课程B", or the same
  certificate with a higher minimum score granting more courses: the engine takes the bigger
  rule when the learner qualifies and the cap allows, the smaller one otherwise.

Every other overlap is refused, with the most precise code that fits:

* ``rule_duplicate``: same source specification and the same courses, in the same mode — the
  same outcomes would claim the same courses twice (whatever the conditions: the looser rule
  makes the stricter one pointless);
* ``rule_mode_conflict``: the same courses (or a tier's) from the same sources, one as exemption
  (免修免考) and one as credit recognition (学分认定);
* ``rule_conflict``: any other overlap (courses that partly overlap, or sources that partly overlap).

A cycle (an outcome converted into a course that feeds another conversion) cannot be built: a
rule's sources are catalog items and its targets courses of the programme, and a recognition is
kept as a conversion record, never as a new outcome that another rule could take.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from creditbank.conversion.errors import ConversionErrorCode


@dataclass(frozen=True, slots=True)
class RuleShape:
    number: str
    version: int
    mode: str
    sources: frozenset[str]
    source_count: int | None  # None: all of the sources
    targets: frozenset[str]
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    @property
    def is_all_of(self) -> bool:
        return self.source_count is None or self.source_count == len(self.sources)

    @property
    def source_spec(self) -> tuple[frozenset[str], int]:
        return self.sources, len(self.sources) if self.source_count is None else self.source_count


def periods_overlap(a: RuleShape, b: RuleShape) -> bool:
    earliest_end = min(a.effective_to or dt.date.max, b.effective_to or dt.date.max)
    latest_start = max(a.effective_from or dt.date.min, b.effective_from or dt.date.min)
    return latest_start <= earliest_end


def _is_tier(small: RuleShape, big: RuleShape) -> bool:
    if not small.targets < big.targets:
        return False
    if small.is_all_of and big.is_all_of:
        return small.sources <= big.sources
    return small.source_spec == big.source_spec


def classify(a: RuleShape, b: RuleShape) -> ConversionErrorCode | None:
    """The problem between ``a`` and ``b``, or None when they do not contradict each other."""
    if not (a.sources & b.sources and a.targets & b.targets and periods_overlap(a, b)):
        return None
    same_sources = a.source_spec == b.source_spec or (a.is_all_of and b.is_all_of and a.sources == b.sources)
    if same_sources and a.targets == b.targets:
        return ConversionErrorCode.DUPLICATE if a.mode == b.mode else ConversionErrorCode.MODE_CONFLICT
    if _is_tier(a, b) or _is_tier(b, a):
        return None if a.mode == b.mode else ConversionErrorCode.MODE_CONFLICT
    return ConversionErrorCode.CONFLICT
