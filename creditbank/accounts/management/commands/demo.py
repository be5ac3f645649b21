"""``creditbank demo [--json]``: load the demo network, staff and learners (idempotent)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from creditbank import demo


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the logins as one JSON object on the last line")
        parser.add_argument("--learners", type=int, default=40, help="how many demo learners (default 40)")

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo.load_demo(learners=options["learners"])
        if options["json"]:
            self.stdout.write(json.dumps(demo.as_json(logins), ensure_ascii=False))
            return
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.role:<14} {login.org:<14} {login.username}")
