"""Print the event history of every member under a subscriber id (operator use: PHI)."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from edi_platform.core.commands import PlatformCommand
from eventstore.ledger.selectors import member_history, members_for_subscriber


class Command(PlatformCommand):
    help = "Event history (with file, transaction set, INS position) of a subscriber's members."

    def add_arguments(self, parser):
        parser.add_argument("subscriber_id")
        parser.add_argument("--partner", default="", help="Partner code (narrows the search).")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        ids = members_for_subscriber(options["subscriber_id"], partner_code=options["partner"])
        if not ids:
            raise CommandError("no member found for that subscriber id")
        histories = {i: [e.to_dict() for e in member_history(i)] for i in ids}
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    [{"aggregate_id": i, "events": h} for i, h in histories.items()], indent=2
                )
            )
            return
        for aggregate_id, events in histories.items():
            self.stdout.write(f"member {aggregate_id}")
            for e in events:
                mark = " (reversed)" if e["reversed_by"] else ""
                self.stdout.write(
                    f"  #{e['position']} v{e['version']} {e['event_type']}{mark} "
                    f"occurred {e['occurred_at'][:10]} batch {e['batch_id']} "
                    f"({e['file_name']}) ST02 {e['st02']} INS@{e['ins_position']}"
                )
