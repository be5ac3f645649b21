"""What the two conversion import commands share: the import commands' options and exit codes,
with ``updated`` in the summary (as ``import-catalog`` reports it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from creditbank.imports.management.base import ImportCommand
from creditbank.imports.services import ImportOutcome
from creditbank.orgs.models import OrgUnit


class TransferCommand(ImportCommand):
    org_help = "code of the organisation the import runs for: rows outside its subtree are errors (default: the management centre)"
    inactive_org_message: Any = ""

    def summary(self, outcome: ImportOutcome, org: OrgUnit) -> str:
        if outcome.dry_run:
            head = _(
                "Dry run, nothing stored: {rows} rows, {imported} new, {updated} updated, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        elif outcome.strict and outcome.errors:
            head = _(
                "Nothing stored because some rows are bad (--strict): {rows} rows, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        else:
            head = _(
                "{rows} rows: {imported} new, {updated} updated, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        return head.format(
            rows=outcome.rows,
            imported=outcome.imported,
            updated=getattr(outcome, "updated", 0),
            duplicates=outcome.duplicates,
            errors=outcome.errors,
            seconds=outcome.seconds,
        )
