"""Degree upgrade over HTTP: the public list of programmes, a learner's degree audit and what-if,
and staff in scope auditing a learner.

* ``GET /api/v1/programmes``, ``/programmes/{code}``: public on purpose (what a learner may aim for);
* ``GET /api/v1/me/programmes/{code}/audit``, ``POST …/what-if``: learners, about themselves;
* ``GET /api/v1/learners/{account_no}/programmes/{code}/audit``: staff with ``archive.view``
  on the learner (out of scope: 404, as for a missing learner);
* ``GET /api/v1/me/programmes/{code}/map``, ``/learners/{account_no}/programmes/{code}/map``:
  the learning map, for the learner and for staff as the audit.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from creditbank.accounts.access import access_learner
from creditbank.api.auth import LEARNER_AUTH, current_user, staff_auth
from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone, OrgRefOut
from creditbank.conversion import learning_map, report, selectors
from creditbank.conversion.choices import ProgrammeLevel, RuleMode
from creditbank.conversion.map_schemas import LearningMapOut

public_router = Router(tags=["Degree upgrade"], auth=None)
me_router = Router(tags=["Degree upgrade"], auth=LEARNER_AUTH)
staff_router = Router(tags=["Degree upgrade"], auth=staff_auth("archive.view"))


# --- schemas ---------------------------------------------------------------------------------------


class ProgrammeOut(Schema):
    code: str
    name: str
    level: ProgrammeLevel
    org: OrgRefOut
    total_credits: Decimal
    conversion_cap: Decimal = Field(description="The share of the total credits conversion may recognise at most.")
    cap_credits: Decimal = Field(description="The most credits conversion may recognise.")
    max_outcome_age_years: int | None


class ProgrammeFilter(Schema):
    q: str = Field("", max_length=64, description="Start of the code, part of the name, or pinyin initials.")
    level: Annotated[ProgrammeLevel | None, BlankToNone] = None
    org: str = Field("", max_length=32, description="Code of the university centre.")


class CourseOut(Schema):
    code: str
    name: str
    credits: Decimal


class GroupOut(Schema):
    name: str
    required: bool
    min_credits: Decimal | None
    courses: list[CourseOut]

    @staticmethod
    def resolve_courses(obj: Any) -> Any:
        return obj.course_list


class RuleOut(Schema):
    number: str
    version: int
    mode: RuleMode
    sources: list[str]
    source_count: int | None = Field(description="n for “any n of the sources”; null: all of them.")
    courses: list[str]
    min_score: str
    min_framework_level: int | None
    within_years: int | None
    effective_from: dt.date | None
    effective_to: dt.date | None

    @staticmethod
    def resolve_sources(obj: Any) -> list[str]:
        return [source.item_code for source in obj.sources.all()]

    @staticmethod
    def resolve_courses(obj: Any) -> list[str]:
        return sorted(target.course.code for target in obj.targets.all())


class ProgrammeDetailOut(ProgrammeOut):
    groups: list[GroupOut]
    rules: list[RuleOut]

    @staticmethod
    def resolve_groups(obj: Any) -> Any:
        return selectors.programme_groups(obj)

    @staticmethod
    def resolve_rules(obj: Any) -> Any:
        return selectors.published_rules(obj)


class AuditProgrammeOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    org: OrgRefOut
    total_credits: Decimal
    conversion_cap: Decimal
    max_outcome_age_years: int | None


class ChosenRuleOut(Schema):
    rule_id: int = Field(description="The rule version's id: what a conversion record keeps.")
    number: str
    version: int
    mode: RuleMode
    courses: list[str]
    credits: Decimal
    outcome_ids: list[int] = Field(description="Outcomes used; negative ids are the what-if's hypothetical ones.")
    item_codes: list[str]
    hypothetical: bool


class CourseRecognisedOut(Schema):
    code: str
    name: str
    credits: Decimal
    group: str
    rule_number: str
    rule_version: int
    mode: RuleMode
    mode_label: str


class GroupProgressOut(Schema):
    name: str
    required: bool
    needed_credits: Decimal
    done_credits: Decimal
    missing_credits: Decimal
    courses_recognised: list[str]
    courses_missing: list[CourseOut]


class ReasonOut(Schema):
    code: str
    message: str
    item_code: str
    outcome_id: int | None


class NotApplicableOut(Schema):
    rule_id: int
    number: str
    version: int
    mode: RuleMode
    courses: list[str]
    credits: Decimal
    reason: str = Field(
        description="not_in_effect, course_already_recognised, missing_source, not_enough_sources, outcome_used, "
        "score_missing, score_below, score_not_comparable, level_below or too_old."
    )
    message: str
    reasons: list[ReasonOut]


class PassedOverOut(Schema):
    rule_id: int
    number: str
    version: int
    credits: Decimal
    reason: str = Field(description="over_cap, fewer_credits or tie_break.")
    message: str
    best_total_with_rule: Decimal | None = Field(description="The most credits recognisable with this rule in.")
    competing_rules: list[str]
    shared_courses: list[str]
    shared_outcome_ids: list[int]
    tie_break: str | None = Field(
        description="For tie_break: required_credits, fewer_outcomes, rule_order, outcome_order or assignment."
    )


class ConsideredOutcomeOut(Schema):
    id: int
    item_code: str
    score: str
    level: int | None
    achieved_on: dt.date
    hypothetical: bool


class AuditOut(Schema):
    """A degree audit: how far the learner is from the programme's degree by conversion, and why."""

    programme: AuditProgrammeOut
    as_of: dt.date
    what_if: bool
    hypothetical_items: list[str]
    recognised_credits: Decimal
    cap_credits: Decimal
    previously_recognised_credits: Decimal
    remaining_cap_credits: Decimal
    cap_reached: bool
    credits_missing: Decimal = Field(description="Credits still missing to the programme's total.")
    chosen_rules: list[ChosenRuleOut]
    courses_recognised: list[CourseRecognisedOut]
    groups: list[GroupProgressOut]
    not_applicable: list[NotApplicableOut]
    passed_over: list[PassedOverOut]
    outcomes: list[ConsideredOutcomeOut]
    explanation: list[str]


class WhatIfIn(Schema):
    items: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=selectors.MAX_WHAT_IF_ITEMS, description="Catalog item codes to assume."
    )


# --- routes ----------------------------------------------------------------------------------------


@public_router.get("/programmes", response=list[ProgrammeOut], summary="Degree-upgrade programmes")
@paginate(Pagination)
def list_programmes(request: HttpRequest, filters: Query[ProgrammeFilter]) -> Any:
    """Open programmes, by code."""
    return selectors.search_programmes(query=filters.q, level=filters.level or "", org=filters.org)


@public_router.get(
    "/programmes/{code}", response=ProgrammeDetailOut, summary="One programme: its courses, groups and rules"
)
def get_programme(request: HttpRequest, code: str) -> Any:
    return selectors.get_open_programme(code)


@me_router.get("/me/programmes/{code}/audit", response=AuditOut, summary="My degree audit for a programme")
def my_audit(request: HttpRequest, code: str) -> Any:
    programme = selectors.get_open_programme(code)
    return report.audit_report(selectors.audit_learner(current_user(request).learner, programme))


@me_router.post("/me/programmes/{code}/what-if", response=AuditOut, summary="My degree audit if I also had some items")
def my_what_if(request: HttpRequest, code: str, payload: WhatIfIn) -> Any:
    programme = selectors.get_open_programme(code)
    audit = selectors.audit_learner(current_user(request).learner, programme, extra_items=payload.items)
    return report.audit_report(audit)


@staff_router.get(
    "/learners/{account_no}/programmes/{code}/audit", response=AuditOut, summary="A learner's degree audit"
)
def learner_audit(request: HttpRequest, account_no: str, code: str) -> Any:
    learner = access_learner(current_user(request), account_no, action="archive.view")
    programme = selectors.get_open_programme(code)
    return report.audit_report(selectors.audit_learner(learner, programme))


# the learning map (学习地图): docs/conversion.md "Learning map"
@me_router.get("/me/programmes/{code}/map", response=LearningMapOut, summary="My learning map for a programme")
def my_learning_map(request: HttpRequest, code: str) -> Any:
    """Per requirement group and course: recognised, recognisable now or missing, and for each
    missing course the catalog items that would fill it, cheapest first."""
    programme = selectors.get_open_programme(code)
    return learning_map.map_report(learning_map.learning_map(current_user(request).learner, programme))


@staff_router.get(
    "/learners/{account_no}/programmes/{code}/map", response=LearningMapOut, summary="A learner's learning map"
)
def learner_learning_map(request: HttpRequest, account_no: str, code: str) -> Any:
    learner = access_learner(current_user(request), account_no, action="archive.view")
    programme = selectors.get_open_programme(code)
    return learning_map.map_report(learning_map.learning_map(learner, programme))


class ConversionApplicationOut(Schema):
    application_id: int
    status: str = Field(description="The review status (submitted, accepted, first_reviewed, approved, …).")
    programme: str
    org: str = Field(description="The university centre that reviews it.")
    credits_applied: Decimal
    courses: list[str] = Field(description="The courses the audit recognised when the learner applied.")

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.application.status)

    @staticmethod
    def resolve_programme(obj: Any) -> str:
        return str(obj.programme.code)

    @staticmethod
    def resolve_org(obj: Any) -> str:
        return str(obj.application.org.name)

    @staticmethod
    def resolve_courses(obj: Any) -> list[str]:
        return [row["code"] for row in obj.snapshot.get("courses_recognised", [])]


@me_router.post(
    "/me/programmes/{code}/applications",
    response={201: ConversionApplicationOut},
    summary="Apply for conversion into a programme",
)
def apply_for_conversion(request: HttpRequest, code: str) -> Any:
    """The courses today's audit recognises go to the programme's university centre for review;
    approval writes the conversion records (and their ledger leaves). 422
    ``conversion_nothing_to_convert`` when nothing converts, 409 ``conversion_already_pending``
    while another application to the programme is open."""
    from creditbank.conversion import applications

    user = current_user(request)
    made = applications.apply(user.learner, code, actor=user)
    return Status(201, made)
