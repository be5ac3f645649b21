"""The review state machine as data: pure functions, no database (受理 → 初审 → 审核)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from creditbank.core.errors import ApplicationError
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus, ReviewEventKind

S = ApplicationStatus
E = ReviewEventKind

# (kind, event) → {from status: to status}; the action a role needs for each event.
TRANSITIONS: dict[str, dict[str, dict[str, str]]] = {
    ApplicationKind.ACCOUNT_OPENING: {
        E.ACCEPTED: {S.SUBMITTED: S.ACCEPTED},
        E.APPROVED: {S.ACCEPTED: S.APPROVED},
        E.REJECTED: {S.SUBMITTED: S.REJECTED, S.ACCEPTED: S.REJECTED},
        E.RETURNED: {S.SUBMITTED: S.RETURNED, S.ACCEPTED: S.RETURNED},
        E.RESUBMITTED: {S.RETURNED: S.SUBMITTED},
    },
    # 自主存入: accepted (受理) by the learner's organisation, first-reviewed (初审), then certified
    # (认证): the outcome is stored as certified with the item's credits
    # (archive.deposits.certify_deposit). A centre may skip the first review and certify an
    # accepted deposit in one step.
    ApplicationKind.DEPOSIT: {
        E.ACCEPTED: {S.SUBMITTED: S.ACCEPTED},
        E.FIRST_REVIEWED: {S.ACCEPTED: S.FIRST_REVIEWED},
        E.CERTIFIED: {S.ACCEPTED: S.APPROVED, S.FIRST_REVIEWED: S.APPROVED},
        E.REJECTED: {S.SUBMITTED: S.REJECTED, S.ACCEPTED: S.REJECTED, S.FIRST_REVIEWED: S.REJECTED},
        E.RETURNED: {S.SUBMITTED: S.RETURNED, S.ACCEPTED: S.RETURNED, S.FIRST_REVIEWED: S.RETURNED},
        E.RESUBMITTED: {S.RETURNED: S.SUBMITTED},
        # The learner may take it back while nobody has decided.
        E.WITHDRAWN: {
            S.SUBMITTED: S.WITHDRAWN,
            S.ACCEPTED: S.WITHDRAWN,
            S.FIRST_REVIEWED: S.WITHDRAWN,
            S.RETURNED: S.WITHDRAWN,
        },
    },
}

REQUIRED_ACTION: dict[str, str] = {
    E.ACCEPTED: "reviews.accept",
    E.APPROVED: "reviews.first_review",
    E.CERTIFIED: "reviews.first_review",
    E.FIRST_REVIEWED: "reviews.first_review",
    E.REJECTED: "reviews.first_review",
    E.RETURNED: "reviews.accept",
}

FINAL_STATUSES = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})
# Steps only the applicant takes (never a staff role).
LEARNER_EVENTS = frozenset({E.RESUBMITTED, E.WITHDRAWN})


def next_status(kind: str, status: str, event: str) -> str:
    """The status after ``event``, or an ``invalid_transition`` error."""
    target = TRANSITIONS.get(kind, {}).get(event, {}).get(status)
    if target is None:
        raise ApplicationError(
            _("This step is not possible for an application in its current state."),
            code="invalid_transition",
            status=409,
        )
    return target


def available_events(kind: str, status: str) -> list[str]:
    return [event for event, moves in TRANSITIONS.get(kind, {}).items() if status in moves]
