"""What the import commands share: the options, the organisation, the row and summary lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.core.errors import ApplicationError
from creditbank.imports.services import ImportOutcome, RowError
from creditbank.orgs import selectors as org_selectors
from creditbank.orgs.models import OrgUnit


class ImportCommand(BaseCommand):
    """``FILE [--org CODE] [--dry-run] [--strict] [--json]``: subclasses add their arguments and
    say how to ``run`` the import; exit codes and the ``--json`` last line are the same for all."""

    org_help = "code of the organisation the learners belong to (default: the management centre)"
    inactive_org_message: Any = ""

    def run(
        self, path: Path, org: OrgUnit, options: dict[str, Any], on_row_error: Callable[[RowError], None]
    ) -> ImportOutcome:
        raise NotImplementedError

    def notes(self, result: ImportOutcome) -> list[str]:
        """Lines printed after the summary (without ``--json``)."""
        return []

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path), returncode=2)
        org = self.org(options["org"])
        as_json = options["json"]
        try:
            result = self.run(path, org, options, self.row_printer(as_json))
        except ApplicationError as refused:
            if as_json:
                self.stdout.write(json.dumps(refused_summary(refused), ensure_ascii=False))
            raise CommandError(
                _("The file was refused: {message}").format(message=refused_text(refused)), returncode=1
            ) from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(self.summary(result, org))
            for line in self.notes(result):
                self.stdout.write(line)
        if result.errors:
            raise CommandError(_("{count} rows had errors.").format(count=result.errors), returncode=1)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="", help=self.org_help)
        parser.add_argument("--dry-run", action="store_true", help="check every row and store nothing")
        parser.add_argument("--strict", action="store_true", help="store nothing when any row is bad")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object on the last line")

    def row_printer(self, as_json: bool) -> Callable[[RowError], None]:
        def show(row_error: RowError) -> None:
            if not as_json:
                self.stdout.write(
                    _("Line {line}: {reasons}").format(line=row_error.line, reasons="；".join(row_error.reasons))
                )

        return show

    def org(self, code: str) -> OrgUnit:
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
            raise CommandError(str(self.inactive_org_message).format(code=org.code), returncode=2)
        return org

    def summary(self, outcome: ImportOutcome, org: OrgUnit) -> str:
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


def refused_summary(refused: ApplicationError) -> dict[str, Any]:
    """The ``--json`` line of a file refused as a whole: nothing read, nothing stored."""
    return {"rows": 0, "imported": 0, "duplicates": 0, "errors": 0, "seconds": 0.0, "error": refused.as_dict()}


def refused_text(refused: ApplicationError) -> str:
    extra = [
        str(item["message"])
        for item in refused.details
        if item.get("message") and item.get("message") != refused.message
    ]
    return " ".join([refused.message, *extra])
