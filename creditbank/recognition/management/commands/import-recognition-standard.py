"""``creditbank import-recognition-standard FILE [--dry-run] [--draft] [--strict] [--json]``.

A mutual-recognition standard and its mapping table (columns 标准编号, 标准名称, 对方地区, 对方机构,
对方成果编码, 对方成果名称, 本方成果编码, 备注; optional 学分系数, 认定学分). Exit 0 when no row had an
error, 1 when any row had one (or the file was refused), 2 on bad usage. With ``--json`` the last
line is ``{"rows", "imported", "duplicates", "errors", "seconds", "updated", "standards"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.core.errors import ApplicationError
from creditbank.imports.management.base import refused_summary, refused_text
from creditbank.imports.services import RowError
from creditbank.recognition import standards


class Command(BaseCommand):
    help = "Import mutual-recognition standards and their mapping tables from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="the CSV or XLSX file (columns 标准编号, 标准名称, 对方地区, 对方机构, 对方成果编码, 对方成果名称, 本方成果编码, 备注)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row and store nothing")
        parser.add_argument(
            "--draft", action="store_true", help="store new standards as drafts instead of publishing them"
        )
        parser.add_argument("--strict", action="store_true", help="store nothing when any row is bad")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path), returncode=2)
        as_json = options["json"]

        def show(row_error: RowError) -> None:
            if not as_json:
                self.stdout.write(
                    _("Line {line}: {reasons}").format(line=row_error.line, reasons="；".join(row_error.reasons))
                )

        try:
            result = standards.run_standard_import(
                path,
                filename=path.name,
                dry_run=options["dry_run"],
                strict=options["strict"],
                draft=options["draft"],
                on_row_error=show,
            )
        except ApplicationError as refused:
            if as_json:
                self.stdout.write(json.dumps(refused_summary(refused), ensure_ascii=False))
            raise CommandError(
                _("The file was refused: {message}").format(message=refused_text(refused)), returncode=1
            ) from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            if result.dry_run:
                head = _(
                    "Dry run, nothing stored: {rows} rows, {imported} new mappings, {updated} changed, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
                )
            elif result.strict and result.errors:
                head = _(
                    "Nothing stored because some rows are bad (--strict): {rows} rows, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
                )
            else:
                head = _(
                    "{rows} rows: {imported} new mappings, {updated} changed, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
                )
            imported = result.valid if result.dry_run else result.imported
            self.stdout.write(
                head.format(
                    rows=result.rows,
                    imported=imported,
                    updated=result.updated,
                    duplicates=result.duplicates,
                    errors=result.errors,
                    seconds=result.seconds,
                )
            )
        if result.errors:
            raise CommandError(_("{count} rows had errors.").format(count=result.errors), returncode=1)
