"""Writing standards (认证标准, 转换标准, 互认标准): documents the management centre publishes,
with attachments, and the catalog items each one governs. Every change is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from creditbank.audit import services as audit
from creditbank.catalog.choices import StandardKind
from creditbank.catalog.errors import CatalogErrorCode
from creditbank.catalog.models import Standard, StandardAttachment
from creditbank.catalog.services import require_publish
from creditbank.core import uploads
from creditbank.core.errors import Conflict, ValidationFailed

STANDARD_FIELDS = ("number", "title", "kind", "issuing_org", "scope", "effective_on")
ATTACHMENT_TYPES = {**uploads.PDF, **uploads.IMAGES, **uploads.OFFICE}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class StandardData:
    number: str
    title: str
    kind: str
    issuing_org: str
    scope: str = ""
    body: str = ""
    effective_on: dt.date | None = None


def _clean(data: StandardData) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {
        "number": " ".join(data.number.split()),
        "title": " ".join(data.title.split()),
        "kind": data.kind.strip(),
        "issuing_org": " ".join(data.issuing_org.split()),
        "scope": " ".join(data.scope.split()),
        "body": data.body.strip(),
        "effective_on": data.effective_on,
    }
    limits = {"number": 64, "title": 200, "issuing_org": 128, "scope": 255}
    errors.extend(
        {"field": name, "code": CatalogErrorCode.REQUIRED, "message": str(_("This field is required."))}
        for name in ("number", "title", "issuing_org")
        if not values[name]
    )
    for name, limit in limits.items():
        if len(values[name]) > limit:
            errors.append(
                {
                    "field": name,
                    "code": CatalogErrorCode.TOO_LONG,
                    "message": str(_("At most {limit} characters.").format(limit=limit)),
                }
            )
    if values["kind"] not in StandardKind.values:
        errors.append({"field": "kind", "code": CatalogErrorCode.REQUIRED, "message": str(_("Choose a kind."))})
    if errors:
        raise ValidationFailed(details=errors)
    return values


def _number_taken(number: str, *, exclude: int | None = None) -> None:
    taken = Standard.objects.filter(number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise Conflict(
            _("A standard numbered {number} already exists.").format(number=number),
            code=CatalogErrorCode.STANDARD_NUMBER_TAKEN,
            details=[
                {
                    "field": "number",
                    "code": CatalogErrorCode.STANDARD_NUMBER_TAKEN,
                    "message": str(_("This number is taken.")),
                }
            ],
        )


@transaction.atomic
def create_standard(data: StandardData, *, actor: Any) -> Standard:
    require_publish(actor)
    values = _clean(data)
    _number_taken(values["number"])
    standard = Standard.objects.create(**values)
    audit.record(
        actor=actor, action="catalog.standard_create", obj=standard, after=audit.snapshot(standard, STANDARD_FIELDS)
    )
    return standard


@transaction.atomic
def update_standard(standard: Standard, data: StandardData, *, actor: Any) -> Standard:
    require_publish(actor)
    values = _clean(data)
    standard = Standard.objects.select_for_update().get(pk=standard.pk)
    _number_taken(values["number"], exclude=standard.pk)
    before = audit.snapshot(standard, STANDARD_FIELDS)
    for name, value in values.items():
        setattr(standard, name, value)
    standard.save()
    audit.record(
        actor=actor,
        action="catalog.standard_update",
        obj=standard,
        before=before,
        after=audit.snapshot(standard, STANDARD_FIELDS),
    )
    return standard


def add_attachment(standard: Standard, upload: Any, *, actor: Any) -> StandardAttachment:
    """Store a file with the standard: PDF, image, DOCX or XLSX by content, at most 20 MB. The
    file is written first and taken away again if the row or its audit entry cannot be stored."""
    require_publish(actor)
    checked = uploads.check_upload(upload, allowed=ATTACHMENT_TYPES, max_bytes=ATTACHMENT_MAX_BYTES)
    attachment = StandardAttachment(
        standard=standard, filename=checked.filename, content_type=checked.content_type, size=checked.size
    )
    attachment.file.save(checked.filename, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit.record(
                actor=actor,
                action="catalog.standard_attach",
                obj=standard,
                after={"file": attachment.filename, "size": attachment.size, "type": attachment.content_type},
            )
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def remove_attachment(attachment: StandardAttachment, *, actor: Any) -> None:
    require_publish(actor)
    standard = attachment.standard
    audit.record(actor=actor, action="catalog.standard_detach", obj=standard, before={"file": attachment.filename})
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.delete(save=False))
