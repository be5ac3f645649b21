"""The one check for uploaded documents (evidence, standard attachments): type from the content,
never from the name, and a size limit.

The content is sniffed with ``filetype`` (magic numbers; OOXML told apart by its parts), and the
name's extension must agree with it, so that ``report.pdf`` holding an executable, or a PNG
renamed ``.pdf``, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filetype  # type: ignore[import-untyped]
from django.utils.translation import gettext_lazy as _

from creditbank.core.errors import ValidationFailed

# MIME type → the extensions a file of that type may carry.
PDF = {"application/pdf": (".pdf",)}
IMAGES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}
OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}
SNIFF_BYTES = 8192


class UploadErrorCode:
    TYPE = "upload_type_not_allowed"
    TOO_LARGE = "upload_too_large"
    EMPTY = "upload_empty"


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    filename: str
    content_type: str
    size: int


def check_upload(
    upload: Any, *, allowed: dict[str, tuple[str, ...]], max_bytes: int, field: str = "file"
) -> CheckedUpload:
    """Accept ``upload`` (a Django ``UploadedFile`` or any file object with ``name`` and ``size``)
    when its content is one of ``allowed`` and its extension matches; else ``ValidationFailed``."""
    filename = Path(getattr(upload, "name", "") or "").name[:255]
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise ValidationFailed.for_field(field, _("The file is empty."), code=UploadErrorCode.EMPTY)
    if size > max_bytes:
        raise ValidationFailed.for_field(
            field,
            _("The file is larger than {size} MB.").format(size=max(1, max_bytes // (1024 * 1024))),
            code=UploadErrorCode.TOO_LARGE,
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head) if head else None
    mime = kind.mime if kind is not None else ""
    if head[:4] == b"PK\x03\x04" and mime not in OFFICE:
        mime = _office_mime(upload)
    extension = Path(filename).suffix.lower()
    if mime not in allowed or extension not in allowed[mime]:
        names = sorted({ext.lstrip(".").upper() for exts in allowed.values() for ext in exts})
        raise ValidationFailed.for_field(
            field,
            _("The file must be one of: {types}; its content decides, not its name.").format(types=", ".join(names)),
            code=UploadErrorCode.TYPE,
        )
    return CheckedUpload(filename=filename, content_type=mime, size=size)


def _office_mime(upload: Any) -> str:
    """``filetype`` reads OOXML from the first bytes only; look at the parts for the real answer."""
    import zipfile

    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return ""
    finally:
        upload.seek(0)
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return ""
