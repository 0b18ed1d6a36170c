"""``manage.py ingest PATH... [--format text|json] [--workers N]``: register and process files."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from edi_platform.core.commands import PlatformCommand
from eventstore.inbound.services.ingest import IngestResult
from eventstore.inbound.services.ingest_many import ingest_paths
from eventstore.models import BatchChannel


def expand_paths(patterns: list[str]) -> tuple[list[Path], list[str]]:
    """Files named by ``patterns`` (files, directories walked recursively, globs), in order.

    Returns (files, patterns that matched nothing). Hidden files are skipped in directories.
    """
    files: list[Path] = []
    missing: list[str] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for pattern in patterns:
        path = Path(pattern)
        if path.is_file():
            add(path)
            continue
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(p.startswith(".") for p in child.parts[-1:]):
                    add(child)
            continue
        matches = sorted(glob.glob(pattern, recursive=True))
        found = [Path(m) for m in matches if Path(m).is_file()]
        if not found:
            missing.append(pattern)
        for match in found:
            add(match)
    return files, missing


class Command(PlatformCommand):
    help = (
        "Ingest inbound X12 files: register each file once (sha256), validate it, stage its "
        "TA1/999 and route its transaction sets. PATH may be a file, a directory or a glob. "
        "Exit status 1 when any file was not accepted (rejected, duplicate, unknown partner)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help=(
                "ingest in N worker processes (default 1: this process). Each file is still "
                "registered and processed once; results are printed in input order."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        files, missing = expand_paths(options["paths"])
        results: list[dict[str, Any]] = []
        failures = 0
        for pattern in missing:
            failures += 1
            results.append(
                {
                    "file": pattern,
                    "batch": None,
                    "status": "NOT_FOUND",
                    "already_received": False,
                    "reason": "no such file, directory or matching glob",
                }
            )
        outcomes = ingest_paths(
            paths=files, channel=BatchChannel.COMMAND, workers=options["workers"]
        )
        for outcome in outcomes:
            result = outcome.result
            if result is None:  # storage or database down: nothing was registered
                failures += 1
                results.append(
                    {
                        "file": outcome.path,
                        "batch": None,
                        "status": "ERROR",
                        "already_received": False,
                        "reason": outcome.error,
                    }
                )
                continue
            if not result.ok:
                failures += 1
            results.append(result.to_dict())
            if options["format"] == "text":
                self._print_text(result)
        if options["format"] == "json":
            self.stdout.write(json.dumps(results, indent=2))
        else:
            for row in results:
                if row["batch"] is None:
                    self.stdout.write(f"{row['file']}: {row['status']} — {row['reason']}")
        if failures:
            raise CommandError(
                f"{failures} of {len(files) + len(missing)} file(s) not accepted", returncode=1
            )

    def _print_text(self, result: IngestResult) -> None:
        style = self.style.SUCCESS if result.ok else self.style.ERROR
        self.stdout.write(style(f"{result.file}: {result.message}"))
