"""Reading programmes and rules, and the loader that feeds the engine.

The loader turns rows into the engine's plain dataclasses: a programme with its groups, courses
and rules in effect (five queries, whatever their number), and a learner's outcomes of the items
the rules name (one query). The batch path loads the programme once and streams outcomes for
chunks of learners (one query per chunk, never one per learner).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Count, DateField, DecimalField, F, Prefetch, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.models import CatalogItem
from creditbank.conversion import engine
from creditbank.conversion.choices import ProgrammeStatus
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.conversion.models import ConversionRule, Course, Programme, RequirementGroup, RuleSource, RuleTarget
from creditbank.conversion.values import text
from creditbank.core import compiled_sql
from creditbank.core.compiled_sql import Template, compile_template
from creditbank.core.errors import NotFound, ValidationFailed

# Outcomes that count: stored or certified, never revoked.
COUNTING_STATUSES = (OutcomeStatus.STORED, OutcomeStatus.CERTIFIED)
MAX_WHAT_IF_ITEMS = 20
BATCH_CHUNK = 2000


# --- the public list ------------------------------------------------------------------------------


def open_programmes() -> QuerySet[Programme]:
    return Programme.objects.filter(status=ProgrammeStatus.ACTIVE).select_related("org")


def search_programmes(*, query: str = "", level: str = "", org: str = "") -> QuerySet[Programme]:
    """Open programmes: ``query`` matches the start of the code, part of the name, or its pinyin
    initials; ``org`` is the owning centre's code."""
    programmes = open_programmes()
    query = text(query)
    if query:
        condition = Q(code__startswith=query.upper()) | Q(name__contains=query)
        if query.isascii() and query.isalnum():
            condition |= Q(name_initials__contains=query.lower())
        programmes = programmes.filter(condition)
    if level:
        programmes = programmes.filter(level=level)
    if org:
        programmes = programmes.filter(org__code=text(org).replace(" ", "").upper())
    return programmes.order_by("code")


def get_open_programme(code: str) -> Programme:
    """An open programme by code; ``programme_not_found`` otherwise (a closed one looks missing)."""
    programme = open_programmes().filter(code=text(code).replace(" ", "").upper()).first()
    if programme is None:
        raise NotFound(code=Code.PROGRAMME_NOT_FOUND)
    return programme


def programme_groups(programme: Programme) -> list[RequirementGroup]:
    groups = list(RequirementGroup.objects.filter(programme=programme).order_by("sort_order", "id"))
    courses_by_group: dict[int, list[Course]] = {group.pk: [] for group in groups}
    for course in Course.objects.filter(programme=programme).order_by("code"):
        courses_by_group.setdefault(course.group_id, []).append(course)
    for group in groups:
        group.course_list = courses_by_group.get(group.pk, [])  # type: ignore[attr-defined]
    return groups


def published_rules(programme: Programme) -> QuerySet[ConversionRule]:
    """The current published version of each rule, with sources and target courses."""
    return (
        ConversionRule.objects.published()
        .filter(programme=programme)
        .prefetch_related("sources", Prefetch("targets", queryset=RuleTarget.objects.select_related("course")))
        .order_by("number")
    )


# --- the loader -----------------------------------------------------------------------------------


def programme_spec(programme: Programme) -> engine.ProgrammeSpec:
    """The programme as the engine sees it: every published current rule (in effect or not; the
    engine says which), courses in code order. Five queries of plain values, whatever the size:
    no model instances (100 rules with their rows as models cost 40 ms here, as values 3 ms)."""
    groups = list(
        RequirementGroup.objects.filter(programme=programme)
        .order_by("sort_order", "id")
        .values_list("id", "name", "required", "min_credits")
    )
    group_names = {group_id: name for group_id, name, _required, _minimum in groups}
    courses = [
        engine.CourseSpec(code=code, name=name, credits=credits, group=group_names[group_id])
        for code, name, credits, group_id in Course.objects.filter(programme=programme)
        .order_by("code")
        .values_list("code", "name", "credits", "group_id")
    ]
    rules = ConversionRule.objects.published().filter(programme=programme)
    sources: dict[int, list[str]] = {}
    for rule_id, code in RuleSource.objects.filter(rule__in=rules).order_by("id").values_list("rule_id", "item_code"):
        sources.setdefault(rule_id, []).append(code)
    targets: dict[int, list[str]] = {}
    for rule_id, code in RuleTarget.objects.filter(rule__in=rules).values_list("rule_id", "course__code"):
        targets.setdefault(rule_id, []).append(code)
    specs = [
        engine.RuleSpec(
            id=rule_id,
            number=number,
            version=version,
            mode=mode,
            sources=tuple(sources.get(rule_id, ())),
            targets=tuple(sorted(targets.get(rule_id, ()))),
            source_count=source_count,
            min_score=min_score,
            min_level=min_level,
            within_years=within_years,
            effective_from=effective_from,
            effective_to=effective_to,
        )
        for (
            rule_id, number, version, mode, source_count, min_score, min_level, within_years, effective_from,
            effective_to,
        ) in rules.order_by("number").values_list(
            "id", "number", "version", "mode", "source_count", "min_score", "min_framework_level", "within_years",
            "effective_from", "effective_to",
        )
    ]  # fmt: skip
    return engine.ProgrammeSpec(
        id=programme.pk,
        code=programme.code,
        name=programme.name,
        total_credits=programme.total_credits,
        cap=programme.conversion_cap,
        groups=tuple(
            engine.GroupSpec(name=name, required=required, min_credits=minimum)
            for _group_id, name, required, minimum in groups
        ),
        courses=tuple(courses),
        rules=tuple(specs),
        max_outcome_age_years=programme.max_outcome_age_years,
        level=programme.level,
        org_code=programme.org.code,
        org_name=programme.org.name,
    )


# Compiled programmes of this process, by programme id: (stamp, compiled). A programme changes
# rarely and is read by every audit; loading and compiling 100 rules costs more than the audit.
_COMPILED: dict[int, tuple[tuple[Any, ...], LoadedProgramme]] = {}
_COMPILED_LIMIT = 256


def _stamp(programme: Programme, as_of: dt.date) -> tuple[Any, ...]:
    """What changes when anything the engine reads changes: the programme row, and the latest
    change and the number of its rules (new versions, publishing, retiring, draft edits),
    courses and groups. One query."""
    tables = [model._meta.db_table for model in (ConversionRule, Course, RequirementGroup)]
    parts = ", ".join(
        f"(SELECT MAX(updated_at) FROM {table} WHERE programme_id = %s), "  # noqa: S608 - table names from models
        f"(SELECT COUNT(*) FROM {table} WHERE programme_id = %s)"
        for table in tables
    )
    rows = compiled_sql.fetchall(connection, f"SELECT {parts}", [programme.pk] * 2 * len(tables))
    return (programme.updated_at, as_of, *(rows[0] if rows else ()))


@dataclass(frozen=True)
class LoadedProgramme:
    """A compiled programme and the framework level of every version of its source items."""

    compiled: engine.CompiledProgramme
    levels: dict[int, int | None]

    @property
    def codes(self) -> list[str]:
        return sorted(self.compiled.item_codes)


def load_programme(programme: Programme, *, as_of: dt.date) -> LoadedProgramme:
    """The programme loaded and compiled for ``as_of``, from this process's cache while nothing
    in it changed (one query to know), else afresh (six: five for the programme, one for the
    levels of its items)."""
    stamp = _stamp(programme, as_of)
    cached = _COMPILED.get(programme.pk)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    compiled = engine.compile_programme(programme_spec(programme), as_of=as_of)
    loaded = LoadedProgramme(compiled=compiled, levels=item_levels(sorted(compiled.item_codes)))
    if len(_COMPILED) >= _COMPILED_LIMIT:
        _COMPILED.clear()
    _COMPILED[programme.pk] = (stamp, loaded)
    return loaded


def source_codes(spec: engine.ProgrammeSpec) -> list[str]:
    return sorted({code for rule in spec.rules for code in rule.sources})


def item_levels(codes: Sequence[str]) -> dict[int, int | None]:
    """Framework level of every version of these items, by item id: outcomes then need no join."""
    return dict(CatalogItem.objects.filter(code__in=codes).values_list("id", "level__number"))


def _with_missing_levels(levels: dict[int, int | None], item_ids: set[int]) -> dict[int, int | None]:
    """``levels`` plus versions it does not know yet (an item versioned after it was read)."""
    missing = item_ids - levels.keys()
    if not missing:
        return levels
    return {**levels, **dict(CatalogItem.objects.filter(id__in=missing).values_list("id", "level__number"))}


def learner_outcomes(
    learner_id: int, codes: Sequence[str], levels: dict[int, int | None] | None = None
) -> list[engine.OutcomeFact]:
    """The learner's outcomes that count (stored or certified) of the items ``codes``: one
    query of plain values, without a join (framework levels by item version from ``levels``,
    read with the programme; versions it lacks cost one more query)."""
    if not codes:
        return []
    rows = list(
        Outcome.objects.filter(learner_id=learner_id, item_code__in=codes, status__in=COUNTING_STATUSES)
        .order_by()
        .values_list("id", "item_code", "achieved_on", "score", "item_id", "credits")
    )
    return _facts(rows, levels if levels is not None else {})


def learner_facts(
    learner_id: int, programme_id: int, codes: Sequence[str], levels: dict[int, int | None]
) -> tuple[list[engine.OutcomeFact], engine.History]:
    """``learner_outcomes`` and ``conversion_history`` in one round trip: what a single audit
    reads of the learner. The statement is compiled once per set of codes (``_facts_template``):
    for a statement this small the ORM's compiling costs four times the query."""
    rows = _facts_template(connection.vendor, tuple(codes)).execute(
        connection, {"learner": learner_id, "record_learner": learner_id, "programme": programme_id}
    )
    courses: set[str] = set()
    used: set[int] = set()
    outcome_rows = []
    for row in rows:
        if row[0] == RECORD_ROW:
            courses.add(row[1])
            used.update(int(part) for part in (row[3] or "").split(",") if part)
        else:
            outcome_rows.append(row)
    history = (
        engine.History(used_outcome_ids=frozenset(used), recognised_courses=frozenset(courses))
        if courses
        else engine.NO_HISTORY
    )
    return _facts(outcome_rows, levels), history


_SENTINEL_LEARNER = -918273601
_SENTINEL_RECORD_LEARNER = -918273602
_SENTINEL_PROGRAMME = -918273603


@functools.lru_cache(maxsize=256)
def _facts_template(vendor: str, codes: tuple[str, ...]) -> Template:
    """The learner's counting outcomes of ``codes`` and their conversion records of one programme
    as a ``UNION ALL``. A record comes back as a row with the id -1 (outcome ids are never
    negative), its course code in the item code and its outcome ids in the score. ``vendor``
    keys the cache: SQL differs between backends."""
    from creditbank.conversion.models import ConversionRecord

    records = (
        ConversionRecord.objects.filter(learner_id=_SENTINEL_RECORD_LEARNER, programme_id=_SENTINEL_PROGRAMME)
        .order_by()
        .annotate(
            _id=Value(RECORD_ROW, output_field=BigIntegerField()),
            _code=F("course_code"),
            _day=Value(None, output_field=DateField()),
            _score=F("outcome_ids"),
            _item=Value(None, output_field=BigIntegerField()),
            _credits=Value(None, output_field=DecimalField(max_digits=6, decimal_places=1)),
        )
        .values_list("_id", "_code", "_day", "_score", "_item", "_credits")
    )
    record_meta = ConversionRecord._meta
    sentinels = {
        "record_learner": (record_meta.get_field("learner"), _SENTINEL_RECORD_LEARNER),
        "programme": (record_meta.get_field("programme"), _SENTINEL_PROGRAMME),
    }
    if not codes:
        return compile_template(records, sentinels)
    outcomes = (
        Outcome.objects.filter(learner_id=_SENTINEL_LEARNER, item_code__in=codes, status__in=COUNTING_STATUSES)
        .order_by()
        .annotate(
            _id=F("id"),
            _code=F("item_code"),
            _day=F("achieved_on"),
            _score=F("score"),
            _item=F("item_id"),
            _credits=F("credits"),
        )
        .values_list("_id", "_code", "_day", "_score", "_item", "_credits")
    )
    sentinels["learner"] = (Outcome._meta.get_field("learner"), _SENTINEL_LEARNER)
    return compile_template(outcomes.union(records, all=True), sentinels)


RECORD_ROW = -1  # the id of a conversion record's row in ``learner_facts``


def _facts(rows: Sequence[tuple[Any, ...]], levels: dict[int, int | None]) -> list[engine.OutcomeFact]:
    """Outcome facts from (id, item code, achieved on, score, item id, credits) rows."""
    levels = _with_missing_levels(levels, {row[4] for row in rows})
    return [
        engine.OutcomeFact(
            id=outcome_id,
            item_code=code,
            achieved_on=achieved_on,
            score=score,
            level=levels.get(item_id),
            credits=credits,
        )
        for outcome_id, code, achieved_on, score, item_id, credits in rows
    ]


def conversion_history(learner_id: int, programme: Programme) -> engine.History:
    """What earlier conversions into ``programme`` used and recognised (its conversion records)."""
    return learner_facts(learner_id, programme.pk, (), {})[1]


def hypothetical_items(codes: Iterable[str]) -> list[engine.HypotheticalItem]:
    """The what-if items, by code: each must be a published catalog item (``what_if_item_unknown``)."""
    wanted = list(dict.fromkeys(text(code).replace(" ", "").upper() for code in codes))
    if len(wanted) > MAX_WHAT_IF_ITEMS:
        raise ValidationFailed.for_field(
            "items",
            _("At most {count} items in one what-if.").format(count=MAX_WHAT_IF_ITEMS),
            code=Code.WHAT_IF_TOO_MANY,
        )
    found = {
        code: (level, credits)
        for code, level, credits in CatalogItem.objects.filter(
            code__in=wanted, is_current=True, status=ItemStatus.PUBLISHED
        ).values_list("code", "level__number", "credits")
    }
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationFailed(
            _("Not in the published catalog: {codes}.").format(codes="、".join(unknown)),
            code=Code.WHAT_IF_ITEM_UNKNOWN,
            details=[
                {
                    "field": "items",
                    "code": Code.WHAT_IF_ITEM_UNKNOWN,
                    "message": _("Not in the published catalog: {codes}.").format(codes=code),
                    "item_code": code,
                }
                for code in unknown
            ],
        )
    return [
        engine.HypotheticalItem(item_code=code, level=found[code][0], credits=found[code][1] or Decimal(0))
        for code in wanted
    ]


def audit_learner(
    learner: Any,
    programme: Programme,
    *,
    as_of: dt.date | None = None,
    extra_items: Sequence[str] = (),
    history: engine.History | None = None,
) -> engine.Audit:
    """The degree audit of one learner (with ``extra_items``: the what-if)."""
    hypothetical = hypothetical_items(extra_items) if extra_items else []
    loaded = load_programme(programme, as_of=as_of or timezone.localdate())
    if history is None:
        outcomes, history = learner_facts(learner.pk, programme.pk, loaded.codes, loaded.levels)
    else:
        outcomes = learner_outcomes(learner.pk, loaded.codes, loaded.levels)
    return engine.audit(loaded.compiled, outcomes, history=history, hypothetical=hypothetical)


def audit_learners(
    programme: Programme,
    learner_ids: Iterable[int],
    *,
    as_of: dt.date | None = None,
    chunk_size: int = BATCH_CHUNK,
) -> Iterator[tuple[int, engine.Selection]]:
    """The batch audit: the best choice for every learner of ``learner_ids`` (in that order,
    sorted within each chunk), with the programme loaded and compiled once and one query for the
    outcomes of each chunk of learners."""
    loaded = load_programme(programme, as_of=as_of or timezone.localdate())
    compiled, codes, levels = loaded.compiled, loaded.codes, loaded.levels
    chunk: list[int] = []
    for learner_id in learner_ids:
        chunk.append(learner_id)
        if len(chunk) >= chunk_size:
            yield from _audit_chunk(compiled, codes, levels, chunk, programme.pk)
            chunk = []
    if chunk:
        yield from _audit_chunk(compiled, codes, levels, chunk, programme.pk)


def _chunk_histories(programme_id: int, chunk: list[int]) -> dict[int, engine.History]:
    """Earlier conversions of a chunk of learners into the programme (one query)."""
    from creditbank.conversion.models import ConversionRecord

    courses: dict[int, set[str]] = {}
    used: dict[int, set[int]] = {}
    rows = ConversionRecord.objects.filter(programme_id=programme_id, learner_id__in=chunk).values_list(
        "learner_id", "course_code", "outcome_ids"
    )
    for learner_id, course_code, outcome_ids in rows:
        courses.setdefault(learner_id, set()).add(course_code)
        used.setdefault(learner_id, set()).update(int(part) for part in outcome_ids.split(",") if part)
    return {
        learner_id: engine.History(
            used_outcome_ids=frozenset(used.get(learner_id, ())), recognised_courses=frozenset(found)
        )
        for learner_id, found in courses.items()
    }


def _audit_chunk(
    compiled: engine.CompiledProgramme,
    codes: list[str],
    levels: dict[int, int | None],
    chunk: list[int],
    programme_id: int,
) -> Iterator[tuple[int, engine.Selection]]:
    by_learner: dict[int, list[engine.OutcomeFact]] = {learner_id: [] for learner_id in chunk}
    if codes:
        rows = list(
            Outcome.objects.filter(learner_id__in=chunk, item_code__in=codes, status__in=COUNTING_STATUSES)
            .order_by()
            .values_list("learner_id", "id", "item_code", "achieved_on", "score", "item_id", "credits")
        )
        known = _with_missing_levels(levels, {row[5] for row in rows})
        for learner_id, outcome_id, code, achieved_on, score, item_id, credits in rows:
            by_learner[learner_id].append(
                engine.OutcomeFact(
                    id=outcome_id,
                    item_code=code,
                    achieved_on=achieved_on,
                    score=score,
                    level=known.get(item_id),
                    credits=credits,
                )
            )
    histories = _chunk_histories(programme_id, chunk)
    for learner_id in sorted(by_learner):
        yield learner_id, engine.choose(compiled, by_learner[learner_id], histories.get(learner_id, engine.NO_HISTORY))


# --- the console ----------------------------------------------------------------------------------


def list_console_programmes(user: Any, *, query: str = "") -> QuerySet[Programme]:
    """The programmes ``user`` manages (``conversion.manage``: the owning centre's subtree, the
    management centre all), open or closed, with how many courses and current rules they have."""
    programmes = Programme.objects.visible_to(user, "conversion.manage").select_related("org")
    query = text(query)
    if query:
        programmes = programmes.filter(Q(code__startswith=query.upper()) | Q(name__contains=query))
    return programmes.annotate(
        course_count=Count("courses", distinct=True),
        rule_count=Count("rules", filter=Q(rules__is_current=True), distinct=True),
    ).order_by("code")


def access_console_programme(user: Any, code: str) -> Programme:
    """A programme the user manages; 404 ``programme_not_found`` otherwise (out of scope looks missing)."""
    programme = (
        Programme.objects.visible_to(user, "conversion.manage")
        .select_related("org")
        .filter(code=text(code).replace(" ", "").upper())
        .first()
    )
    if programme is None:
        raise NotFound(code=Code.PROGRAMME_NOT_FOUND)
    return programme


def console_rules(programme: Programme) -> QuerySet[ConversionRule]:
    """The current version of every rule of the programme, whatever its status."""
    return (
        ConversionRule.objects.current()
        .filter(programme=programme)
        .prefetch_related("sources", Prefetch("targets", queryset=RuleTarget.objects.select_related("course")))
        .order_by("number")
    )


# --- the console's editing forms ------------------------------------------------------------------


def programme_owner_choices(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the centres in service whose programmes ``user`` may create: university
    and vocational-college certification centres where ``user`` has ``conversion.manage``."""
    from creditbank.conversion.services import PROGRAMME_ORG_CATEGORIES
    from creditbank.orgs.choices import OrgKind, OrgStatus
    from creditbank.orgs.models import OrgUnit

    centres = (
        OrgUnit.objects.visible_to(user, "conversion.manage")
        .filter(kind=OrgKind.CENTRE, category__in=PROGRAMME_ORG_CATEGORIES, status=OrgStatus.ACTIVE)
        .order_by("path")
    )
    return list(centres.values_list("code", "name"))


def console_rule(programme: Programme, number: str) -> ConversionRule:
    """The current version of rule ``number`` of a programme the caller manages; 404 ``rule_not_found``."""
    rule = console_rules(programme).filter(number=text(number).replace(" ", "").upper()).first()
    if rule is None:
        raise NotFound(code=Code.RULE_NOT_FOUND)
    rule.programme = programme
    return rule


def console_group(programme: Programme, pk: int) -> RequirementGroup:
    group = RequirementGroup.objects.filter(programme=programme, pk=pk).first()
    if group is None:
        raise NotFound(code=Code.PROGRAMME_NOT_FOUND)
    return group


def console_course(programme: Programme, code: str) -> Course:
    course = Course.objects.filter(programme=programme, code=text(code).replace(" ", "").upper()).first()
    if course is None:
        raise NotFound(code=Code.PROGRAMME_NOT_FOUND)
    return course


def programme_courses(programme: Programme) -> list[Course]:
    return list(Course.objects.filter(programme=programme).order_by("code"))
