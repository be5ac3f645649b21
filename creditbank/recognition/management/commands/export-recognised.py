"""``creditbank export-recognised --standard CODE --out FILE [--learner ACCOUNT_NO] [--json]``.

Our certified outcomes that a mutual-recognition standard maps, in the partner's layout (证件号码,
姓名, 成果编码, 成果名称, 成绩, 取得日期, 证书编号) with the partner's codes (the mapping table read in
reverse). The file carries ID numbers in clear, for the partner's matching: the export is in the
operation log. Exit 0 on success, 2 on bad usage. With ``--json`` the last line is ``{"rows", "file", "seconds"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.core.errors import ApplicationError
from creditbank.recognition import exports, services


class Command(BaseCommand):
    help = "Export our certified outcomes in a partner's layout, under a mutual-recognition standard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--standard", required=True, help="number of the published mutual-recognition standard")
        parser.add_argument("--out", required=True, help="the XLSX file to write")
        parser.add_argument("--learner", default="", help="only this learner's outcomes (account number)")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(_("No such directory: {path}").format(path=out.parent), returncode=2)
        try:
            standard = services.get_standard(options["standard"])
            learner = services.learner_by_account(options["learner"]) if options["learner"] else None
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from None
        result = exports.export_partner_xlsx(standard=standard, out=out, learner=learner, actor=None)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(
                _("{rows} outcomes written to {file} ({seconds:.2f} s).").format(
                    rows=result["rows"], file=result["file"], seconds=result["seconds"]
                )
            )
