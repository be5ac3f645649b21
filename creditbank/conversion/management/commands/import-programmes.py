"""``creditbank import-programmes FILE [--org CODE] [--dry-run] [--strict] [--json]``.

One row per course. Exit 0 when no row had an error, 1 when any row had one (or the file was
refused), 2 on bad usage. With ``--json`` the last line is
``{"rows", "imported", "updated", "duplicates", "errors", "seconds"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext_lazy

from creditbank.conversion import transfer
from creditbank.conversion.management.base import TransferCommand
from creditbank.imports.services import ImportOutcome, RowError
from creditbank.orgs.models import OrgUnit


class Command(TransferCommand):
    help = "Import degree-upgrade programmes, one row per course, from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file."
    inactive_org_message = gettext_lazy("The organisation {code} is not in service; it cannot import programmes.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="the CSV or XLSX file (columns 专业编码, 专业名称, 层次, 院校编码, 总学分, 转换上限, 课程编码, 课程名称, 学分, 课程组, 组最低学分; optional 成果有效年限)",
        )
        super().add_arguments(parser)

    def run(
        self, path: Path, org: OrgUnit, options: dict[str, Any], on_row_error: Callable[[RowError], None]
    ) -> ImportOutcome:
        return transfer.run_programme_import(
            path,
            org=org,
            filename=path.name,
            strict=options["strict"],
            dry_run=options["dry_run"],
            on_row_error=on_row_error,
        )
