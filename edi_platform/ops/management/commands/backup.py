"""``manage.py backup [--to DIR] [--with-files]``: a consistent snapshot plus a manifest.
A thin shell over :func:`edi_platform.ops.backup.database_backup`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from edi_platform.core.commands import PlatformCommand
from edi_platform.core.retry import classify
from edi_platform.ops.backup import database_backup
from edi_platform.ops.errors import OpsRefused


class Command(PlatformCommand):
    help = (
        "Back up the current database (PostgreSQL: pg_dump custom format of one snapshot; "
        "SQLite: the online backup API) with a manifest of row counts, row digests, schema "
        "version, time and platform version; --with-files adds the inbound/outbound storage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", metavar="DIR", help="backup root (default BACKUP_DIR)")
        parser.add_argument(
            "--with-files", action="store_true", help="also archive the storage roots"
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--progress-seconds", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = database_backup(
                to_dir=Path(options["to"]) if options["to"] else None,
                with_files=options["with_files"],
                progress=lambda line: print(line, file=sys.stderr, flush=True),
                progress_seconds=options["progress_seconds"],
            )
        except OpsRefused as exc:
            raise CommandError(f"refused: {exc}", returncode=2) from None
        except Exception as exc:
            found = classify(exc)
            raise CommandError(
                f"backup failed ({found.summary()}); the database was only read, "
                "a partial backup directory may remain",
                returncode=1,
            ) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps({"path": str(result.path), **result.manifest}, indent=2))
        else:
            for line in result.summary_lines():
                self.stdout.write(self.style.SUCCESS(line))
