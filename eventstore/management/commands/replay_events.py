"""Rebuild a projection from position 1 into shadow tables and swap (admin stays online)."""

from __future__ import annotations

from django.core.management.base import CommandError

from edi_platform.core.commands import PlatformCommand
from eventstore.ledger.services.projections import PROJECTIONS, ProjectionError
from eventstore.ledger.services.replay import ReplayProgress, replay_events


class Command(PlatformCommand):
    help = (
        "Rebuild Member/Enrollment from the event log into shadow tables, then swap them in "
        "one short transaction. Interrupt any time: a re-run resumes (--restart starts over)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--projection", default="members", choices=sorted(PROJECTIONS))
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--restart", action="store_true", help="Discard a partial rebuild.")

    def handle(self, *args, **options):
        def progress(p: ReplayProgress) -> None:
            percent = 100.0 * p.position / p.head if p.head else 100.0
            self.stdout.write(
                f"  position {p.position}/{p.head} ({percent:.1f}%), "
                f"{p.events} events, {p.events_per_second:,.0f} events/s"
            )

        try:
            result = replay_events(
                projection=options["projection"],
                batch_size=options["batch_size"],
                restart=options["restart"],
                progress=progress,
            )
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted: progress so far is kept; run replay_events again to resume"
            ) from None
        except ProjectionError as exc:
            raise CommandError(f"rebuild stopped: {exc}; fix and re-run to resume") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"projection {result.projection} rebuilt and swapped at position "
                f"{result.position}: {result.events} events replayed in {result.seconds:.1f}s "
                f"({result.events_per_second:,.0f} events/s; resumed from {result.resumed_from})"
            )
        )
