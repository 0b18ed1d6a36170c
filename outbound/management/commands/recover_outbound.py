"""Finish or rebuild files left ASSEMBLING by crashed workers (same service as the task)."""

from __future__ import annotations

from datetime import timedelta

from edi_platform.core.commands import PlatformCommand
from outbound.services.recovery import outbound_recover


class Command(PlatformCommand):
    help = "Rebuild stale ASSEMBLING files with their original control numbers."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=300,
            help="Seconds without progress after which work is presumed dead (default 300).",
        )

    def handle(self, *args, **options) -> None:
        result = outbound_recover(stale_after=timedelta(seconds=options["older_than"]))
        self.stdout.write(result.summary())
