"""Import a file of adjudication results: ``manage.py import_remittance FILE [--lines FILE]``.

A thin interface over :func:`outbound.remittance.services.remittance_import`: all or
nothing; a refused file lists one problem per line on stderr and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from edi_platform.core.commands import PlatformCommand
from outbound.remittance.services import RemittanceRefused, remittance_import


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.__class__.__name__})") from None


class Command(PlatformCommand):
    help = (
        "Import adjudication results (JSON, or the CSV pair: claims FILE with --lines FILE) "
        "and stage one 835 per payment; the whole file or nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="JSON results, or the claims CSV")
        parser.add_argument("--lines", type=Path, help="the service lines CSV of the pair")
        parser.add_argument("--format", choices=("json", "csv"), help="default: by the name")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        lines = options["lines"]
        try:
            result = remittance_import(
                data=_read(path),
                lines_data=_read(lines) if lines else None,
                name=path.name,
                file_format=options["format"] or ("csv" if lines else ""),
                acting_user=None,
            )
        except RemittanceRefused as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                f"{path}: refused, nothing was imported ({len(exc.messages)} problem(s))"
            ) from None
        self.stdout.write(self.style.SUCCESS(result.text()))
