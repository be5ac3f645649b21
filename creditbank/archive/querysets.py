from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db.models import Q

from creditbank.core.querysets import ScopedQuerySet, scope_q

if TYPE_CHECKING:
    from creditbank.accounts.models import Learner
    from creditbank.archive.models import Evidence, Outcome  # noqa: F401


class OutcomeQuerySet(ScopedQuerySet["Outcome"]):
    """Outcomes a staff member may see: every outcome of a learner whose home organisation is in
    their subtree (a centre sees the whole archive of its learners, whoever deposited it), and
    every outcome their subtree deposited (a university centre sees the course results it stored
    for learners who live elsewhere, so that it can check and correct them).

    The learner side goes through the join to ``accounts_learner`` rather than a copy of the
    learner's path on each outcome: every scoped query is already narrowed to one learner or one
    outcome (the archive, a detail page, a batch by id), so the join is one primary-key probe,
    a learner who moves to another centre needs no rewrite of ten million rows, and with Citus
    both tables are distributed by the learner key, so the join stays on one shard. A listing
    across a whole scope (not built yet) would need a scope index, added with the page that needs it.
    """

    scope_path = "org_path"
    view_action = "archive.view"

    def scope_condition(self, paths: tuple[str, ...]) -> Q:
        return scope_q("learner__org_path", paths) | scope_q("org_path", paths)

    def for_learner(self, learner: Learner | int) -> Self:
        """One learner's archive, newest first; served by the (learner, natural key) unique index."""
        learner_id = learner if isinstance(learner, int) else learner.pk
        return self.filter(learner_id=learner_id).order_by("-achieved_on", "-id")


class EvidenceQuerySet(ScopedQuerySet["Evidence"]):
    """Evidence files a staff member may open: those of learners in their subtree, and those sent
    with an application their subtree handles."""

    scope_path = "learner__org_path"
    view_action = "archive.view"

    def scope_condition(self, paths: tuple[str, ...]) -> Q:
        return scope_q("learner__org_path", paths) | scope_q("deposit__application__org_path", paths)
