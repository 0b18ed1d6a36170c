"""Show projection lag (head position − checkpoint) and open alerts."""

from __future__ import annotations

import json

from edi_platform.core.commands import PlatformCommand
from eventstore.ledger.selectors import projection_lag


class Command(PlatformCommand):
    help = "Projection lag: head position, checkpoint, lag, open LAG/STUCK alerts."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        rows = projection_lag()
        if options["format"] == "json":
            self.stdout.write(json.dumps([r.to_dict() for r in rows], indent=2))
            return
        for r in rows:
            alerts = ", ".join(r.open_alerts) or "none"
            self.stdout.write(
                f"{r.projection}: head {r.head}, checkpoint {r.checkpoint}, lag {r.lag}, "
                f"alerts {alerts}"
            )
