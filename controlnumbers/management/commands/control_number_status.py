"""Print every counter's position, utilization level and recent activity."""

from __future__ import annotations

import json

from controlnumbers.selectors import counter_status
from edi_platform.core.commands import PlatformCommand


class Command(PlatformCommand):
    help = (
        "Per counter: current value, % of max, remaining, last increment, allocations in the "
        "last hour and level (WARNING >= CONTROL_NUMBER_WARNING_PERCENT, CRITICAL >= "
        "CONTROL_NUMBER_CRITICAL_PERCENT)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partner")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        rows = counter_status(partner_code=options["partner"])
        if options["format"] == "json":
            self.stdout.write(json.dumps([r.as_dict() for r in rows], indent=2))
            return
        self.stdout.write(
            f"{'PARTNER':<15} {'TXN':<4} {'CTR':<4} {'EPOCH':>5} {'CURRENT':>11} {'USED %':>8} "
            f"{'REMAINING':>11} {'LAST HOUR':>9} {'LEVEL':<8} LAST INCREMENT"
        )
        for r in rows:
            last = r.last_increment_at.isoformat(timespec="seconds") if r.last_increment_at else "-"
            self.stdout.write(
                f"{r.partner_code:<15} {r.transaction_type:<4} {r.counter_type:<4} {r.epoch:>5} "
                f"{r.current_value:>11} {r.percent:>8.3f} {r.remaining:>11} "
                f"{r.allocations_last_hour:>9} {r.level:<8} {last}"
            )
