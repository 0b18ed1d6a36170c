"""Upsert trading partners from a JSON configuration file."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from edi_platform.core.commands import PlatformCommand
from edi_platform.partners.services import PartnerImportError, partners_import


def load_partner_file(path: Path) -> object:
    """Parse a partner configuration file, turning I/O and JSON errors into CommandError."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None


def import_file(command: BaseCommand, path: Path) -> None:
    """Import one file and report created / updated / unchanged on the command's stdout."""
    try:
        result = partners_import(entries=load_partner_file(path))
    except PartnerImportError as exc:
        for message in exc.messages:
            command.stderr.write(message)
        raise CommandError(
            f"{path}: rejected, nothing was changed ({len(exc.messages)} problem(s))"
        ) from None
    for label in ("created", "updated", "unchanged"):
        for code in getattr(result, label):
            command.stdout.write(f"{label:<9} {code}")
    command.stdout.write(
        command.style.SUCCESS(
            f"{len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged"
        )
    )


class Command(PlatformCommand):
    help = "Upsert trading partners from a JSON file (rejects the whole file on any error)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        import_file(self, path)
