"""Bulk import of programmes (one row per course) and of conversion rules (one row per rule),
for ``creditbank import-programmes`` and ``creditbank import-rules``.

Built on the import framework (``imports.readers`` opens CSV in UTF-8, UTF-8 with BOM or
GBK/GB18030 and XLSX, matches headers; ``imports.services`` has the row errors, the summary and
the one-transaction ``run_once``): every valid row is stored, every bad row reported with its line
and reason; a row already stored with the same content, or repeated in the file, is a duplicate;
a stored row with new content is updated (a programme or course in place, a published rule as a
new version); ``strict`` stores nothing when any row is bad, ``dry_run`` nothing at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from creditbank.audit import services as audit
from creditbank.conversion import services, values
from creditbank.conversion.choices import RuleStatus
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.conversion.models import ConversionRule, Programme, RequirementGroup
from creditbank.core.errors import ApplicationError, ValidationFailed
from creditbank.imports.readers import Column, Source, Table, TableRow, open_table
from creditbank.imports.services import ImportOutcome, RowError, source_name
from creditbank.imports.values import CellError
from creditbank.orgs.models import OrgUnit

PROGRAMME_COLUMNS: tuple[Column, ...] = (
    Column("programme_code", ("专业编码", "programme_code"), required=True),
    Column("programme_name", ("专业名称", "programme_name"), required=True),
    Column("level", ("层次", "level"), required=True),
    Column("org_code", ("院校编码", "org_code")),
    Column("total_credits", ("总学分", "total_credits"), required=True),
    Column("cap", ("转换上限", "conversion_cap", "cap"), required=True),
    Column("course_code", ("课程编码", "course_code"), required=True),
    Column("course_name", ("课程名称", "course_name"), required=True),
    Column("credits", ("学分", "credits"), required=True),
    Column("group", ("课程组", "group"), required=True),
    Column("group_min", ("组最低学分", "group_min_credits")),
    Column("max_age", ("成果有效年限", "max_outcome_age_years")),
)
RULE_COLUMNS: tuple[Column, ...] = (
    Column("number", ("规则编号", "rule_number", "number"), required=True),
    Column("programme_code", ("专业编码", "programme_code"), required=True),
    Column("sources", ("来源成果编码", "source_codes", "sources"), required=True),
    Column("min_score", ("最低成绩", "min_score")),
    Column("within_years", ("有效年限", "within_years")),
    Column("targets", ("目标课程编码", "target_course_codes", "targets"), required=True),
    Column("mode", ("方式", "mode"), required=True),
    Column("source_count", ("至少满足", "source_count")),
    Column("min_level", ("最低等级", "min_level")),
    Column("effective_from", ("生效日期", "effective_from")),
    Column("effective_to", ("失效日期", "effective_to")),
)
PROGRAMME_LABELS = {column.key: column.label for column in PROGRAMME_COLUMNS}
RULE_LABELS = {column.key: column.label for column in RULE_COLUMNS}
ERROR_SAMPLE_SIZE = 200


@dataclass
class TransferOutcome(ImportOutcome):
    """The import summary, plus ``updated`` (rows that changed something already stored) as
    the catalog import reports it: ``rows == imported + updated + duplicates + errors``."""

    updated: int = 0

    def as_json(self) -> dict[str, Any]:
        summary = super().as_json()
        return {
            "rows": summary["rows"],
            "imported": summary["imported"],
            "updated": self.updated,
            "duplicates": summary["duplicates"],
            "errors": summary["errors"],
            "seconds": summary["seconds"],
        }


class _Rollback(Exception):
    """Leave the import's transaction without storing anything (dry run, strict with errors)."""


def _row_failed(
    outcome: TransferOutcome,
    row: TableRow,
    details: list[dict[str, Any]],
    labels: dict[str, str],
    on_row_error: Callable[[RowError], None] | None,
) -> None:
    outcome.errors += 1
    failed = RowError(line=row.line, cells=tuple(row.cells), errors=tuple(details), labels=labels)
    if len(outcome.error_sample) < ERROR_SAMPLE_SIZE:
        outcome.error_sample.append(failed.as_dict())
    if on_row_error is not None:
        on_row_error(failed)


def _run(
    source: Source,
    *,
    filename: str | None,
    columns: tuple[Column, ...],
    labels: dict[str, str],
    import_row: Callable[[Table, TableRow, TransferOutcome], None],
    audit_action: str,
    actor: Any,
    strict: bool,
    dry_run: bool,
    on_row_error: Callable[[RowError], None] | None,
    extra: dict[str, Any],
) -> TransferOutcome:
    started = time.perf_counter()
    name = source_name(source, filename)
    outcome = TransferOutcome(dry_run=dry_run, strict=strict)
    with open_table(source, filename=name, columns=columns) as table:
        outcome.encoding = table.encoding
        try:
            with transaction.atomic():
                for row in table.rows():
                    outcome.rows += 1
                    try:
                        with transaction.atomic():
                            import_row(table, row, outcome)
                    except ApplicationError as refused:
                        details = refused.details or [{"field": "", "code": refused.code, "message": refused.message}]
                        _row_failed(outcome, row, list(details), labels, on_row_error)
                if dry_run or (strict and outcome.errors):
                    raise _Rollback
                audit.record(
                    actor=actor,
                    action=audit_action,
                    object_type=audit_action,
                    object_repr=Path(name).name[:200],
                    org_path=extra.get("org_path"),
                    after={
                        **outcome.as_json(),
                        "strict": strict,
                        **{k: v for k, v in extra.items() if k != "org_path"},
                    },
                )
        except _Rollback:
            pass
    outcome.valid = outcome.imported + outcome.updated
    if strict and outcome.errors:
        outcome.imported = outcome.updated = 0
    outcome.seconds = time.perf_counter() - started
    return outcome


def _fail(field_name: str, code: str, message: Any) -> ValidationFailed:
    return ValidationFailed(details=[services.error(field_name, code, message)])


# --- programmes ------------------------------------------------------------------------------------


class _ProgrammeRows:
    """What the file said so far: a programme's details on its first row, each group's minimum
    on its first row, each course's row, so that later rows may repeat but not contradict them."""

    def __init__(self, scope: OrgUnit, actor: Any) -> None:
        self.scope = scope
        self.actor = actor
        self.orgs: dict[str, OrgUnit] = {}
        self.programmes: dict[str, tuple[services.ProgrammeValues, int, Programme]] = {}
        self.groups: dict[tuple[str, str], tuple[Decimal | None, int, RequirementGroup]] = {}
        self.courses: dict[tuple[str, str], tuple[tuple[Any, ...], int]] = {}

    def org(self, code: str) -> OrgUnit:
        if code not in self.orgs:
            self.orgs[code] = services.university_centre(code)
        return self.orgs[code]

    def __call__(self, table: Table, row: TableRow, outcome: TransferOutcome) -> None:
        cell = table.cell
        errors: list[dict[str, Any]] = []

        def parse(field_name: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except CellError as failed:
                errors.append(services.error(field_name, failed.code, failed.message))
                return None

        code = parse(
            "programme_code",
            values.parse_code,
            cell(row, "programme_code"),
            required_message=_("The programme code is required."),
        )
        name = parse(
            "programme_name",
            values.parse_name,
            cell(row, "programme_name"),
            maximum=128,
            required_message=_("The programme name is required."),
        )
        level = parse("level", values.parse_level, cell(row, "level"))
        org_code = values.text(cell(row, "org_code")).replace(" ", "").upper() or self.scope.code
        org = parse("org_code", self.org, org_code)
        if org is not None and not org.path.startswith(self.scope.path):
            errors.append(
                services.error(
                    "org_code",
                    Code.ORG_OUT_OF_SCOPE,
                    _("{name} is outside {scope}, for which this import runs.").format(
                        name=org.name, scope=self.scope.name
                    ),
                )
            )
            org = None
        if org is not None and not services.may_manage(self.actor, org.path):
            errors.append(
                services.error("org_code", Code.CANNOT_MANAGE, _("You may not edit this centre's programmes."))
            )
            org = None
        total = parse(
            "total_credits",
            values.parse_credits,
            cell(row, "total_credits"),
            code=Code.TOTAL_CREDITS_FORMAT,
            maximum=values.MAX_TOTAL_CREDITS,
            required_message=_("The total credits are required."),
        )
        cap = parse("cap", values.parse_share, cell(row, "cap"))
        max_age = parse(
            "max_age",
            values.parse_whole,
            cell(row, "max_age"),
            code=Code.AGE_FORMAT,
            minimum=1,
            maximum=values.MAX_YEARS,
            unit="年",
        )
        course_code = parse(
            "course_code",
            values.parse_code,
            cell(row, "course_code"),
            required_message=_("The course code is required."),
        )
        course_name = parse(
            "course_name",
            values.parse_name,
            cell(row, "course_name"),
            maximum=128,
            required_message=_("The course name is required."),
        )
        credits = parse(
            "credits",
            values.parse_credits,
            cell(row, "credits"),
            code=Code.COURSE_CREDITS_FORMAT,
            maximum=values.MAX_COURSE_CREDITS,
            required_message=_("The course credits are required."),
        )
        group_name = parse(
            "group",
            values.parse_name,
            cell(row, "group"),
            maximum=64,
            required_message=_("The course group is required."),
        )
        group_min = parse(
            "group_min", values.parse_optional_credits, cell(row, "group_min"), code=Code.GROUP_MIN_FORMAT
        )
        if errors:
            raise ValidationFailed(details=errors)
        data = services.ProgrammeValues(
            code=code,
            name=name,
            level=level,
            org=org,
            total_credits=total,
            conversion_cap=cap,
            max_outcome_age_years=max_age,
        )
        seen = self.programmes.get(code)
        if seen is not None and seen[0] != data:
            raise _fail(
                "programme_code",
                Code.PROGRAMME_DETAILS_DIFFER,
                _("The programme's name, level, centre, total credits or cap differ from line {line}.").format(
                    line=seen[1]
                ),
            )
        if seen is None:
            programme, programme_state = services.save_programme(data, actor=self.actor)
            self.programmes[code] = (data, row.line, programme)
        else:
            programme, programme_state = seen[2], "unchanged"
        seen_group = self.groups.get((code, group_name))
        if seen_group is not None and seen_group[0] != group_min:
            raise _fail(
                "group_min",
                Code.GROUP_DETAILS_DIFFER,
                _("The group's minimum credits differ from line {line}.").format(line=seen_group[1]),
            )
        if seen_group is None:
            group, group_state = services.save_group(
                programme, name=group_name, min_credits=group_min, actor=self.actor
            )
            self.groups[(code, group_name)] = (group_min, row.line, group)
        else:
            group, group_state = seen_group[2], "unchanged"
        course_content = (course_name, credits, group_name)
        seen_course = self.courses.get((code, course_code))
        if seen_course is not None:
            if seen_course[0] != course_content:
                raise _fail(
                    "course_code",
                    Code.COURSE_DETAILS_DIFFER,
                    _("The course {code} is on line {line} with another name, credits or group.").format(
                        code=course_code, line=seen_course[1]
                    ),
                )
            outcome.duplicates += 1
            return
        _course, course_state = services.save_course(
            programme, code=course_code, name=course_name, credits=credits, group=group, actor=self.actor
        )
        self.courses[(code, course_code)] = (course_content, row.line)
        if course_state == "created":
            outcome.imported += 1
        elif "updated" in (course_state, group_state, programme_state):
            outcome.updated += 1
        else:
            outcome.duplicates += 1


def run_programme_import(
    source: Source,
    *,
    org: OrgUnit,
    filename: str | None = None,
    actor: Any = None,
    strict: bool = False,
    dry_run: bool = False,
    on_row_error: Callable[[RowError], None] | None = None,
) -> TransferOutcome:
    """Import programmes, one row per course. ``org`` bounds the import: every row's 院校编码
    (blank: ``org`` itself) must be a university centre in ``org``'s subtree. ``actor`` None is
    the command line; a console user needs ``conversion.manage`` on each row's centre."""
    return _run(
        source,
        filename=filename,
        columns=PROGRAMME_COLUMNS,
        labels=PROGRAMME_LABELS,
        import_row=_ProgrammeRows(org, actor),
        audit_action="conversion.import_programmes",
        actor=actor,
        strict=strict,
        dry_run=dry_run,
        on_row_error=on_row_error,
        extra={"org": org.code, "org_path": org.path},
    )


# --- rules -------------------------------------------------------------------------------------------


class _RuleRows:
    def __init__(self, scope: OrgUnit, actor: Any) -> None:
        self.scope = scope
        self.actor = actor
        self.lookups = services.RuleLookups()
        self.seen: dict[tuple[str, str], tuple[tuple[Any, ...], int]] = {}

    def __call__(self, table: Table, row: TableRow, outcome: TransferOutcome) -> None:
        cell = table.cell
        data = services.RuleData(
            programme_code=cell(row, "programme_code"),
            number=cell(row, "number"),
            sources=cell(row, "sources"),
            targets=cell(row, "targets"),
            mode=cell(row, "mode"),
            min_score=cell(row, "min_score"),
            within_years=cell(row, "within_years"),
            source_count=cell(row, "source_count"),
            min_level=cell(row, "min_level"),
            effective_from=cell(row, "effective_from"),
            effective_to=cell(row, "effective_to"),
        )
        resolved = services.resolve_rule(data, self.lookups)
        programme = resolved.programme
        if not programme.org_path.startswith(self.scope.path):
            raise _fail(
                "programme_code",
                Code.ORG_OUT_OF_SCOPE,
                _("The programme {code} belongs to {name}, outside {scope}.").format(
                    code=programme.code, name=programme.org.name, scope=self.scope.name
                ),
            )
        if not services.may_manage(self.actor, programme.org_path):
            raise _fail("programme_code", Code.CANNOT_MANAGE, _("You may not edit this centre's rules."))
        key = (programme.code, resolved.number)
        seen = self.seen.get(key)
        if seen is not None:
            if seen[0] != resolved.content():
                raise _fail(
                    "number",
                    Code.DUPLICATE,
                    _("The rule {number} is on line {line} with other content.").format(
                        number=resolved.number, line=seen[1]
                    ),
                )
            outcome.duplicates += 1
            return
        self.seen[key] = (resolved.content(), row.line)
        current = (
            ConversionRule.objects.filter(programme=programme, number=resolved.number, is_current=True)
            .prefetch_related("sources", "targets")
            .first()
        )
        if current is None:
            services.create_rule(data, actor=self.actor, publish=True, lookups=self.lookups)
            outcome.imported += 1
            return
        if current.status == RuleStatus.RETIRED:
            raise _fail("number", Code.RULE_RETIRED, _("The rule {number} is retired.").format(number=current.number))
        if services.rule_content(current) == resolved.content() and current.status == RuleStatus.PUBLISHED:
            outcome.duplicates += 1
            return
        rule = services.update_rule(current, data, actor=self.actor, lookups=self.lookups)
        if rule.status == RuleStatus.DRAFT:
            services.publish_rule(rule, actor=self.actor)
        outcome.updated += 1


def run_rule_import(
    source: Source,
    *,
    org: OrgUnit,
    filename: str | None = None,
    actor: Any = None,
    strict: bool = False,
    dry_run: bool = False,
    on_row_error: Callable[[RowError], None] | None = None,
) -> TransferOutcome:
    """Import and publish conversion rules, one row per rule, each after the publishing checks
    (against the rules already published, those of earlier rows included). ``org`` bounds the
    import to its subtree's programmes."""
    return _run(
        source,
        filename=filename,
        columns=RULE_COLUMNS,
        labels=RULE_LABELS,
        import_row=_RuleRows(org, actor),
        audit_action="conversion.import_rules",
        actor=actor,
        strict=strict,
        dry_run=dry_run,
        on_row_error=on_row_error,
        extra={"org": org.code, "org_path": org.path},
    )
