"""Writing programmes, their courses and groups, and conversion rules; the publishing checks.

A university centre's subtree (``conversion.manage`` on the programme's org) edits its
programmes and rules; the management centre may edit all; ``actor`` None is the command line (a
system operator). Rules are versioned like catalog items: a draft is edited in place; editing a
published rule adds a published version, after the same checks as publishing. Every change is
one audit row; a refused request changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.audit import services as audit
from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.models import CatalogItem
from creditbank.conversion import conflicts, values
from creditbank.conversion.choices import RuleStatus, SourceKind
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.conversion.models import ConversionRule, Course, Programme, RequirementGroup, RuleSource, RuleTarget
from creditbank.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from creditbank.imports.values import CellError
from creditbank.orgs import permissions
from creditbank.orgs.choices import OrgCategory, OrgKind, OrgStatus
from creditbank.orgs.models import OrgUnit

MANAGE_ACTION = "conversion.manage"
PROGRAMME_FIELDS = ("code", "name", "level", "org_id", "total_credits", "conversion_cap", "max_outcome_age_years")
RULE_FIELDS = (
    "number",
    "version",
    "status",
    "mode",
    "source_kind",
    "source_count",
    "min_score",
    "min_framework_level",
    "within_years",
    "effective_from",
    "effective_to",
)
# Kinds of centre that run degree programmes: universities, and vocational colleges (高职专科).
PROGRAMME_ORG_CATEGORIES = frozenset({OrgCategory.UNIVERSITY, OrgCategory.VOCATIONAL})


def error(field_name: str, code: str, message: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field_name, "code": str(code), "message": str(message), **extra}


def may_manage(actor: Any, org_path: str) -> bool:
    return actor is None or permissions.can(actor, MANAGE_ACTION, org_path)


def require_manage(actor: Any, org_path: str) -> None:
    if not may_manage(actor, org_path):
        raise Forbidden(code=Code.CANNOT_MANAGE)


# --- programmes ----------------------------------------------------------------------------------


def university_centre(code: str) -> OrgUnit:
    """The centre that owns a programme: an active certification centre of a university or a
    vocational college. Raises ``CellError`` (``programme_org_unknown``, ``…_not_university``)."""
    org = OrgUnit.objects.filter(code=code).first()
    if org is None or org.status != OrgStatus.ACTIVE:
        raise CellError(Code.ORG_UNKNOWN, _("No organisation in service has the code {code}.").format(code=code))
    if org.kind != OrgKind.CENTRE or org.category not in PROGRAMME_ORG_CATEGORIES:
        raise CellError(
            Code.ORG_NOT_UNIVERSITY,
            _("{name} is not a university or college certification centre; only they own programmes.").format(
                name=org.name
            ),
        )
    return org


@dataclass(frozen=True)
class ProgrammeValues:
    code: str
    name: str
    level: str
    org: OrgUnit
    total_credits: Decimal
    conversion_cap: Decimal
    max_outcome_age_years: int | None = None

    def content(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.level,
            self.org.pk,
            self.total_credits,
            self.conversion_cap,
            self.max_outcome_age_years,
        )


def programme_content(programme: Programme) -> tuple[Any, ...]:
    return (
        programme.name,
        programme.level,
        programme.org_id,
        programme.total_credits,
        programme.conversion_cap,
        programme.max_outcome_age_years,
    )


def _exists(field_name: str, code: str, message: str) -> Conflict:
    return Conflict(message, code=code, details=[error(field_name, code, message)])


def _check_programme_values(data: ProgrammeValues) -> None:
    errors: list[dict[str, Any]] = []
    if not Decimal("0") < data.conversion_cap <= Decimal("1"):
        errors.append(
            error(
                "conversion_cap",
                Code.CAP_OUT_OF_RANGE,
                _("The cap is more than 0 and at most 100% of the total credits (0.5 or 50%, not {value}).").format(
                    value=data.conversion_cap
                ),
            )
        )
    if not Decimal("0") < data.total_credits <= values.MAX_TOTAL_CREDITS:
        errors.append(
            error(
                "total_credits",
                Code.TOTAL_CREDITS_FORMAT,
                _("Credits are a number above 0 and up to {maximum}, with at most one decimal.").format(
                    maximum=values.MAX_TOTAL_CREDITS
                ),
            )
        )
    if errors:
        raise ValidationFailed(details=errors)


@transaction.atomic
def save_programme(data: ProgrammeValues, *, actor: Any, new: bool = False) -> tuple[Programme, str]:
    """Create the programme or bring it up to date: ``("created" | "updated" | "unchanged")``;
    ``new``: only create (a form that adds a programme), ``programme_exists`` if the code is taken.
    A code already owned by another centre is refused (``programme_code_taken``); so are a cap
    outside (0, 1] and total credits that are not positive, before the database would refuse them."""
    require_manage(actor, data.org.path)
    _check_programme_values(data)
    programme = Programme.objects.select_for_update().filter(code=data.code).first()
    if programme is not None and new:
        raise _exists(
            "code", Code.PROGRAMME_EXISTS, _("A programme with the code {code} already exists.").format(code=data.code)
        )
    if programme is None:
        programme = Programme(
            code=data.code,
            name=data.name,
            level=data.level,
            org=data.org,
            total_credits=data.total_credits,
            conversion_cap=data.conversion_cap,
            max_outcome_age_years=data.max_outcome_age_years,
        )
        try:
            with transaction.atomic():  # two "add" forms at once: the second is told, not a 500
                programme.save()
        except IntegrityError:
            raise _exists(
                "code",
                Code.PROGRAMME_EXISTS,
                _("A programme with the code {code} already exists.").format(code=data.code),
            ) from None
        audit.record(
            actor=actor,
            action="conversion.programme_create",
            obj=programme,
            after=audit.snapshot(programme, PROGRAMME_FIELDS),
        )
        return programme, "created"
    if programme.org_id != data.org.pk:
        raise Conflict(
            _("The programme code {code} belongs to another centre.").format(code=data.code),
            code=Code.PROGRAMME_CODE_TAKEN,
            details=[
                error(
                    "programme_code",
                    Code.PROGRAMME_CODE_TAKEN,
                    _("The programme code {code} belongs to another centre.").format(code=data.code),
                )
            ],
        )
    if programme_content(programme) == data.content():
        return programme, "unchanged"
    before = audit.snapshot(programme, PROGRAMME_FIELDS)
    programme.name = data.name
    programme.level = data.level
    programme.total_credits = data.total_credits
    programme.conversion_cap = data.conversion_cap
    programme.max_outcome_age_years = data.max_outcome_age_years
    programme.save(
        update_fields=[
            "name",
            "name_initials",
            "level",
            "total_credits",
            "conversion_cap",
            "max_outcome_age_years",
            "org_path",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        action="conversion.programme_update",
        obj=programme,
        before=before,
        after=audit.snapshot(programme, PROGRAMME_FIELDS),
    )
    return programme, "updated"


def _lock(programme: Programme) -> None:
    """One change to a programme's groups and courses at a time (two forms sent at once would
    both find the name free, and the second would hit the unique constraint)."""
    Programme.objects.select_for_update().filter(pk=programme.pk).first()


@transaction.atomic
def save_group(
    programme: Programme, *, name: str, min_credits: Decimal | None, actor: Any, new: bool = False
) -> tuple[RequirementGroup, str]:
    """The requirement group ``name`` of the programme, created or with its minimum updated
    (``new``: only created, ``group_exists`` otherwise)."""
    require_manage(actor, programme.org_path)
    _lock(programme)
    group = RequirementGroup.objects.filter(programme=programme, name=name).first()
    if group is not None and new:
        raise _exists("name", Code.GROUP_EXISTS, _("The programme already has a group {name}.").format(name=name))
    required = values.is_required_group(name)
    if group is None:
        order = RequirementGroup.objects.filter(programme=programme).count()
        group = RequirementGroup.objects.create(
            programme=programme, name=name, required=required, min_credits=min_credits, sort_order=order
        )
        audit.record(
            actor=actor,
            action="conversion.group_create",
            obj=group,
            org_path=programme.org_path,
            after={"programme": programme.code, "name": name, "required": required, "min_credits": min_credits},
        )
        return group, "created"
    if (group.required, group.min_credits) == (required, min_credits):
        return group, "unchanged"
    before = {"required": group.required, "min_credits": group.min_credits}
    group.required = required
    group.min_credits = min_credits
    group.save(update_fields=["required", "min_credits", "updated_at"])
    audit.record(
        actor=actor,
        action="conversion.group_update",
        obj=group,
        org_path=programme.org_path,
        before=before,
        after={"required": required, "min_credits": min_credits},
    )
    return group, "updated"


@transaction.atomic
def save_course(
    programme: Programme,
    *,
    code: str,
    name: str,
    credits: Decimal,
    group: RequirementGroup,
    actor: Any,
    new: bool = False,
) -> tuple[Course, str]:
    """The course ``code`` of the programme, created or updated (``new``: only created,
    ``course_exists`` otherwise), in a group of the same programme."""
    require_manage(actor, programme.org_path)
    if group.programme_id != programme.pk:
        raise NotFound(code=Code.PROGRAMME_NOT_FOUND)
    _lock(programme)
    course = Course.objects.filter(programme=programme, code=code).first()
    if course is not None and new:
        raise _exists("code", Code.COURSE_EXISTS, _("The programme already has a course {code}.").format(code=code))
    if course is None:
        course = Course.objects.create(programme=programme, code=code, name=name, credits=credits, group=group)
        audit.record(
            actor=actor,
            action="conversion.course_create",
            obj=course,
            org_path=programme.org_path,
            after={"programme": programme.code, "code": code, "name": name, "credits": credits, "group": group.name},
        )
        return course, "created"
    if (course.name, course.credits, course.group_id) == (name, credits, group.pk):
        return course, "unchanged"
    before = {"name": course.name, "credits": course.credits, "group": course.group_id}
    course.name = name
    course.credits = credits
    course.group = group
    course.save(update_fields=["name", "credits", "group", "updated_at"])
    audit.record(
        actor=actor,
        action="conversion.course_update",
        obj=course,
        org_path=programme.org_path,
        before=before,
        after={"name": name, "credits": credits, "group": group.pk},
    )
    return course, "updated"


# --- rules: resolving what a person or a file wrote ----------------------------------------------


@dataclass(frozen=True)
class RuleData:
    """A rule as people and files write it: codes joined by ``+`` (or ``|`` for any one), words."""

    programme_code: str
    number: str
    sources: str
    targets: str
    mode: str
    min_score: str = ""
    within_years: str = ""
    source_count: str = ""
    min_level: str = ""
    effective_from: str = ""
    effective_to: str = ""
    note: str = ""


@dataclass(frozen=True)
class ResolvedRule:
    """``RuleData`` checked and looked up: the values of a ``ConversionRule`` and its rows."""

    programme: Programme
    number: str
    mode: str
    sources: tuple[str, ...]
    source_count: int | None  # None: all of the sources
    targets: tuple[Course, ...]
    min_score: str = ""
    min_level: int | None = None
    within_years: int | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    note: str = ""

    @property
    def source_kind(self) -> str:
        return SourceKind.ALL_OF if self.source_count is None else SourceKind.N_OF_M

    def content(self) -> tuple[Any, ...]:
        return (
            self.mode,
            frozenset(self.sources),
            self.source_count,
            frozenset(course.pk for course in self.targets),
            self.min_score,
            self.min_level,
            self.within_years,
            self.effective_from,
            self.effective_to,
        )

    def shape(self, version: int = 0) -> conflicts.RuleShape:
        return conflicts.RuleShape(
            number=self.number,
            version=version,
            mode=self.mode,
            sources=frozenset(self.sources),
            source_count=self.source_count,
            targets=frozenset(course.code for course in self.targets),
            effective_from=self.effective_from,
            effective_to=self.effective_to,
        )


def rule_content(rule: ConversionRule) -> tuple[Any, ...]:
    return (
        rule.mode,
        frozenset(source.item_code for source in rule.sources.all()),
        rule.source_count,
        frozenset(target.course_id for target in rule.targets.all()),
        rule.min_score,
        rule.min_framework_level,
        rule.within_years,
        rule.effective_from,
        rule.effective_to,
    )


def rule_shape(rule: ConversionRule) -> conflicts.RuleShape:
    return conflicts.RuleShape(
        number=rule.number,
        version=rule.version,
        mode=rule.mode,
        sources=frozenset(source.item_code for source in rule.sources.all()),
        source_count=rule.source_count,
        targets=frozenset(target.course.code for target in rule.targets.all()),
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
    )


@dataclass
class RuleLookups:
    """Programmes, their courses and catalog statuses, loaded once per programme or code, so
    that a file of rules resolves without a query per cell."""

    programmes: dict[str, Programme | None] = field(default_factory=dict)
    courses: dict[int, dict[str, Course]] = field(default_factory=dict)
    catalog: dict[str, str | None] = field(default_factory=dict)  # code → status of its current version

    def programme(self, code: str) -> Programme | None:
        if code not in self.programmes:
            self.programmes[code] = Programme.objects.select_related("org").filter(code=code).first()
        return self.programmes[code]

    def courses_of(self, programme: Programme) -> dict[str, Course]:
        if programme.pk not in self.courses:
            self.courses[programme.pk] = {
                course.code: course for course in Course.objects.filter(programme=programme).select_related("group")
            }
        return self.courses[programme.pk]

    def catalog_status(self, codes: list[str]) -> dict[str, str | None]:
        missing = [code for code in codes if code not in self.catalog]
        if missing:
            found = dict(CatalogItem.objects.filter(code__in=missing, is_current=True).values_list("code", "status"))
            for code in missing:
                self.catalog[code] = found.get(code)
        return {code: self.catalog[code] for code in codes}


def _cell(errors: list[dict[str, Any]], field_name: str, parse: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return parse(*args, **kwargs)
    except CellError as failed:
        errors.append(error(field_name, failed.code, failed.message))
        return None


def resolve_rule(data: RuleData, lookups: RuleLookups | None = None) -> ResolvedRule:
    """Check ``data`` and look up what it names; ``ValidationFailed`` lists every bad field.
    Catalog items not published yet pass here (a draft may name them) and are refused by
    ``publish_problems``; retired ones are refused here too (retiring is final)."""
    lookups = lookups or RuleLookups()
    errors: list[dict[str, Any]] = []
    number = _cell(errors, "number", values.parse_code, data.number, required_message=_("The rule number is required."))
    programme_code = _cell(
        errors,
        "programme_code",
        values.parse_code,
        data.programme_code,
        required_message=_("The programme code is required."),
    )
    programme = lookups.programme(programme_code) if programme_code else None
    if programme_code and programme is None:
        errors.append(
            error(
                "programme_code",
                Code.RULE_PROGRAMME_UNKNOWN,
                _("No programme has the code {code}; import the programme first.").format(code=programme_code),
            )
        )
    mode = _cell(errors, "mode", values.parse_mode, data.mode)
    sources, source_count = _sources(data, errors, lookups)
    targets = _targets(data, programme, errors, lookups)
    min_score = _cell(errors, "min_score", values.parse_minimum_score, data.min_score)
    within_years = _cell(
        errors, "within_years", values.parse_whole, data.within_years, code=Code.YEARS_FORMAT, minimum=1,
        maximum=values.MAX_YEARS, unit="年",
    )  # fmt: skip
    min_level = _cell(
        errors, "min_level", values.parse_whole, data.min_level, code=Code.LEVEL_FORMAT, minimum=1,
        maximum=values.MAX_FRAMEWORK_LEVEL, unit="级",
    )  # fmt: skip
    effective_from = _cell(errors, "effective_from", values.parse_effective_date, data.effective_from)
    effective_to = _cell(errors, "effective_to", values.parse_effective_date, data.effective_to)
    if effective_from and effective_to and effective_to < effective_from:
        errors.append(error("effective_to", Code.DATES_ORDER, _("The rule cannot end before it takes effect.")))
    if errors or programme is None or mode is None or number is None:
        raise ValidationFailed(details=errors)
    return ResolvedRule(
        programme=programme,
        number=number,
        mode=mode,
        sources=tuple(sources),
        source_count=source_count,
        targets=tuple(targets),
        min_score=min_score or "",
        min_level=min_level,
        within_years=within_years,
        effective_from=effective_from,
        effective_to=effective_to,
        note=data.note.strip(),
    )


def _sources(data: RuleData, errors: list[dict[str, Any]], lookups: RuleLookups) -> tuple[list[str], int | None]:
    parsed = _cell(errors, "sources", values.parse_codes, data.sources)
    if parsed is None:
        return [], None
    codes, joiner = parsed
    if not codes or any(not code for code in codes):
        errors.append(error("sources", Code.SOURCE_REQUIRED, _("Name at least one catalog item code, joined by +.")))
        return [], None
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        errors.append(
            error(
                "sources",
                Code.SOURCE_REPEATED,
                _("A catalog item is listed twice: {codes}.").format(codes="、".join(repeated)),
            )
        )
    bad = [code for code in codes if not values.CODE.match(code)]
    if bad:
        errors.append(
            error("sources", Code.CODE_FORMAT, _("Not a catalog item code: {codes}.").format(codes="、".join(bad)))
        )
        return codes, None
    statuses = lookups.catalog_status(list(dict.fromkeys(codes)))
    unknown = [code for code, status in statuses.items() if status is None]
    if unknown:
        errors.append(
            error(
                "sources",
                Code.SOURCE_UNKNOWN,
                _("Not in the learning-outcome catalog: {codes}.").format(codes="、".join(unknown)),
                items=unknown,
            )
        )
    retired = [code for code, status in statuses.items() if status == ItemStatus.RETIRED]
    if retired:  # retiring is final: such a rule could never be published, not even later
        errors.append(
            error(
                "sources",
                Code.SOURCE_RETIRED,
                _("Retired catalog items cannot be converted: {codes}.").format(codes="、".join(retired)),
                items=retired,
            )
        )
    count = _cell(
        errors, "source_count", values.parse_whole, data.source_count, code=Code.SOURCE_COUNT, minimum=1,
        maximum=len(codes),
    )  # fmt: skip
    if count is None and joiner != "+" and len(codes) > 1:
        count = 1
    if count is not None and count >= len(codes):
        count = None  # n of n is all of them
    return codes, count


def _targets(
    data: RuleData, programme: Programme | None, errors: list[dict[str, Any]], lookups: RuleLookups
) -> list[Course]:
    parsed = _cell(errors, "targets", values.parse_codes, data.targets)
    if parsed is None:
        return []
    codes, joiner = parsed
    if not codes or any(not code for code in codes):
        errors.append(error("targets", Code.TARGET_REQUIRED, _("Name at least one course code, joined by +.")))
        return []
    if joiner != "+":
        errors.append(
            error("targets", Code.TARGET_REQUIRED, _("Join the course codes with +: a rule recognises all of them."))
        )
        return []
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        errors.append(
            error(
                "targets",
                Code.TARGET_REPEATED,
                _("A course is listed twice: {codes}.").format(codes="、".join(repeated)),
            )
        )
    if programme is None:
        return []
    courses = lookups.courses_of(programme)
    missing = [code for code in dict.fromkeys(codes) if code not in courses]
    if missing:
        elsewhere = set(
            Course.objects.filter(code__in=missing).exclude(programme=programme).values_list("code", flat=True)
        )
        other = [code for code in missing if code in elsewhere]
        unknown = [code for code in missing if code not in elsewhere]
        if other:
            errors.append(
                error(
                    "targets",
                    Code.TARGET_OTHER_PROGRAMME,
                    _("Courses of another programme, not of {programme}: {codes}.").format(
                        programme=programme.code, codes="、".join(other)
                    ),
                    courses=other,
                )
            )
        if unknown:
            errors.append(
                error(
                    "targets",
                    Code.TARGET_UNKNOWN,
                    _("No such course in {programme}: {codes}.").format(
                        programme=programme.code, codes="、".join(unknown)
                    ),
                    courses=unknown,
                )
            )
        return []
    return [courses[code] for code in dict.fromkeys(codes)]


def resolved_from_rule(rule: ConversionRule) -> ResolvedRule:
    """A stored rule as ``ResolvedRule``, for the checks before it is published."""
    return ResolvedRule(
        programme=rule.programme,
        number=rule.number,
        mode=rule.mode,
        sources=tuple(source.item_code for source in rule.sources.all()),
        source_count=rule.source_count,
        targets=tuple(target.course for target in rule.targets.all()),
        min_score=rule.min_score,
        min_level=rule.min_framework_level,
        within_years=rule.within_years,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        note=rule.note,
    )


# --- rules: the publishing checks ------------------------------------------------------------------


def publish_problems(resolved: ResolvedRule, lookups: RuleLookups | None = None) -> list[dict[str, Any]]:
    """Why ``resolved`` cannot be published (empty: it can): a source item retired or never
    published, courses beyond the cap, or a contradiction with another published rule of the
    programme in effect at the same time (``conflicts.classify``)."""
    lookups = lookups or RuleLookups()
    problems: list[dict[str, Any]] = []
    statuses = lookups.catalog_status(list(resolved.sources))
    retired = [code for code, status in statuses.items() if status == ItemStatus.RETIRED]
    drafts = [code for code, status in statuses.items() if status == ItemStatus.DRAFT]
    unknown = [code for code, status in statuses.items() if status is None]
    if unknown:
        problems.append(
            error(
                "sources",
                Code.SOURCE_UNKNOWN,
                _("Not in the learning-outcome catalog: {codes}.").format(codes="、".join(unknown)),
                items=unknown,
            )
        )
    if retired:
        problems.append(
            error(
                "sources",
                Code.SOURCE_RETIRED,
                _("Retired catalog items cannot be converted: {codes}.").format(codes="、".join(retired)),
                items=retired,
            )
        )
    if drafts:
        problems.append(
            error(
                "sources",
                Code.SOURCE_NOT_PUBLISHED,
                _("Catalog items not published yet: {codes}.").format(codes="、".join(drafts)),
                items=drafts,
            )
        )
    credits = sum((course.credits for course in resolved.targets), Decimal("0"))
    cap = resolved.programme.cap_credits
    if credits > cap:
        problems.append(
            error(
                "targets",
                Code.EXCEEDS_CAP,
                _(
                    "The courses come to {credits} credits, more than the programme's cap of {cap} credits: the rule could never be applied."
                ).format(credits=credits, cap=cap),
            )
        )
    shape = resolved.shape()
    others = (
        ConversionRule.objects.published()
        .filter(programme=resolved.programme)
        .exclude(number=resolved.number)
        .prefetch_related("sources", "targets__course")
        .order_by("number")
    )
    for other in others:
        other_shape = rule_shape(other)
        code = conflicts.classify(shape, other_shape)
        if code is None:
            continue
        courses = sorted(shape.targets & other_shape.targets)
        items = sorted(shape.sources & other_shape.sources)
        problems.append(
            error(
                "rule",
                code,
                _CONFLICT_MESSAGES[code].format(
                    number=other.number, version=other.version, courses="、".join(courses), items="、".join(items)
                ),
                rule=other.number,
                version=other.version,
                courses=courses,
                items=items,
            )
        )
    return problems


_CONFLICT_MESSAGES: dict[str, Any] = {
    Code.DUPLICATE: gettext_lazy(
        "Rule {number} (version {version}) already converts {items} into {courses}: the same outcomes would claim the same courses twice."
    ),
    Code.MODE_CONFLICT: gettext_lazy(
        "Rule {number} (version {version}) converts {items} into {courses} in the other mode (exemption or credit recognition)."
    ),
    Code.CONFLICT: gettext_lazy(
        "Rule {number} (version {version}) also claims {courses} from {items}; overlapping rules must be a tier (the same sources or more, strictly more courses)."
    ),
}


def check_rule(data: RuleData, *, rule: ConversionRule | None = None) -> list[dict[str, Any]]:
    """What saving ``data`` as a published rule would refuse, without saving anything (the
    console's "check"): ``ValidationFailed`` for bad fields, as ``create_rule`` raises it; then
    a number already taken and every ``publish_problems`` entry. ``rule``: the current version
    being edited (its programme and number are kept, as ``update_rule`` does)."""
    lookups = RuleLookups()
    if rule is not None:
        data = RuleData(**{**data.__dict__, "programme_code": rule.programme.code, "number": rule.number})
    resolved = resolve_rule(data, lookups)
    problems: list[dict[str, Any]] = []
    if rule is None and ConversionRule.objects.filter(programme=resolved.programme, number=resolved.number).exists():
        problems.append(
            error(
                "number",
                Code.DUPLICATE,
                _("The programme already has a rule {number}.").format(number=resolved.number),
            )
        )
    return problems + publish_problems(resolved, lookups)


def stored_rule_problems(rule: ConversionRule) -> list[dict[str, Any]]:
    """Why the stored ``rule`` could not be published now (empty: it could)."""
    return publish_problems(resolved_from_rule(rule))


def _refuse(problems: list[dict[str, Any]]) -> ValidationFailed:
    return ValidationFailed(_("This rule cannot be published."), code=Code.NOT_PUBLISHABLE, details=problems)


# --- rules: writing --------------------------------------------------------------------------------


def _write_rows(rule: ConversionRule, resolved: ResolvedRule) -> None:
    RuleSource.objects.bulk_create([RuleSource(rule=rule, item_code=code) for code in resolved.sources])
    RuleTarget.objects.bulk_create([RuleTarget(rule=rule, course=course) for course in resolved.targets])


def _rule_values(resolved: ResolvedRule) -> dict[str, Any]:
    return {
        "mode": resolved.mode,
        "source_kind": resolved.source_kind,
        "source_count": resolved.source_count,
        "min_score": resolved.min_score,
        "min_framework_level": resolved.min_level,
        "within_years": resolved.within_years,
        "effective_from": resolved.effective_from,
        "effective_to": resolved.effective_to,
        "note": resolved.note,
    }


def _after(rule: ConversionRule, resolved: ResolvedRule) -> dict[str, Any]:
    return {
        **audit.snapshot(rule, RULE_FIELDS),
        "programme": resolved.programme.code,
        "sources": list(resolved.sources),
        "targets": [course.code for course in resolved.targets],
    }


@transaction.atomic
def create_rule(data: RuleData, *, actor: Any, publish: bool, lookups: RuleLookups | None = None) -> ConversionRule:
    """A new rule, version 1: a draft, or published at once after the publishing checks."""
    lookups = lookups or RuleLookups()
    resolved = resolve_rule(data, lookups)
    require_manage(actor, resolved.programme.org_path)
    if ConversionRule.objects.filter(programme=resolved.programme, number=resolved.number).exists():
        raise Conflict(
            _("The programme already has a rule {number}.").format(number=resolved.number),
            code=Code.DUPLICATE,
            details=[
                error(
                    "number",
                    Code.DUPLICATE,
                    _("The programme already has a rule {number}.").format(number=resolved.number),
                )
            ],
        )
    if publish:
        problems = publish_problems(resolved, lookups)
        if problems:
            raise _refuse(problems)
    rule = ConversionRule.objects.create(
        programme=resolved.programme,
        number=resolved.number,
        version=1,
        status=RuleStatus.PUBLISHED if publish else RuleStatus.DRAFT,
        is_current=True,
        **_rule_values(resolved),
    )
    _write_rows(rule, resolved)
    audit.record(
        actor=actor,
        action="conversion.rule_create",
        obj=rule,
        org_path=resolved.programme.org_path,
        after=_after(rule, resolved),
    )
    return rule


def _current(rule: ConversionRule) -> ConversionRule:
    fresh = (
        ConversionRule.objects.select_for_update()
        .select_related("programme", "programme__org")
        .filter(pk=rule.pk)
        .first()
    )
    if fresh is None:
        raise NotFound(code=Code.RULE_NOT_FOUND)
    if fresh.status == RuleStatus.RETIRED:
        raise Conflict(_("This rule is retired."), code=Code.RULE_RETIRED)
    if not fresh.is_current:
        raise Conflict(_("This is not the current version of the rule."), code=Code.OLD_VERSION)
    return fresh


@transaction.atomic
def update_rule(
    rule: ConversionRule, data: RuleData, *, actor: Any, lookups: RuleLookups | None = None
) -> ConversionRule:
    """Edit a draft in place; editing a published rule adds a published version (after the
    publishing checks). The same content changes nothing."""
    rule = _current(rule)
    require_manage(actor, rule.programme.org_path)
    lookups = lookups or RuleLookups()
    resolved = resolve_rule(
        RuleData(**{**data.__dict__, "programme_code": rule.programme.code, "number": rule.number}), lookups
    )
    if resolved.content() == rule_content(rule) and resolved.note == rule.note:
        return rule
    before = _after(rule, resolved_from_rule(rule))
    if rule.status == RuleStatus.DRAFT:
        for name, value in _rule_values(resolved).items():
            setattr(rule, name, value)
        rule.save()
        rule.sources.all().delete()
        rule.targets.all().delete()
        _write_rows(rule, resolved)
        audit.record(
            actor=actor,
            action="conversion.rule_update",
            obj=rule,
            org_path=rule.programme.org_path,
            before=before,
            after=_after(rule, resolved),
        )
        return rule
    problems = publish_problems(resolved, lookups)
    if problems:
        raise _refuse(problems)
    ConversionRule.objects.filter(pk=rule.pk).update(is_current=False)
    new = ConversionRule.objects.create(
        programme=rule.programme,
        number=rule.number,
        version=rule.version + 1,
        status=RuleStatus.PUBLISHED,
        is_current=True,
        **_rule_values(resolved),
    )
    _write_rows(new, resolved)
    audit.record(
        actor=actor,
        action="conversion.rule_new_version",
        obj=new,
        org_path=rule.programme.org_path,
        before=before,
        after=_after(new, resolved),
    )
    return new


@transaction.atomic
def publish_rule(rule: ConversionRule, *, actor: Any) -> ConversionRule:
    rule = _current(rule)
    require_manage(actor, rule.programme.org_path)
    if rule.status != RuleStatus.DRAFT:
        raise Conflict(_("This rule is already published."), code=Code.ALREADY_PUBLISHED)
    problems = publish_problems(resolved_from_rule(rule))
    if problems:
        raise _refuse(problems)
    rule.status = RuleStatus.PUBLISHED
    rule.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="conversion.rule_publish",
        obj=rule,
        org_path=rule.programme.org_path,
        before={"status": RuleStatus.DRAFT},
        after={"status": rule.status},
    )
    return rule


@transaction.atomic
def retire_rule(rule: ConversionRule, *, actor: Any) -> ConversionRule:
    """No new conversion applies a retired rule; conversion records keep the version they used."""
    rule = _current(rule)
    require_manage(actor, rule.programme.org_path)
    before = {"status": rule.status}
    rule.status = RuleStatus.RETIRED
    rule.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="conversion.rule_retire",
        obj=rule,
        org_path=rule.programme.org_path,
        before=before,
        after={"status": rule.status},
    )
    return rule
