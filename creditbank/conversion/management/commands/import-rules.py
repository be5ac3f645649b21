"""``creditbank import-rules FILE [--org CODE] [--dry-run] [--strict] [--json]``.

One row per rule, published after the publishing checks. Exit 0 when no row had an error, 1
when any row had one (or the file was refused), 2 on bad usage. With ``--json`` the last line is
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
    help = "Import and publish conversion rules, one row per rule, from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file."
    inactive_org_message = gettext_lazy("The organisation {code} is not in service; it cannot import rules.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="the CSV or XLSX file (columns 规则编号, 专业编码, 来源成果编码, 最低成绩, 有效年限, 目标课程编码, 方式; optional 至少满足, 最低等级, 生效日期, 失效日期)",
        )
        super().add_arguments(parser)

    def run(
        self, path: Path, org: OrgUnit, options: dict[str, Any], on_row_error: Callable[[RowError], None]
    ) -> ImportOutcome:
        return transfer.run_rule_import(
            path,
            org=org,
            filename=path.name,
            strict=options["strict"],
            dry_run=options["dry_run"],
            on_row_error=on_row_error,
        )
