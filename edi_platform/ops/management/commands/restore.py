"""``manage.py restore BACKUP --to URL [--with-files]``: restore into an empty database and
verify it against the manifest. A thin shell over
:func:`edi_platform.ops.restore.database_restore`."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from edi_platform.core.commands import PlatformCommand
from edi_platform.core.retry import classify
from edi_platform.ops.errors import OpsRefused
from edi_platform.ops.restore import database_restore


class Command(PlatformCommand):
    help = (
        "Restore a backup (a directory, or a name from list_backups) into an EMPTY database "
        "of the same engine, then verify the row count and row digests of every table "
        "against the manifest. A damaged or newer-schema backup is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", metavar="BACKUP")
        parser.add_argument("--to", required=True, metavar="URL", help="the empty database")
        parser.add_argument(
            "--with-files",
            action="store_true",
            help="also extract the storage archives (existing files are never overwritten)",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--progress-seconds", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = database_restore(
                backup=options["backup"],
                target_url=options["to"],
                with_files=options["with_files"],
                progress=lambda line: print(line, file=sys.stderr, flush=True),
                progress_seconds=options["progress_seconds"],
            )
        except OpsRefused as exc:
            raise CommandError(f"refused: {exc}", returncode=2) from None
        except Exception as exc:
            found = classify(exc)
            raise CommandError(f"restore failed ({found.summary()})", returncode=1) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
        else:
            for line in report.summary_lines():
                self.stdout.write(self.style.SUCCESS(line))
