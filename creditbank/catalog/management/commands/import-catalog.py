"""``creditbank import-catalog FILE [--dry-run] [--draft] [--strict] [--json]``.

Exit 0 when no row had an error, 1 when any row had one (or the file was refused), 2 on bad
usage. With ``--json`` the last line is ``{"rows", "imported", "updated", "duplicates", "errors", "seconds"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.catalog import transfer
from creditbank.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Import learning-outcome catalog items from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="the CSV or XLSX file (columns 成果编码, 成果名称, 成果类型, 颁发机构编码, 颁发机构名称, 等级, 学分, 学时, 有效期(年))",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row and store nothing")
        parser.add_argument("--draft", action="store_true", help="store new items as drafts instead of publishing them")
        parser.add_argument("--strict", action="store_true", help="store nothing when any row is bad")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path), returncode=2)
        as_json = options["json"]

        def show(row_error: transfer.RowError) -> None:
            if not as_json:
                self.stdout.write(
                    _("Line {line}: {reasons}").format(line=row_error.line, reasons="；".join(row_error.reasons))
                )

        try:
            outcome = transfer.run_catalog_import(
                path,
                filename=path.name,
                draft=options["draft"],
                strict=options["strict"],
                dry_run=options["dry_run"],
                on_row_error=show,
            )
        except ApplicationError as refused:
            if as_json:
                empty = transfer.ImportOutcome().as_json()
                self.stdout.write(json.dumps({**empty, "seconds": 0.0, "error": refused.as_dict()}, ensure_ascii=False))
            extra = [str(d["message"]) for d in refused.details if d.get("message") and d["message"] != refused.message]
            raise CommandError(
                _("The file was refused: {message}").format(message=" ".join([refused.message, *extra])), returncode=1
            ) from None

        if as_json:
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(self._summary(outcome))
        if outcome.errors:
            raise CommandError(_("{count} rows had errors.").format(count=outcome.errors), returncode=1)

    def _summary(self, outcome: transfer.ImportOutcome) -> str:
        if outcome.dry_run:
            head = _(
                "Dry run, nothing stored: {rows} rows, {imported} new items, {updated} new versions, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        elif outcome.strict and outcome.errors:
            head = _(
                "Nothing stored because some rows are bad (--strict): {rows} rows, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        else:
            head = _(
                "{rows} rows: {imported} new items, {updated} new versions, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        return head.format(
            rows=outcome.rows,
            imported=outcome.imported,
            updated=outcome.updated,
            duplicates=outcome.duplicates,
            errors=outcome.errors,
            seconds=outcome.seconds,
        )
