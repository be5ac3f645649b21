"""``creditbank import-outcomes FILE [--org CODE] [--dry-run] [--strict] [--json] [--create-learners]``.

Exit 0 when no row had an error, 1 when any row had one (or the file was refused), 2 on bad
usage. With ``--json`` the last line is ``{"rows", "imported", "duplicates", "errors", "seconds"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.imports import outcomes
from creditbank.imports.management.base import ImportCommand
from creditbank.imports.services import ImportOutcome, RowError
from creditbank.orgs.models import OrgUnit


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

    def run(
        self, path: Path, org: OrgUnit, options: dict[str, Any], on_row_error: Callable[[RowError], None]
    ) -> ImportOutcome:
        return outcomes.run_outcome_import(
            path,
            org=org,
            filename=path.name,
            strict=options["strict"],
            dry_run=options["dry_run"],
            create_learners=options["create_learners"],
            on_row_error=on_row_error,
        )

    def notes(self, result: ImportOutcome) -> list[str]:
        created = getattr(result, "learners_created", 0)
        return [_("{count} accounts opened.").format(count=created)] if created else []
