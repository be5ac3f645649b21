"""The review state machine as data: pure functions, no database (受理 → 初审 → 审核/认证).

Each kind of application declares, in one ``KindSpec``: which organisation handles it, the steps
(from which status to which, the role action each needs, the kinds of organisation whose staff may
take it), which levels a centre may skip, and the names of its steps in the staff API. Services,
views, the API and the queue all read these declarations; a later kind (conversion) registers its
own spec with ``register``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from creditbank.core.errors import ApplicationError
from creditbank.orgs.choices import OrgKind
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus, ReviewEventKind

S = ApplicationStatus
E = ReviewEventKind

ANY_ORG = frozenset(OrgKind.values)
# 认证中心 and above: the management centre, certification centres and their sub-centres.
CENTRES = frozenset({OrgKind.MANAGEMENT, OrgKind.CENTRE, OrgKind.SUBCENTRE})

# Who handles an application, resolved by ``reviews.services.handling_org`` when it is filed.
HANDLER_CHOSEN_ORG = "chosen_org"  # the service organisation the learner belongs to or chose
HANDLER_PROGRAMME_UNIVERSITY = "programme_university"  # the university centre owning the programme


@dataclass(frozen=True)
class Step:
    """One kind of step: ``moves`` maps a status to the status after it. ``action`` is the role
    action a staff member needs (None: only the applicant takes this step)."""

    moves: Mapping[str, str]
    action: str | None = None
    org_kinds: frozenset[str] = ANY_ORG


@dataclass(frozen=True)
class KindSpec:
    kind: str
    handler: str
    steps: Mapping[str, Step]
    # event → {status: the steps taken first, in order}: a centre may take several levels at once,
    # each recorded in the history as its own step.
    skips: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    skip_org_kinds: frozenset[str] = CENTRES
    # The staff API's action names (``POST /api/v1/reviews/{id}/{action}``) → events.
    api_actions: Mapping[str, str] = field(default_factory=dict)


def _learner_steps(*, withdraw_from: tuple[str, ...], draft: bool) -> dict[str, Step]:
    steps: dict[str, Step] = {E.RESUBMITTED: Step({S.RETURNED: S.SUBMITTED})}
    if draft:
        steps[E.SUBMITTED] = Step({S.DRAFT: S.SUBMITTED})
    if withdraw_from:
        steps[E.WITHDRAWN] = Step(dict.fromkeys(withdraw_from, S.WITHDRAWN))
    return steps


def _decisions(open_statuses: tuple[str, ...], *, action: str, org_kinds: frozenset[str] = ANY_ORG) -> dict[str, Step]:
    """Reject (驳回) and return for supplement (退回补正) from any open status."""
    return {
        E.REJECTED: Step(dict.fromkeys(open_statuses, S.REJECTED), action="reviews.first_review", org_kinds=org_kinds),
        E.RETURNED: Step(dict.fromkeys(open_statuses, S.RETURNED), action=action, org_kinds=org_kinds),
    }


ACCOUNT_OPENING = KindSpec(
    kind=ApplicationKind.ACCOUNT_OPENING,
    handler=HANDLER_CHOSEN_ORG,
    steps={
        E.ACCEPTED: Step({S.SUBMITTED: S.ACCEPTED}, action="reviews.accept"),
        # 初审通过 is the opening's decision: it activates the account.
        E.APPROVED: Step({S.ACCEPTED: S.APPROVED}, action="reviews.first_review"),
        **_decisions((S.SUBMITTED, S.ACCEPTED), action="reviews.accept"),
        **_learner_steps(withdraw_from=(), draft=False),
    },
    skips={E.APPROVED: {S.SUBMITTED: (E.ACCEPTED,)}},
    api_actions={"accept": E.ACCEPTED, "first-review": E.APPROVED, "approve": E.APPROVED},
)

# 自主存入: accepted (受理) by the learner's organisation (an acceptance point may), first-reviewed
# (初审) and certified (认证) by a centre: the outcome is stored as certified with the item's
# credits (archive.deposits.certify_deposit). A centre may certify without a separate first
# review, and may accept in the same step.
_DEPOSIT_OPEN = (S.SUBMITTED, S.ACCEPTED, S.FIRST_REVIEWED)
DEPOSIT = KindSpec(
    kind=ApplicationKind.DEPOSIT,
    handler=HANDLER_CHOSEN_ORG,
    steps={
        E.ACCEPTED: Step({S.SUBMITTED: S.ACCEPTED}, action="reviews.accept"),
        E.FIRST_REVIEWED: Step({S.ACCEPTED: S.FIRST_REVIEWED}, action="reviews.first_review", org_kinds=CENTRES),
        E.CERTIFIED: Step(
            {S.ACCEPTED: S.APPROVED, S.FIRST_REVIEWED: S.APPROVED}, action="reviews.certify", org_kinds=CENTRES
        ),
        **_decisions(_DEPOSIT_OPEN, action="reviews.accept"),
        # The learner may take it back (or discard a draft) while nobody has decided.
        **_learner_steps(withdraw_from=(S.DRAFT, *_DEPOSIT_OPEN, S.RETURNED), draft=True),
    },
    skips={
        E.FIRST_REVIEWED: {S.SUBMITTED: (E.ACCEPTED,)},
        E.CERTIFIED: {S.SUBMITTED: (E.ACCEPTED,)},
    },
    api_actions={"accept": E.ACCEPTED, "first-review": E.FIRST_REVIEWED, "approve": E.CERTIFIED},
)

# 学分转换: filed with the university centre that owns the programme, which accepts (受理),
# first-reviews (初审) and approves (审核通过); approval writes the conversion records
# (conversion.applications.record_conversion). The centre may do it all in one step.
CONVERSION = KindSpec(
    kind=ApplicationKind.CONVERSION,
    handler=HANDLER_PROGRAMME_UNIVERSITY,
    steps={
        E.ACCEPTED: Step({S.SUBMITTED: S.ACCEPTED}, action="reviews.accept", org_kinds=CENTRES),
        E.FIRST_REVIEWED: Step({S.ACCEPTED: S.FIRST_REVIEWED}, action="reviews.first_review", org_kinds=CENTRES),
        E.APPROVED: Step(
            {S.ACCEPTED: S.APPROVED, S.FIRST_REVIEWED: S.APPROVED}, action="reviews.certify", org_kinds=CENTRES
        ),
        **_decisions(_DEPOSIT_OPEN, action="reviews.accept", org_kinds=CENTRES),
        **_learner_steps(withdraw_from=(*_DEPOSIT_OPEN, S.RETURNED), draft=False),
    },
    skips={E.FIRST_REVIEWED: {S.SUBMITTED: (E.ACCEPTED,)}, E.APPROVED: {S.SUBMITTED: (E.ACCEPTED,)}},
    api_actions={"accept": E.ACCEPTED, "first-review": E.FIRST_REVIEWED, "approve": E.APPROVED},
)

# Reject and return are named the same for every kind.
COMMON_API_ACTIONS = {"reject": E.REJECTED, "return": E.RETURNED}

KINDS: dict[str, KindSpec] = {}


def register(spec: KindSpec) -> KindSpec:
    """Declare a kind of application (idempotent for the same spec)."""
    KINDS[spec.kind] = spec
    return spec


register(ACCOUNT_OPENING)
register(DEPOSIT)
register(CONVERSION)

FINAL_STATUSES = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})
# Waiting for a member of staff (the queue's "open").
OPEN_STATUSES = (S.SUBMITTED, S.ACCEPTED, S.FIRST_REVIEWED)
# Steps only the applicant takes (never a staff role).
LEARNER_EVENTS = frozenset({E.RESUBMITTED, E.WITHDRAWN, E.SUBMITTED})


def spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise ApplicationError(_("This kind of application is not known."), code="unknown_kind", status=422) from None


def _invalid() -> ApplicationError:
    return ApplicationError(
        _("This step is not possible for an application in its current state."),
        code="invalid_transition",
        status=409,
    )


def step(kind: str, event: str) -> Step | None:
    return KINDS[kind].steps.get(event) if kind in KINDS else None


def next_status(kind: str, status: str, event: str) -> str:
    """The status after ``event``, or an ``invalid_transition`` error."""
    found = step(kind, event)
    target = found.moves.get(status) if found is not None else None
    if target is None:
        raise _invalid()
    return target


def skip_path(kind: str, status: str, event: str) -> tuple[str, ...] | None:
    """The steps a centre takes first when it takes ``event`` from ``status`` in one go, or None."""
    if kind not in KINDS:
        return None
    return KINDS[kind].skips.get(event, {}).get(status)


def required_action(kind: str, event: str) -> str | None:
    found = step(kind, event)
    return found.action if found is not None else None


def available_events(kind: str, status: str) -> list[str]:
    """The steps possible from ``status`` without skipping, in declaration order."""
    if kind not in KINDS:
        return []
    return [event for event, found in KINDS[kind].steps.items() if status in found.moves]


def skippable_events(kind: str, status: str) -> list[str]:
    if kind not in KINDS:
        return []
    return [event for event, paths in KINDS[kind].skips.items() if status in paths]


def event_for_api_action(kind: str, action: str) -> str:
    """The event a staff API action names for this kind (``approve`` certifies a deposit)."""
    event = COMMON_API_ACTIONS.get(action) or spec(kind).api_actions.get(action)
    if event is None:
        raise _invalid()
    return event


def staff_actions() -> frozenset[str]:
    """Every role action some step needs (the console shows the queue to holders of any)."""
    return frozenset(found.action for kind in KINDS.values() for found in kind.steps.values() if found.action)
