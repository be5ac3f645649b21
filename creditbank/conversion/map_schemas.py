"""The learning map over HTTP (``learning_map.map_report``'s shape; docs/conversion.md)."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from creditbank.api.schemas import OrgRefOut


class MapProgrammeOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    org: OrgRefOut


class MapItemOut(Schema):
    code: str
    name: str
    credits: Decimal
    learning_hours: int | None = Field(description="The catalog's learning hours, when it has them.")
    effort_hours: int = Field(description="The estimate used for ordering (docs/conversion.md).")
    held: bool = Field(description="The learner has an outcome of it, but none that qualifies or is free.")


class MapOptionOut(Schema):
    kind: str = Field(description="rule: catalog items a rule would convert; study: study the course itself.")
    effort_hours: int = Field(description="Estimated hours: the items' efforts plus a penalty per extra item.")
    rule_id: int | None
    rule_number: str
    rule_version: int | None
    mode: str
    mode_label: str
    courses: list[str] = Field(description="Every course the rule recognises.")
    credits: Decimal = Field(description="The rule's credits: what the cap counts.")
    fills: bool = Field(description="A what-if audit with these items recognises the course.")
    credits_gained: Decimal = Field(description="Credits the what-if recognises beyond today's audit.")
    exceeds_cap: bool = Field(description="The rule's credits exceed what is left under the cap.")
    items: list[MapItemOut] = Field(description="The catalog items the learner still lacks for this option.")


class MapCourseOut(Schema):
    code: str
    name: str
    credits: Decimal
    status: str = Field(description="recorded, available (recognisable now), missing or not_needed.")
    status_label: str
    rule_number: str = Field(description="For recorded and available courses: the rule that recognises it.")
    rule_version: int | None
    options: list[MapOptionOut] = Field(
        description="For missing courses: the ways to fill it, fillers first by effort."
    )


class MapGroupOut(Schema):
    name: str
    required: bool
    min_credits: Decimal | None
    needed_credits: Decimal
    done_credits: Decimal
    recorded_credits: Decimal
    available_credits: Decimal
    missing_credits: Decimal
    courses: list[MapCourseOut]


class LearningMapOut(Schema):
    """Where the learner stands in a programme and what would fill the rest."""

    programme: MapProgrammeOut
    as_of: dt.date
    total_credits: Decimal
    cap_credits: Decimal
    recorded_credits: Decimal = Field(description="Recognised by conversion records.")
    available_credits: Decimal = Field(description="Recognisable by today's audit.")
    recognised_credits: Decimal
    cap_left_credits: Decimal = Field(description="Left under the cap after both.")
    cap_reached: bool
    credits_missing: Decimal = Field(description="Credits still missing to the programme's total.")
    groups: list[MapGroupOut]
