"""``manage.py list_backups [--dir DIR] [--format text|json]``: the backups and their state.
A thin shell over :func:`edi_platform.ops.backup.backups_list`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from edi_platform.core.commands import PlatformCommand
from edi_platform.ops.backup import backup_root, backups_list


class Command(PlatformCommand):
    help = "List backups (newest first): time, engine, platform version, schema, rows, size."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", metavar="DIR", help="backup root (default BACKUP_DIR)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"]) if options["dir"] else backup_root()
        found = backups_list(directory=directory)
        if options["format"] == "json":
            self.stdout.write(json.dumps([b.to_dict() for b in found], indent=2))
            return
        if not found:
            self.stdout.write(f"no backups in {directory}")
            return
        for item in found:
            if item.status != "ok":
                self.stdout.write(self.style.ERROR(f"{item.name}  {item.status}: {item.problem}"))
                continue
            self.stdout.write(
                f"{item.name}  {item.created_at}  {item.engine:<10}  platform "
                f"{item.platform_version}  schema {item.schema}  {item.tables} tables  "
                f"{item.rows:,} rows  {item.bytes / 1e6:,.1f} MB"
            )
