"""``creditbank import-outcomes FILE [--org CODE] [--dry-run] [--strict] [--json] [--create-learners]``.

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
from creditbank.imports import outcomes
from creditbank.imports.management.base import ImportCommand, refused_summary, refused_text


class Command(ImportCommand):
    help = "Deposit learning outcomes from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file."
    org_help = "code of the depositing organisation (default: the management centre)"
    inactive_org_message = gettext_lazy(
        "The organisation {code} is not in service; outcomes cannot be deposited for it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="the CSV or XLSX file (columns 证件号码, 姓名, 成果编码, 成绩, 取得日期, 证书编号, 学时, 学分)"
        )
        super().add_arguments(parser)
        parser.add_argument(
            "--create-learners",
            action="store_true",
            help="open a pending account at --org for a person not found (optional columns 证件类型, 手机号码)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path), returncode=2)
        org = self.org(options["org"])
        as_json = options["json"]
        try:
            result = outcomes.run_outcome_import(
                path,
                org=org,
                filename=path.name,
                strict=options["strict"],
                dry_run=options["dry_run"],
                create_learners=options["create_learners"],
                on_row_error=self.row_printer(as_json),
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
            self.stdout.write(self.summary(result, org))
            if result.learners_created:
                self.stdout.write(_("{count} accounts opened.").format(count=result.learners_created))
        if result.errors:
            raise CommandError(_("{count} rows had errors.").format(count=result.errors), returncode=1)
