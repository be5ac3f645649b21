"""Our outcomes the other way (互认输出): the certified outcomes a standard maps, in the partner's
file layout and with the partner's codes (the mapping table read in reverse), so that the partner
imports them as we import theirs. A learner's outcomes also exist as signed Open Badges 3.0
credentials (``credentials.services.issue_outcome_credential``), which a partner can verify."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from creditbank.accounts.models import Learner
from creditbank.archive.choices import OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.audit import services as audit
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard
from creditbank.recognition.services import PARTNER_COLUMNS

CHUNK = 2000


def reverse_mapping(standard: RecognitionStandard) -> dict[str, RecognitionMapping]:
    """Our item code → the partner's outcome; where several partner codes map to one item, the
    first by code (a partner reads any of them as the same item)."""
    reverse: dict[str, RecognitionMapping] = {}
    for mapping in RecognitionMapping.objects.filter(standard=standard).order_by("partner_code"):
        reverse.setdefault(mapping.item_code, mapping)
    return reverse


def export_partner_xlsx(
    *, standard: RecognitionStandard, out: Path, learner: Learner | None = None, actor: Any = None
) -> dict[str, Any]:
    """Write the XLSX; one query per 2,000 outcomes (learners joined). Our own outcomes only
    (blank ``source_region``): a partner's outcome is not sent back to another partner."""
    started = time.perf_counter()
    reverse = reverse_mapping(standard)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("成果")
    sheet.append([column.label for column in PARTNER_COLUMNS])
    queryset = Outcome.objects.filter(status=OutcomeStatus.CERTIFIED, source_region="", item_code__in=list(reverse))
    if learner is not None:
        queryset = queryset.filter(learner=learner)
    rows = 0
    last = 0
    while True:
        page = list(
            queryset.filter(pk__gt=last)
            .select_related("learner")
            .only("pk", "item_code", "score", "achieved_on", "certificate_no", "learner__name", "learner__id_number")
            .order_by("pk")[:CHUNK]
        )
        if not page:
            break
        for outcome in page:
            mapping = reverse[outcome.item_code]
            sheet.append(
                [
                    outcome.learner.id_number,
                    outcome.learner.name,
                    mapping.partner_code,
                    mapping.partner_name,
                    outcome.score,
                    outcome.achieved_on.isoformat(),
                    outcome.certificate_no,
                ]
            )
        rows += len(page)
        last = page[-1].pk
    workbook.save(out)
    audit.record(
        actor=actor,
        action="recognition.export",
        obj=standard,
        after={"rows": rows, "learner": learner.account_no if learner else "", "file": out.name},
    )
    return {"rows": rows, "file": str(out), "seconds": round(time.perf_counter() - started, 3)}
