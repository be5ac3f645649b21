"""``creditbank import-learners FILE [--org CODE] [--dry-run] [--strict] [--json]``.

Exit 0 when no row had an error, 1 when any row had one (or the file was refused), 2 on bad
usage. With ``--json`` the last line is ``{"rows", "imported", "duplicates", "errors", "seconds"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.core.errors import ApplicationError
from creditbank.imports import services
from creditbank.imports.management.base import ImportCommand, refused_summary, refused_text


class Command(ImportCommand):
    help = "Import learners from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file as pending accounts."
    inactive_org_message = gettext_lazy(
        "The organisation {code} is not in service; learners cannot be imported into it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV or XLSX file (columns 姓名, 证件类型, 证件号码, 手机号码, 所属地区)")
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path), returncode=2)
        org = self.org(options["org"])
        as_json = options["json"]
        try:
            outcome = services.run_learner_import(
                path,
                org=org,
                filename=path.name,
                strict=options["strict"],
                dry_run=options["dry_run"],
                on_row_error=self.row_printer(as_json),
            )
        except ApplicationError as refused:
            if as_json:
                self.stdout.write(json.dumps(refused_summary(refused), ensure_ascii=False))
            raise CommandError(
                _("The file was refused: {message}").format(message=refused_text(refused)), returncode=1
            ) from None

        if as_json:
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(self.summary(outcome, org))
        if outcome.errors:
            raise CommandError(_("{count} rows had errors.").format(count=outcome.errors), returncode=1)
