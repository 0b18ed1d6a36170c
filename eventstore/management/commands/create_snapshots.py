"""Snapshot member aggregates on demand."""

from __future__ import annotations

from edi_platform.core.commands import PlatformCommand
from eventstore.ledger.services.snapshots import snapshots_create


class Command(PlatformCommand):
    help = "Snapshot every member aggregate with new events since its last snapshot."

    def add_arguments(self, parser):
        parser.add_argument(
            "--aggregate",
            action="append",
            default=None,
            help="Only this aggregate id (repeatable).",
        )
        parser.add_argument("--min-new-events", type=int, default=1)

    def handle(self, *args, **options):
        written = snapshots_create(
            aggregate_ids=options["aggregate"], min_new_events=options["min_new_events"]
        )
        self.stdout.write(self.style.SUCCESS(f"{written} snapshot(s) written"))
