"""Writing the catalog: propose, publish, edit (a new version once published) and retire items.

Centres propose items (drafts, ``catalog.propose``); only the management centre publishes,
edits published items and retires them (``catalog.publish`` granted at the management centre).
Every change is one audit row; a refused request changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from creditbank.audit import services as audit
from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.errors import CatalogErrorCode
from creditbank.catalog.models import CatalogItem, Discipline, FrameworkLevel, Issuer, OutcomeType, Standard
from creditbank.catalog.rules import rule_credits
from creditbank.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from creditbank.orgs import permissions
from creditbank.orgs import selectors as org_selectors
from creditbank.orgs.models import OrgUnit

ITEM_FIELDS = (
    "code",
    "version",
    "name",
    "outcome_type_id",
    "issuer_id",
    "level_id",
    "discipline_id",
    "credits",
    "learning_hours",
    "validity_years",
    "evidence_required",
    "standard_id",
    "status",
    "is_current",
)
# What makes two versions "the same content" (the columns an import file carries).
CONTENT_FIELDS = ("name", "outcome_type_id", "issuer_id", "level_id", "credits", "learning_hours", "validity_years")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
MAX_CREDITS = Decimal("999.9")
MAX_HOURS = 100_000
MAX_VALIDITY_YEARS = 100


@dataclass(frozen=True)
class ItemData:
    """An item as people and files describe it: by codes and names, credits possibly left open."""

    code: str
    name: str
    type: str
    issuer_code: str
    issuer_name: str = ""
    level: int | str | None = None
    credits: Decimal | str | None = None
    hours: int | str | None = None
    validity_years: int | str | None = None
    evidence_required: str = ""
    standard_number: str = ""
    discipline_code: str = ""


@dataclass(frozen=True)
class Resolved:
    """``ItemData`` checked and looked up: the values of a ``CatalogItem`` row."""

    code: str
    name: str
    outcome_type: OutcomeType
    issuer: Issuer | None  # None: a new issuer to create from ``issuer_code``/``issuer_name``
    issuer_code: str
    issuer_name: str
    level: FrameworkLevel | None
    credits: Decimal
    learning_hours: int | None
    validity_years: int | None
    evidence_required: str
    standard: Standard | None
    discipline: Discipline | None

    def content(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.outcome_type.pk,
            self.issuer.pk if self.issuer is not None else None,
            self.level.pk if self.level is not None else None,
            self.credits,
            self.learning_hours,
            self.validity_years,
        )


class Lookups:
    """Types, levels and issuers loaded once: an import resolves thousands of rows without a query each."""

    def __init__(self) -> None:
        self.types: dict[str, OutcomeType] = {}
        for outcome_type in OutcomeType.objects.all():
            self.types[outcome_type.code] = outcome_type
            self.types[outcome_type.name] = outcome_type
        self.levels: dict[str, FrameworkLevel] = {}
        for level in FrameworkLevel.objects.all():
            self.levels[str(level.number)] = level
            self.levels[level.name] = level
        self.issuers: dict[str, Issuer] = {issuer.code: issuer for issuer in Issuer.objects.all()}


def _error(field: str, code: CatalogErrorCode, message: Any) -> dict[str, str]:
    return {"field": field, "code": str(code), "message": str(message)}


def _number(value: Any, field: str, errors: list[dict[str, str]], *, maximum: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.append(
            _error(field, CatalogErrorCode.INVALID_NUMBER, _("Not a whole number: {value}").format(value=value))
        )
        return None
    if number < 0 or number > maximum:
        errors.append(
            _error(
                field,
                CatalogErrorCode.INVALID_NUMBER,
                _("Must be between 0 and {maximum}.").format(maximum=maximum),
            )
        )
        return None
    return number


def _credits(value: Any, errors: list[dict[str, str]]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        credits = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(
            _error("credits", CatalogErrorCode.INVALID_NUMBER, _("Not a number: {value}").format(value=value))
        )
        return None
    if not credits.is_finite():
        errors.append(
            _error("credits", CatalogErrorCode.INVALID_NUMBER, _("Not a number: {value}").format(value=value))
        )
        return None
    if credits < 0:
        errors.append(_error("credits", CatalogErrorCode.NEGATIVE_CREDITS, _("Credits cannot be negative.")))
        return None
    if credits > MAX_CREDITS or credits != credits.quantize(Decimal("0.1")):
        errors.append(
            _error(
                "credits", CatalogErrorCode.INVALID_NUMBER, _("Credits have at most one decimal and stay under 1000.")
            )
        )
        return None
    return credits.quantize(Decimal("0.1"))


def resolve(data: ItemData, lookups: Lookups | None = None) -> Resolved:
    """Check ``data`` and look up what it names; ``ValidationFailed`` lists every bad field."""
    lookups = lookups or Lookups()
    errors: list[dict[str, str]] = []
    code = data.code.strip().upper()
    if not code:
        errors.append(_error("code", CatalogErrorCode.REQUIRED, _("The code is required.")))
    elif not _CODE.match(code):
        errors.append(
            _error(
                "code",
                CatalogErrorCode.CODE_FORMAT,
                _("A code has 1 to 32 letters, digits, dots, hyphens or underscores."),
            )
        )
    name = " ".join(data.name.split())
    if not name:
        errors.append(_error("name", CatalogErrorCode.REQUIRED, _("The name is required.")))
    elif len(name) > 200:
        errors.append(_error("name", CatalogErrorCode.TOO_LONG, _("The name has at most 200 characters.")))
    outcome_type = lookups.types.get(data.type.strip())
    if outcome_type is None:
        errors.append(
            _error("type", CatalogErrorCode.UNKNOWN_TYPE, _("Unknown outcome type: {type}").format(type=data.type))
        )
    level = None
    if data.level is not None and str(data.level).strip():
        level = lookups.levels.get(str(data.level).strip())
        if level is None:
            errors.append(
                _error("level", CatalogErrorCode.UNKNOWN_LEVEL, _("Unknown level: {level}").format(level=data.level))
            )
    issuer_code = data.issuer_code.strip().upper()
    issuer_name = " ".join(data.issuer_name.split())
    issuer = lookups.issuers.get(issuer_code)
    if not issuer_code:
        errors.append(_error("issuer_code", CatalogErrorCode.REQUIRED, _("The issuer code is required.")))
    elif issuer is None and not issuer_name:
        errors.append(_error("issuer_name", CatalogErrorCode.REQUIRED, _("A new issuer code needs the issuer's name.")))
    elif issuer is None and (len(issuer_code) > 32 or len(issuer_name) > 128):
        errors.append(_error("issuer_code", CatalogErrorCode.TOO_LONG, _("The issuer code or name is too long.")))
    hours = _number(data.hours, "hours", errors, maximum=MAX_HOURS)
    validity = _number(data.validity_years, "validity_years", errors, maximum=MAX_VALIDITY_YEARS)
    credits = _credits(data.credits, errors)
    if credits is None and outcome_type is not None and not any(e["field"] == "credits" for e in errors):
        credits = rule_credits(outcome_type.code, hours=hours, level=level.number if level else None)
        if credits is None:
            errors.append(
                _error(
                    "credits",
                    CatalogErrorCode.CREDITS_REQUIRED,
                    _("Credits are required: no rule computes them for this type without hours or a level."),
                )
            )
    standard = None
    if data.standard_number.strip():
        standard = Standard.objects.filter(number=data.standard_number.strip()).first()
        if standard is None:
            errors.append(_error("standard", CatalogErrorCode.UNKNOWN_STANDARD, _("Unknown standard number.")))
    discipline = None
    if data.discipline_code.strip():
        discipline = Discipline.objects.filter(code=data.discipline_code.strip()).first()
        if discipline is None:
            errors.append(_error("discipline", CatalogErrorCode.UNKNOWN_DISCIPLINE, _("Unknown discipline code.")))
    if errors or outcome_type is None or credits is None:
        raise ValidationFailed(details=errors)
    return Resolved(
        code=code,
        name=name,
        outcome_type=outcome_type,
        issuer=issuer,
        issuer_code=issuer_code,
        issuer_name=issuer_name,
        level=level,
        credits=credits,
        learning_hours=hours,
        validity_years=validity,
        evidence_required=data.evidence_required.strip(),
        standard=standard,
        discipline=discipline,
    )


def _management_path() -> str:
    centre = org_selectors.management_centre()
    return centre.path if centre is not None else ""


def may_publish(actor: Any) -> bool:
    """The management centre's right: ``catalog.publish`` granted at the management centre."""
    if actor is None:
        return True
    path = _management_path()
    return bool(path) and permissions.can(actor, "catalog.publish", path)


def require_publish(actor: Any) -> None:
    if not may_publish(actor):
        raise Forbidden(code=CatalogErrorCode.CANNOT_PUBLISH)


def require_propose(actor: Any) -> None:
    if actor is not None and not permissions.can(actor, "catalog.propose"):
        raise Forbidden(code=CatalogErrorCode.CANNOT_PROPOSE)


def may_edit_draft(actor: Any, item: CatalogItem) -> bool:
    """A draft belongs to the centre that proposed it: its subtree (with ``catalog.propose``) and
    the management centre may edit it; drafts of the management centre or an import, only the latter."""
    if may_publish(actor):
        return True
    return bool(item.proposed_path) and permissions.can(actor, "catalog.propose", item.proposed_path)


def _proposer(actor: Any) -> Any:
    """The org a proposal is made for: the highest node where the actor may propose."""
    if actor is None or may_publish(actor):
        return None
    paths = permissions.scope_paths(actor, "catalog.propose")
    return OrgUnit.objects.filter(path=min(paths, key=len)).first() if paths else None


def ensure_issuer(resolved: Resolved, *, actor: Any, lookups: Lookups | None = None) -> Resolved:
    """Create the issuer a new code names (an import row, a proposal) and audit it."""
    if resolved.issuer is not None:
        return resolved
    issuer = Issuer.objects.create(code=resolved.issuer_code, name=resolved.issuer_name)
    audit.record(
        actor=actor, action="catalog.issuer_create", obj=issuer, after={"code": issuer.code, "name": issuer.name}
    )
    if lookups is not None:
        lookups.issuers[issuer.code] = issuer
    return replace(resolved, issuer=issuer)


def _row_values(resolved: Resolved) -> dict[str, Any]:
    return {
        "name": resolved.name,
        "outcome_type": resolved.outcome_type,
        "issuer": resolved.issuer,
        "level": resolved.level,
        "credits": resolved.credits,
        "learning_hours": resolved.learning_hours,
        "validity_years": resolved.validity_years,
        "evidence_required": resolved.evidence_required,
        "standard": resolved.standard,
        "discipline": resolved.discipline,
    }


def content_of(item: CatalogItem) -> tuple[Any, ...]:
    return tuple(getattr(item, name) for name in CONTENT_FIELDS)


@transaction.atomic
def create_item(data: ItemData, *, actor: Any, publish: bool, lookups: Lookups | None = None) -> CatalogItem:
    """A new item, version 1: a draft (``catalog.propose``) or published at once (``catalog.publish``)."""
    if publish:
        require_publish(actor)
    else:
        require_propose(actor)
    resolved = resolve(data, lookups)
    if CatalogItem.objects.filter(code=resolved.code).exists():
        raise Conflict(
            _("The code {code} is already in the catalog.").format(code=resolved.code),
            code=CatalogErrorCode.DUPLICATE_CODE,
            details=[_error("code", CatalogErrorCode.DUPLICATE_CODE, _("This code is taken."))],
        )
    resolved = ensure_issuer(resolved, actor=actor, lookups=lookups)
    proposer = _proposer(actor)
    item = CatalogItem.objects.create(
        code=resolved.code,
        version=1,
        status=ItemStatus.PUBLISHED if publish else ItemStatus.DRAFT,
        is_current=True,
        proposed_by=proposer,
        proposed_path=proposer.path if proposer is not None else "",
        **_row_values(resolved),
    )
    audit.record(actor=actor, action="catalog.create", obj=item, after=audit.snapshot(item, ITEM_FIELDS))
    return item


def _current(item: CatalogItem) -> CatalogItem:
    """The row again, locked, refusing an old version or a retired item."""
    fresh = CatalogItem.objects.select_for_update().filter(pk=item.pk).first()
    if fresh is None:
        raise NotFound()
    if fresh.status == ItemStatus.RETIRED:
        raise Conflict(_("This catalog item is retired."), code=CatalogErrorCode.ITEM_RETIRED)
    if not fresh.is_current:
        raise Conflict(_("This is not the current version of the item."), code=CatalogErrorCode.OLD_VERSION)
    return fresh


@transaction.atomic
def update_item(
    item: CatalogItem, data: ItemData, *, actor: Any, lookups: Lookups | None = None, carry_over: bool = False
) -> CatalogItem:
    """Edit a draft in place; editing a published item adds a published version (management centre only).

    ``carry_over`` keeps the evidence, standard and discipline of the old version (an import
    file does not carry them)."""
    item = _current(item)
    if item.status == ItemStatus.PUBLISHED:
        require_publish(actor)
    else:
        require_propose(actor)
        if actor is not None and not may_edit_draft(actor, item):
            raise Forbidden(code=CatalogErrorCode.NOT_YOUR_DRAFT)
    resolved = resolve(replace(data, code=item.code), lookups)
    resolved = ensure_issuer(resolved, actor=actor, lookups=lookups)
    values = _row_values(resolved)
    if carry_over:
        values.update(
            evidence_required=item.evidence_required, standard_id=item.standard_id, discipline_id=item.discipline_id
        )
        del values["standard"], values["discipline"]
    before = audit.snapshot(item, ITEM_FIELDS)
    if _unchanged(item, values):
        return item  # saving the form as it was: no new version, nothing to log
    if item.status == ItemStatus.DRAFT:
        for name, value in values.items():
            setattr(item, name, value)
        item.save()
        audit.record(
            actor=actor, action="catalog.update", obj=item, before=before, after=audit.snapshot(item, ITEM_FIELDS)
        )
        return item
    CatalogItem.objects.filter(pk=item.pk).update(is_current=False)
    new = CatalogItem.objects.create(
        code=item.code,
        version=item.version + 1,
        status=ItemStatus.PUBLISHED,
        is_current=True,
        proposed_by_id=item.proposed_by_id,
        proposed_path=item.proposed_path,
        **values,
    )
    audit.record(
        actor=actor, action="catalog.new_version", obj=new, before=before, after=audit.snapshot(new, ITEM_FIELDS)
    )
    return new


def _unchanged(item: CatalogItem, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        current = getattr(item, name)
        if isinstance(value, models.Model) or (value is None and name in ("standard", "discipline", "level", "issuer")):
            if getattr(item, f"{name}_id") != (value.pk if value is not None else None):
                return False
        elif current != value:
            return False
    return True


@transaction.atomic
def publish_item(item: CatalogItem, *, actor: Any) -> CatalogItem:
    require_publish(actor)
    item = _current(item)
    if item.status != ItemStatus.DRAFT:
        raise Conflict(_("This item is already published."), code=CatalogErrorCode.ALREADY_PUBLISHED)
    before = audit.snapshot(item, ("status",))
    item.status = ItemStatus.PUBLISHED
    item.save(update_fields=["status", "updated_at", "name_initials"])
    audit.record(actor=actor, action="catalog.publish", obj=item, before=before, after={"status": item.status})
    return item


@transaction.atomic
def retire_item(item: CatalogItem, *, actor: Any) -> CatalogItem:
    """No new outcome may use a retired item; outcomes already stored under it keep it."""
    require_publish(actor)
    item = _current(item)
    before = audit.snapshot(item, ("status",))
    item.status = ItemStatus.RETIRED
    item.save(update_fields=["status", "updated_at", "name_initials"])
    audit.record(actor=actor, action="catalog.retire", obj=item, before=before, after={"status": item.status})
    return item


def item_for_new_outcome(code: str) -> CatalogItem:
    """The version a new outcome is stored under: the current published one, else a clear error."""
    item = (
        CatalogItem.objects.filter(code=code.strip().upper(), is_current=True)
        .select_related("outcome_type", "issuer", "level")
        .first()
    )
    if item is None:
        raise NotFound(code=CatalogErrorCode.NOT_FOUND)
    if item.status == ItemStatus.RETIRED:
        raise Conflict(_("This catalog item is retired."), code=CatalogErrorCode.ITEM_RETIRED)
    if item.status != ItemStatus.PUBLISHED:
        raise Conflict(_("This catalog item is not published yet."), code=CatalogErrorCode.NOT_PUBLISHED)
    return item
