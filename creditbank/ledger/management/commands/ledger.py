"""``creditbank ledger checkpoint|verify|schedule|backfill [--json]``: the ledger's operator commands.

- ``checkpoint [--force]`` signs a checkpoint of the tree (none when the tree has not grown,
  unless ``--force``) and publishes it to the anchors (``CREDITBANK_LEDGER_ANCHORS``).
- ``verify [--limit N]`` recomputes the ledger from the stored records and reports every record
  altered, deleted or inserted behind its back, and every tile, head or checkpoint that disagrees.
- ``schedule [--every SECONDS]`` starts the worker's periodic checkpoint (a task that enqueues
  itself again; a new schedule replaces the old one).
- ``backfill`` gives records stored before the ledger existed their opening leaf (once, when upgrading).

Exit 0 when all is well, 1 when verify found problems (or an anchor refused a checkpoint),
2 on bad usage. With ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from creditbank.ledger import selectors, services, verification


class Command(BaseCommand):
    help = "The tamper-evident ledger: checkpoint, verify, schedule, backfill."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        checkpoint = actions.add_parser("checkpoint", help="sign a checkpoint of the tree and publish it")
        checkpoint.add_argument("--force", action="store_true", help="sign even when the tree has not grown")
        verify = actions.add_parser("verify", help="recompute the ledger from the records and report differences")
        verify.add_argument("--limit", type=int, default=1000, help="list at most this many problems (all are counted)")
        schedule = actions.add_parser("schedule", help="start the worker's periodic checkpoint")
        schedule.add_argument(
            "--every",
            type=int,
            default=None,
            help="seconds between checkpoints (default CREDITBANK_LEDGER_CHECKPOINT_SECONDS)",
        )
        actions.add_parser("backfill", help="leaves for records stored before the ledger existed")
        for sub in (checkpoint, verify, schedule, actions.choices["backfill"]):
            sub.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        getattr(self, "_" + action)(options)

    def _emit(self, options: dict[str, Any], payload: dict[str, Any], lines: list[str]) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, default=str))
        else:
            for line in lines:
                self.stdout.write(line)

    def _checkpoint(self, options: dict[str, Any]) -> None:
        checkpoint = services.make_checkpoint(force=options["force"])
        receipts = services.publish_checkpoint(checkpoint)
        failed = [receipt for receipt in receipts if not receipt.is_success]
        payload = {
            **selectors.checkpoint_info(checkpoint),
            "verifier_key": selectors.verifier_key(),
            "anchors": [
                {"anchor": receipt.anchor, "ok": receipt.is_success, "detail": receipt.detail} for receipt in receipts
            ],
        }
        lines = [
            _("Checkpoint of {size} leaves, root {root}.").format(
                size=checkpoint.size, root=bytes(checkpoint.root_hash).hex()
            ),
            checkpoint.note.rstrip("\n"),
            *[("✔ " if receipt.is_success else "✘ ") + f"{receipt.anchor}: {receipt.detail}" for receipt in receipts],
        ]
        self._emit(options, payload, lines)
        if failed:
            raise CommandError(_("An anchor did not take the checkpoint."), returncode=1)

    def _verify(self, options: dict[str, Any]) -> None:
        if options["limit"] < 0:
            raise CommandError(_("--limit cannot be negative."), returncode=2)
        report = verification.verify_ledger(limit=options["limit"])
        lines = [
            _("{leaves} leaves checked, {records} records, {checkpoints} checkpoints, in {seconds:.1f} s.").format(
                leaves=report.leaves,
                records=sum(report.records.values()),
                checkpoints=report.checkpoints,
                seconds=report.seconds,
            )
        ]
        if report.ok:
            lines.append("✔ " + _("The ledger and the records agree."))
        else:
            for kind, count in sorted(report.counts.items()):
                lines.append("✘ " + _("{kind}: {count}").format(kind=kind, count=count))
            for problem in report.problems:
                where = f"{problem.record_type}:{problem.record_id}" if problem.record_type else ""
                at = f"#{problem.index}" if problem.index is not None else ""
                lines.append(f"  {problem.kind} {where} {at} {problem.detail}".replace("   ", " "))
        self._emit(options, report.as_json(), lines)
        if not report.ok:
            raise CommandError(_("The ledger verification found problems."), returncode=1)

    def _schedule(self, options: dict[str, Any]) -> None:
        every = options["every"] if options["every"] is not None else services.checkpoint_interval()
        if every < 60:
            raise CommandError(_("Checkpoints are made at most once a minute (--every 60 or more)."), returncode=2)
        token = services.schedule_checkpoints(every=every)
        self._emit(
            options,
            {"every": every, "token": token},
            [_("The worker signs a checkpoint every {every} seconds.").format(every=every)],
        )

    def _backfill(self, options: dict[str, Any]) -> None:
        counts = services.backfill()
        self._emit(
            options,
            {"appended": counts},
            [
                _("{count} leaves appended for {type} records.").format(count=count, type=name)
                for name, count in counts.items()
            ],
        )
