"""``creditbank import-learners FILE [--org CODE] [--dry-run] [--strict] [--json]``.

Exit 0 when no row had an error, 1 when any row had one (or the file was refused), 2 on bad
usage. With ``--json`` the last line is ``{"rows", "imported", "duplicates", "errors", "seconds"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.core.errors import ApplicationError
from creditbank.imports import services
from creditbank.orgs import selectors as org_selectors
from creditbank.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Import learners from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file as pending accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV or XLSX file (columns 姓名, 证件类型, 证件号码, 手机号码, 所属地区)")
        parser.add_argument(
            "--org", default="", help="code of the organisation the learners belong to (default: the management centre)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row and store nothing")
        parser.add_argument("--strict", action="store_true", help="store nothing when any row is bad")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path), returncode=2)
        org = self._org(options["org"])
        as_json = options["json"]

        def show(row_error: services.RowError) -> None:
            if not as_json:
                self.stdout.write(
                    _("Line {line}: {reasons}").format(line=row_error.line, reasons="；".join(row_error.reasons))
                )

        try:
            outcome = services.run_learner_import(
                path,
                org=org,
                filename=path.name,
                strict=options["strict"],
                dry_run=options["dry_run"],
                on_row_error=show,
            )
        except ApplicationError as refused:
            if as_json:
                summary = {
                    "rows": 0,
                    "imported": 0,
                    "duplicates": 0,
                    "errors": 0,
                    "seconds": 0.0,
                    "error": refused.as_dict(),
                }
                self.stdout.write(json.dumps(summary, ensure_ascii=False))
            raise CommandError(
                _("The file was refused: {message}").format(message=_refused_text(refused)), returncode=1
            ) from None

        if as_json:
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(self._summary(outcome, org))
        if outcome.errors:
            raise CommandError(_("{count} rows had errors.").format(count=outcome.errors), returncode=1)

    def _org(self, code: str) -> OrgUnit:
        if not code:
            org = org_selectors.management_centre()
            if org is None:
                raise CommandError(
                    _("There is no management centre yet; run “creditbank demo” or create one, or pass --org."),
                    returncode=2,
                )
            return org
        org = OrgUnit.objects.filter(code=code.strip().upper()).first()
        if org is None:
            raise CommandError(_("Unknown organisation code: {code}").format(code=code), returncode=2)
        if org.status != "active":
            raise CommandError(
                _("The organisation {code} is not in service; learners cannot be imported into it.").format(
                    code=org.code
                ),
                returncode=2,
            )
        return org

    def _summary(self, outcome: services.ImportOutcome, org: OrgUnit) -> str:
        if outcome.dry_run:
            head = _(
                "Dry run, nothing stored: {rows} rows, {imported} would be imported into {org}, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        elif outcome.strict and outcome.errors:
            head = _(
                "Nothing stored because some rows are bad (--strict): {rows} rows, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        else:
            head = _(
                "{rows} rows: {imported} imported into {org}, {duplicates} duplicates, {errors} with errors ({seconds:.2f} s)."
            )
        return head.format(
            rows=outcome.rows,
            imported=outcome.imported,
            org=org.name,
            duplicates=outcome.duplicates,
            errors=outcome.errors,
            seconds=outcome.seconds,
        )


def _refused_text(refused: ApplicationError) -> str:
    extra = [
        str(item["message"])
        for item in refused.details
        if item.get("message") and item.get("message") != refused.message
    ]
    return " ".join([refused.message, *extra])
