"""``creditbank credential verify FILE [--json]``: the verdict on a credential file.

Exit 0 when the credential is valid, 1 when it is not (the verdict says why), 2 on bad usage or
a file that cannot be read. With ``--json`` the last line is the verdict as one JSON object
(the shape of ``POST /api/v1/credentials/verify``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.credentials import services
from creditbank.credentials.verification import MAX_DOCUMENT_BYTES


class Command(BaseCommand):
    help = "Verifiable credentials: verify a credential file (W3C VC 2.0, eddsa-jcs-2022)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser("verify", help="verify a credential file and print the verdict")
        verify.add_argument("file", help="the credential's JSON file ('-' for standard input)")
        verify.add_argument("--json", action="store_true", help="print the verdict as one JSON object on the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = self._read(options["file"])
        verdict = services.verify(raw)
        if options["json"]:
            self.stdout.write(json.dumps(verdict.to_dict(), ensure_ascii=False))
        else:
            self._show(verdict)
        if not verdict.valid:
            raise CommandError(verdict.message, returncode=1)

    def _read(self, name: str) -> bytes:
        if name == "-":
            return self.stdin_bytes()
        path = Path(name)
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise CommandError(_("The file is larger than 2 MB: {path}").format(path=path), returncode=2)
            return path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc), returncode=2
            ) from exc

    def stdin_bytes(self) -> bytes:
        import sys

        return sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)

    def _show(self, verdict: Any) -> None:
        self.stdout.write(("✔ " if verdict.valid else "✘ ") + verdict.message)
        if verdict.issuer:
            self.stdout.write(
                _("Issuer: {name} {id}").format(name=verdict.issuer.get("name", ""), id=verdict.issuer["id"])
            )
        if verdict.learner:
            self.stdout.write(_("Learner: {name}").format(name=verdict.learner.get("name") or "—"))
        self.stdout.write(
            _("Signature: {signature} · status: {status}").format(signature=verdict.signature, status=verdict.status)
        )
        for outcome in verdict.outcomes:
            self.stdout.write(
                _("  {name} · {credits} credits · {level} · {date}").format(
                    name=outcome.get("name") or "—",
                    credits=outcome.get("credits") or "—",
                    level=outcome.get("level") or "—",
                    date=outcome.get("achieved_on") or "—",
                )
            )
        for check in verdict.checks:
            if check.ok is not True and check.message:
                self.stdout.write(f"  - {check.label}: {check.message}")
