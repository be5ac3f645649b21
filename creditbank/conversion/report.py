"""An engine ``Audit`` in words and as one plain structure: what the API answers, and what a
conversion application keeps (pure; messages through gettext, in the caller's language).

``audit_report`` is the one shape of an audit (docs/conversion.md): the programme, the credits
(recognised now, earlier, the cap and what is left, what is still missing to the degree), the
chosen rules with their courses and outcomes, the courses recognised, progress per requirement
group, every rule that does not apply with its reasons, every applicable rule passed over with
why, the outcomes considered, and the explanation as sentences.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.conversion import engine
from creditbank.conversion.choices import ProgrammeLevel, RuleMode
from creditbank.conversion.engine import Finding, Passed, Reason, TieBreak

_TEMPLATES: dict[str, Any] = {
    "not_in_effect": gettext_lazy("The rule is not in effect on {actual} (in effect from {start} to {end})."),
    "course_already_recognised": gettext_lazy("The courses {actual} are already recognised by an earlier conversion."),
    "missing_source": gettext_lazy("There is no outcome of {item} in the archive."),
    "not_enough_sources": gettext_lazy("The rule needs {required} of its catalog items; {actual} of them qualify."),
    "outcome_used": gettext_lazy(
        "The outcome of {item} was already used by an earlier conversion into this programme."
    ),
    "score_missing": gettext_lazy("The outcome of {item} has no score; the rule needs at least {required}."),
    "score_below": gettext_lazy("The score {actual} of {item} is below the minimum of {required}."),
    "score_not_comparable": gettext_lazy(
        "The result {actual} of {item} cannot be compared with the minimum of {required}."
    ),
    "level_below": gettext_lazy("{item} is at framework level {actual}; the rule needs level {required} or above."),
    "level_missing": gettext_lazy("{item} has no framework level; the rule needs level {required} or above."),
    "too_old": gettext_lazy(
        "The outcome of {item} was achieved on {actual}; the rule accepts outcomes achieved on {required} or later."
    ),
}


def finding_message(finding: Finding, templates: dict[str, str] | None = None) -> str:
    """The finding in words. ``templates``: translated templates already looked up (a report
    reads the same few for a hundred rules)."""
    key = str(finding.reason)
    if finding.reason is Reason.LEVEL_BELOW and not finding.actual:
        key = "level_missing"
    if templates is None:
        template = str(_TEMPLATES[key])
    else:
        template = templates.get(key) or templates.setdefault(key, str(_TEMPLATES[key]))
    start, _sep, end = finding.required.partition("~")
    return template.format(
        item=finding.item_code,
        actual=finding.actual,
        required=finding.required,
        start=start or "—",
        end=end or "—",
    )


def _tie_message(decider: TieBreak | None) -> str:
    if decider is TieBreak.REQUIRED_CREDITS:
        return _("it recognises more credits of required courses")
    if decider is TieBreak.FEWER_OUTCOMES:
        return _("it uses fewer outcomes, which stay free for later")
    if decider is TieBreak.OUTCOME_ORDER:
        return _("it uses the earlier outcomes, which would expire first")
    if decider is TieBreak.ASSIGNMENT:
        return _("it gives the earlier outcome to the earlier rule")
    return _("its rule number comes first")


def alternative_message(alternative: engine.Alternative, audit: engine.Audit) -> str:
    number = alternative.rule.number
    chosen = audit.selection.credits
    if alternative.reason is Passed.OVER_CAP:
        if alternative.best_with is None:
            return _("Rule {number} needs {credits} credits, more than the {left} credits left under the cap.").format(
                number=number, credits=alternative.credits, left=audit.remaining_cap
            )
        return _(
            "Rule {number} ({credits} credits) does not fit under the cap of {cap} credits beside the chosen rules: with it, at most {best} credits could be recognised, against {chosen}."
        ).format(
            number=number, credits=alternative.credits, cap=audit.cap_credits, best=alternative.best_with, chosen=chosen
        )
    competing = "、".join(alternative.competing)
    shared = []
    if alternative.shared_courses:
        shared.append(_("the courses {courses}").format(courses="、".join(alternative.shared_courses)))
    if alternative.shared_outcomes:
        codes = sorted({fact.item_code for fact in audit.outcomes if fact.id in set(alternative.shared_outcomes)})
        shared.append(_("the outcomes of {items}").format(items="、".join(codes)))
    what = _("{first} and {second}").format(first=shared[0], second=shared[1]) if len(shared) == 2 else "".join(shared)
    if alternative.reason is Passed.FEWER_CREDITS:
        return _(
            "Rule {number} competes with {competing} for {what}: with it, at most {best} credits could be recognised, fewer than {chosen}."
        ).format(number=number, competing=competing, what=what, best=alternative.best_with, chosen=chosen)
    return _(
        "Rule {number} competes with {competing} for {what} and would recognise as many credits ({best}); {competing} was preferred because {why}."
    ).format(
        number=number, competing=competing, what=what, best=alternative.best_with, why=_tie_message(alternative.decider)
    )


def explanation(audit: engine.Audit) -> list[str]:
    lines = []
    chosen = audit.selection.chosen
    if chosen:
        rules = "、".join(
            _("{number} (version {version})").format(number=item.rule.number, version=item.rule.version)
            for item in chosen
        )
        lines.append(
            _("Rules {rules} recognise {credits} credits; the cap on converted credits is {cap} credits.").format(
                rules=rules, credits=audit.selection.credits, cap=audit.cap_credits
            )
        )
    else:
        lines.append(
            _("No rule can be applied yet; the cap on converted credits is {cap} credits.").format(
                cap=audit.cap_credits
            )
        )
    if audit.previous_credits:
        lines.append(
            _(
                "{credits} credits were recognised by earlier conversions; {left} credits are left under the cap."
            ).format(credits=audit.previous_credits, left=audit.remaining_cap)
        )
    if audit.cap_reached:
        lines.append(_("The cap is reached: no further course can be recognised by conversion."))
    lines.extend(alternative_message(alternative, audit) for alternative in audit.alternatives)
    if audit.hypothetical_items:
        lines.append(
            _("What-if: assumed outcomes of {items}, achieved today and meeting any score condition.").format(
                items="、".join(audit.hypothetical_items)
            )
        )
    return lines


def course_rows(audit: engine.Audit) -> dict[str, engine.CourseSpec]:
    return {course.code: course for course in audit.programme.courses}


def _not_applicable(check: engine.RuleCheck, templates: dict[str, str]) -> dict[str, Any]:
    reasons = [
        {
            "code": str(finding.reason),
            "message": finding_message(finding, templates),
            "item_code": finding.item_code,
            "outcome_id": finding.outcome_id,
        }
        for finding in check.findings
    ]
    return {
        "rule_id": check.rule.id,
        "number": check.rule.number,
        "version": check.rule.version,
        "mode": check.rule.mode,
        "courses": list(check.rule.targets),
        "credits": check.credits,
        "reason": str(check.reason),
        "message": reasons[0]["message"],
        "reasons": reasons,
    }


def audit_report(audit: engine.Audit) -> dict[str, Any]:
    """The audit as one plain structure (Decimals for credits, ids and codes as they are)."""
    programme = audit.programme
    courses = course_rows(audit)
    templates: dict[str, str] = {}
    recognised = []
    for chosen in audit.selection.chosen:
        for code in chosen.courses:
            course = courses[code]
            recognised.append(
                {
                    "code": code,
                    "name": course.name,
                    "credits": course.credits,
                    "group": course.group,
                    "rule_number": chosen.rule.number,
                    "rule_version": chosen.rule.version,
                    "mode": chosen.rule.mode,
                    "mode_label": str(RuleMode(chosen.rule.mode).label),
                }
            )
    return {
        "programme": {
            "code": programme.code,
            "name": programme.name,
            "level": programme.level,
            "level_label": str(ProgrammeLevel(programme.level).label) if programme.level else "",
            "org": {"code": programme.org_code, "name": programme.org_name},
            "total_credits": programme.total_credits,
            "conversion_cap": programme.cap,
            "max_outcome_age_years": programme.max_outcome_age_years,
        },
        "as_of": audit.as_of,
        "what_if": bool(audit.hypothetical_items),
        "hypothetical_items": list(audit.hypothetical_items),
        "recognised_credits": audit.recognised_credits,
        "cap_credits": audit.cap_credits,
        "previously_recognised_credits": audit.previous_credits,
        "remaining_cap_credits": audit.remaining_cap,
        "cap_reached": audit.cap_reached,
        "credits_missing": audit.credits_missing,
        "chosen_rules": [
            {
                "rule_id": chosen.rule.id,
                "number": chosen.rule.number,
                "version": chosen.rule.version,
                "mode": chosen.rule.mode,
                "courses": list(chosen.courses),
                "credits": chosen.credits,
                "outcome_ids": list(chosen.outcome_ids),
                "item_codes": list(chosen.item_codes),
                "hypothetical": chosen.hypothetical,
            }
            for chosen in audit.selection.chosen
        ],
        "courses_recognised": recognised,
        "groups": [
            {
                "name": group.name,
                "required": group.required,
                "needed_credits": group.needed_credits,
                "done_credits": group.done_credits,
                "missing_credits": group.missing_credits,
                "courses_recognised": list(group.recognised_courses),
                "courses_missing": [
                    {"code": code, "name": courses[code].name, "credits": courses[code].credits}
                    for code in group.missing_courses
                ],
            }
            for group in audit.groups
        ],
        "not_applicable": [_not_applicable(check, templates) for check in audit.checks if not check.applicable],
        "passed_over": [
            {
                "rule_id": alternative.rule.id,
                "number": alternative.rule.number,
                "version": alternative.rule.version,
                "credits": alternative.credits,
                "reason": str(alternative.reason),
                "message": alternative_message(alternative, audit),
                "best_total_with_rule": alternative.best_with,
                "competing_rules": list(alternative.competing),
                "shared_courses": list(alternative.shared_courses),
                "shared_outcome_ids": list(alternative.shared_outcomes),
                "tie_break": str(alternative.decider) if alternative.decider else None,
            }
            for alternative in audit.alternatives
        ],
        "outcomes": [
            {
                "id": fact.id,
                "item_code": fact.item_code,
                "score": fact.score,
                "level": fact.level,
                "achieved_on": fact.achieved_on,
                "hypothetical": fact.hypothetical,
            }
            for fact in audit.outcomes
        ],
        "explanation": explanation(audit),
    }
