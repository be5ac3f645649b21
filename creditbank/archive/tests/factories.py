"""Outcomes for tests (plain functions like ``make_learner`` and ``make_item``): a learner and a
published catalog item are made when not given; org, path, code, credits and natural key follow."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from creditbank.accounts.models import Learner
from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.models import Outcome, natural_key
from creditbank.catalog.models import CatalogItem

_days = itertools.count()


def _default_learner() -> Learner:
    from creditbank.accounts.tests.factories import make_learner
    from creditbank.orgs.models import OrgUnit
    from creditbank.orgs.tests.factories import make_org

    org = OrgUnit.objects.filter(kind="centre").order_by("path").first()
    if org is None:
        org = make_org(make_org(None, kind="management", code="MC", name="管理中心", region="340000", category=""))
    return make_learner(org)


def outcome_fields(
    *, learner: Learner | None = None, item: CatalogItem | None = None, **overrides: Any
) -> dict[str, Any]:
    """The field values of a valid bulk-deposited outcome, for ``Outcome(**fields)``."""
    from creditbank.catalog.tests.factories import make_item

    learner = learner or _default_learner()
    item = item or make_item()
    org = overrides.pop("org", None) or learner.org
    fields: dict[str, Any] = {
        "learner": learner,
        "item": item,
        "item_code": item.code,
        "org": org,
        "org_path": org.path,
        "source": OutcomeSource.BULK,
        "status": OutcomeStatus.STORED,
        "score": "86",
        "achieved_on": dt.date(2024, 1, 1) + dt.timedelta(days=next(_days) % 600),
        "certificate_no": "",
        "hours": item.learning_hours,
        "credits": item.credits,
    }
    fields.update(overrides)
    fields.setdefault(
        "natural_key",
        natural_key(fields["item_code"], certificate_no=fields["certificate_no"], achieved_on=fields["achieved_on"]),
    )
    return fields


def make_outcome(*, learner: Learner | None = None, item: CatalogItem | None = None, **overrides: Any) -> Outcome:
    return Outcome.objects.create(**outcome_fields(learner=learner, item=item, **overrides))


OutcomeFactory = make_outcome  # the name the brief and other apps' tests use
