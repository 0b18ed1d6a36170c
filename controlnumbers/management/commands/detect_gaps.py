"""Report control-number gaps; exit status 1 when a CRITICAL unexplained gap exists."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from controlnumbers.gaps import DEFAULT_DAYS
from controlnumbers.selectors import gap_report
from edi_platform.core.commands import PlatformCommand


class Command(PlatformCommand):
    help = (
        "Documented (FAILED) and unexplained (missing) control-number gaps per counter and "
        "epoch. Exit status 1 when a CRITICAL unexplained gap exists (for cron and monitors)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partner")
        parser.add_argument("--transaction-type")
        parser.add_argument("--counter-type", choices=["ISA", "GS", "ST"])
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def handle(self, *args, **options) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be >= 1")
        report = gap_report(
            partner_code=options["partner"],
            transaction_type=options["transaction_type"],
            counter_type=options["counter_type"],
            days=options["days"],
        )
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "days": report.days,
                        "gaps": [g.as_dict() for g in report.gaps],
                        "totals": report.totals,
                    },
                    indent=2,
                )
            )
        elif fmt == "csv":
            self.stdout.write(report.to_csv(), ending="")
        else:
            self._table(report)
        if report.has_critical_unexplained:
            raise CommandError("CRITICAL unexplained control-number gap(s) found", returncode=1)

    def _table(self, report) -> None:
        if not report.gaps:
            self.stdout.write(f"No gaps in the last {report.days} day(s).")
            return
        header = (
            f"{'SEVERITY':<9} {'KIND':<12} {'PARTNER':<15} {'TXN':<4} {'CTR':<4} {'EPOCH':>5} "
            f"{'FIRST':>10} {'LAST':>10} {'SIZE':>6}"
        )
        self.stdout.write(header)
        for g in report.gaps:
            self.stdout.write(
                f"{g.severity:<9} {g.kind:<12} {g.partner_code:<15} {g.transaction_type:<4} "
                f"{g.counter_type:<4} {g.epoch:>5} {g.first_number:>10} {g.last_number:>10} "
                f"{g.size:>6}"
            )
        for kind, t in report.totals.items():
            self.stdout.write(
                f"{kind}: {t['gaps']} gap(s), {t['numbers']} number(s) "
                f"(MINOR {t['MINOR']}, MODERATE {t['MODERATE']}, CRITICAL {t['CRITICAL']})"
            )
