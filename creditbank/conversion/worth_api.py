"""``GET /api/v1/conversion/worth?q=…``: what an outcome is worth in every open programme.

Public on purpose (anyone asks before they have an account), rate-limited: anonymous callers
per address, signed-in ones per account (``ANONYMOUS_RATE_LIMIT``, ``USER_RATE_LIMIT``: calls
per window of seconds), the page ``/worth/`` and this route together. The shape and the verdicts
are explained in ``docs/conversion.md`` (“What is this worth here?”).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from creditbank.api.schemas import OrgRefOut
from creditbank.conversion import worth
from creditbank.conversion.choices import ProgrammeLevel, RuleMode
from creditbank.core import ratelimit
from creditbank.core.context import client_ip

router = Router(tags=["Degree upgrade"], auth=None)

# (calls, seconds) per caller.
ANONYMOUS_RATE_LIMIT = (30, 60)
USER_RATE_LIMIT = (60, 60)


def check_rate(request: HttpRequest) -> None:
    """Count one lookup: per account when signed in, else per client address (``rate_limited``)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        key, (limit, window) = f"worth:user:{user.pk}", USER_RATE_LIMIT
    else:
        key, (limit, window) = f"worth:ip:{client_ip(request) or 'unknown'}", ANONYMOUS_RATE_LIMIT
    ratelimit.hit(key, limit=limit, window=window)


class WorthFilter(Schema):
    q: str = Field(
        "",
        description=f"An outcome's name in any wording, its full pinyin or pinyin initials, or its catalog code "
        f"(at most {worth.MAX_QUERY_LENGTH} characters).",
    )


class WorthItemOut(Schema):
    code: str
    name: str
    similarity: float = Field(description="0–1; 1 for the code or the same name.")
    exact: bool = Field(description="Found by its code, or by its very name (punctuation and filler words aside).")
    matched_by: Literal["code", "name", "pinyin", "initials"]
    level: int | None = Field(description="Framework level of the item.")
    outcome_type: str
    issuer: str


class WorthCourseOut(Schema):
    code: str
    name: str
    credits: Decimal


class WorthReasonOut(Schema):
    code: Literal["fuzzy_name", "min_score", "min_level", "within_years", "all_of", "n_of_m"]
    message: str


class WorthRuleOut(Schema):
    rule_id: int
    number: str
    version: int
    mode: RuleMode
    mode_label: str
    verdict: Literal["match", "maybe"]
    item_code: str = Field(description="The matched item this rule takes.")
    courses: list[WorthCourseOut]
    credits: Decimal = Field(description="Credits of the target courses together.")
    effective_to: dt.date | None
    reasons: list[WorthReasonOut] = Field(description="What must be checked (empty for a match).")

    @staticmethod
    def resolve_item_code(obj: Any) -> str:
        return str(obj.item.code)


class WorthProgrammeOut(Schema):
    code: str
    name: str
    level: ProgrammeLevel
    level_label: str
    org: OrgRefOut = Field(description="The university centre.")
    detail_url: str = Field(description="The public programme detail (courses, groups, rules).")

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return str(ProgrammeLevel(obj.level).label)

    @staticmethod
    def resolve_detail_url(obj: Any) -> str:
        return f"/api/v1/programmes/{obj.code}"


class WorthResultOut(Schema):
    verdict: Literal["match", "maybe"]
    programme: WorthProgrammeOut
    rules: list[WorthRuleOut]


class WorthNoMatchOut(Schema):
    count: int = Field(description="Open programmes into which none of the items converts.")
    programmes: list[WorthProgrammeOut] = Field(description=f"The first {worth.NO_MATCH_LIMIT}, by code.")


class WorthOut(Schema):
    """Per open programme: ``match`` (converts as it is), ``maybe`` (a condition or the name must
    be checked), or counted under ``no_match``."""

    query: str
    as_of: dt.date
    items: list[WorthItemOut]
    results: list[WorthResultOut]
    no_match: WorthNoMatchOut


@router.get("/conversion/worth", response=WorthOut, summary="What is an outcome worth here?")
def get_worth(request: HttpRequest, filters: Query[WorthFilter]) -> Any:
    """422 ``worth_query_required`` for an empty query, ``worth_query_too_long`` beyond the limit;
    429 ``rate_limited`` when a caller asks too often."""
    worth.validate_query(filters.q)
    check_rate(request)
    return worth.lookup(filters.q)
