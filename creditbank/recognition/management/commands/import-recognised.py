"""``creditbank import-recognised FILE --standard CODE [--learner ACCOUNT_NO] [--org CODE] [--dry-run] [--strict] [--json]``.

Another region's outcomes under a published mutual-recognition standard: a credential (``.json``,
Open Badges 3.0 or CLR 2.0, verified) or the partner's file (``.xlsx``/``.csv``: 证件号码, 姓名,
成果编码, 成果名称, 成绩, 取得日期, 证书编号). Exit 0 when nothing was bad, 1 when a row or an
achievement had an error or did not map (or the credential or file was refused), 2 on bad usage.
With ``--json`` the last line is ``{"rows", "imported", "duplicates", "errors", "seconds", "unmapped", "standard", "region"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.core.errors import ApplicationError
from creditbank.imports.management.base import ImportCommand
from creditbank.imports.services import ImportOutcome, RowError
from creditbank.orgs.models import OrgUnit
from creditbank.recognition import services


class Command(ImportCommand):
    help = (
        "Import another region's learning outcomes under a mutual-recognition standard (credential JSON, XLSX or CSV)."
    )
    org_help = "code of the depositing organisation (default: the management centre)"
    inactive_org_message = gettext_lazy(
        "The organisation {code} is not in service; outcomes cannot be deposited for it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a credential (.json) or the partner's file (.xlsx or .csv)")
        parser.add_argument("--standard", required=True, help="number of the published mutual-recognition standard")
        parser.add_argument(
            "--learner",
            default="",
            help="account number of the learner a credential belongs to (when it has no ID number)",
        )
        super().add_arguments(parser)

    def run(
        self, path: Path, org: OrgUnit, options: dict[str, Any], on_row_error: Callable[[RowError], None]
    ) -> ImportOutcome:
        try:
            standard = services.get_standard(options["standard"])
            learner = services.learner_by_account(options["learner"]) if options["learner"] else None
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from None
        result = services.import_file(
            path,
            standard=standard,
            learner=learner,
            org=org,
            dry_run=options["dry_run"],
            strict=options["strict"],
            on_row_error=on_row_error,
        )
        if path.suffix.lower() in (".json", ".jsonld") and not options["json"]:
            for found in result.outcomes:
                reasons = "；".join(error["message"] for error in found.errors)
                self.stdout.write(
                    _("Achievement {line} ({code} {name}): {status} {reasons}")
                    .format(
                        line=found.line,
                        code=found.partner_code,
                        name=found.partner_name,
                        status=found.status,
                        reasons=reasons,
                    )
                    .strip()
                )
        return result

    def notes(self, result: ImportOutcome) -> list[str]:
        unmapped = getattr(result, "unmapped", 0)
        return (
            [_("{count} outcomes are not in the standard's mapping table.").format(count=unmapped)] if unmapped else []
        )
