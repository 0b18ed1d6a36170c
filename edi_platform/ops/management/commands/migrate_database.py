"""``manage.py migrate_database --to postgres://…``: move this SQLite installation to
PostgreSQL with proof (counts, sampled hashes, sequences, triggers, invariants) and
rollback. A thin shell over :func:`edi_platform.ops.migrate.database_migrate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from edi_platform.core.commands import PlatformCommand
from edi_platform.core.retry import classify
from edi_platform.ops.errors import OpsRefused
from edi_platform.ops.migrate import database_migrate


class Command(PlatformCommand):
    help = (
        "Copy the current (SQLite) database into an empty PostgreSQL database: schema by "
        "Django's migrations, every table streamed with COPY, sequences reset, then exact "
        "counts, sampled row hashes, triggers and invariants verified before the single "
        "commit. On any failure the target is left as it was and the source is untouched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, metavar="URL", help="postgres://… target")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace everything in a non-empty target (only if the copy succeeds)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check both sides, plan and count only"
        )
        parser.add_argument(
            "--sample-percent",
            type=float,
            default=10.0,
            help="rows hashed on both sides per table, chosen at random (plus the first and "
            "last rows); 100 hashes every row (default 10)",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--report", metavar="PATH", help="also write the JSON report here")
        parser.add_argument(
            "--progress-seconds",
            type=float,
            default=5.0,
            help="seconds between progress lines on stderr (0: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["sample_percent"] <= 100:
            raise CommandError("--sample-percent must be above 0 and at most 100")
        try:
            report = database_migrate(
                target_url=options["to"],
                force=options["force"],
                dry_run=options["dry_run"],
                sample_percent=options["sample_percent"],
                progress=lambda line: print(line, file=sys.stderr, flush=True),
                progress_seconds=options["progress_seconds"],
            )
        except OpsRefused as exc:
            raise CommandError(f"refused: {exc}", returncode=2) from None
        except Exception as exc:  # before anything started: nothing was changed
            found = classify(exc)
            raise CommandError(
                f"cannot start ({found.summary()}); nothing was changed", returncode=2
            ) from None
        data = report.to_dict()
        if options["report"]:
            Path(options["report"]).write_text(json.dumps(data, indent=2), encoding="utf-8")
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
        else:
            if report.dry_run:
                for table in report.tables:
                    self.stdout.write(f"  {table.table}: {table.rows_source:,} rows")
            style = self.style.SUCCESS if report.ok else self.style.ERROR
            for line in report.summary_lines():
                self.stdout.write(style(line))
        if not report.ok:
            raise CommandError("migration rolled back: the target is as it was", returncode=1)
