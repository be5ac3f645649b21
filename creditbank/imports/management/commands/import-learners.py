"""``creditbank import-learners FILE [--org CODE] [--dry-run] [--strict] [--json]``.

Exit 0 when no row had an error, 1 when any row had one (or the file was refused), 2 on bad
usage. With ``--json`` the last line is ``{"rows", "imported", "duplicates", "errors", "seconds"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext_lazy

from creditbank.imports import services
from creditbank.imports.management.base import ImportCommand
from creditbank.imports.services import ImportOutcome, RowError
from creditbank.orgs.models import OrgUnit


class Command(ImportCommand):
    help = "Import learners from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file as pending accounts."
    inactive_org_message = gettext_lazy(
        "The organisation {code} is not in service; learners cannot be imported into it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV or XLSX file (columns 姓名, 证件类型, 证件号码, 手机号码, 所属地区)")
        super().add_arguments(parser)

    def run(
        self, path: Path, org: OrgUnit, options: dict[str, Any], on_row_error: Callable[[RowError], None]
    ) -> ImportOutcome:
        return services.run_learner_import(
            path,
            org=org,
            filename=path.name,
            strict=options["strict"],
            dry_run=options["dry_run"],
            on_row_error=on_row_error,
        )
