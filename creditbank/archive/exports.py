"""The archive as an Excel file, for the learner (and staff in scope) to download."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from creditbank.archive.models import Outcome

_FORMULA_START = "=+-@"


def _headers() -> list[str]:
    return [
        _("Item code"),
        _("Outcome"),
        _("Outcome type"),
        _("Issuer"),
        _("Framework level"),
        _("Credits"),
        _("Learning hours"),
        _("Score"),
        _("Date achieved"),
        _("Certificate number"),
        _("Source"),
        _("Status"),
        _("Deposited by"),
    ]


def archive_xlsx(outcomes: Iterable[Outcome], *, title: str) -> bytes:
    """One row per outcome. Every text cell is written as text, so that a name starting with
    ``=`` is never run as a formula (CSV/Excel injection)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    header = []
    for label in _headers():
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def text(value: Any) -> Any:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"
        return cell

    for outcome in outcomes:
        item = outcome.item
        sheet.append(
            [
                text(outcome.item_code),
                text(item.name),
                text(item.outcome_type.name),
                text(item.issuer.name),
                item.level.number if item.level is not None else None,
                float(outcome.credits),
                outcome.hours,
                text(outcome.score),
                outcome.achieved_on,
                text(outcome.certificate_no),
                text(outcome.get_source_display()),
                text(outcome.get_status_display()),
                text(outcome.org.name),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
