"""``manage.py ingest PATH... [--format text|json] [--workers N]``: register and process files.

Resumable runs (``--run NAME``, ``--resume``, ``--resume-from NAME``, ``--max-records N``)
are :mod:`eventstore.inbound.services.runs`; this command only parses and prints.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from edi_platform.core.commands import PlatformCommand
from edi_platform.core.retry import classify
from eventstore.inbound.services.ingest import IngestResult
from eventstore.inbound.services.ingest_many import ingest_paths
from eventstore.inbound.services.runs import RunRefused, run_execute, run_for_resume, run_plan
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
        parser.add_argument("paths", nargs="*", metavar="PATH")
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

        runs = parser.add_argument_group("resumable runs")
        runs.add_argument(
            "--run",
            metavar="NAME",
            help="record this ingestion as run NAME: one step per file (by sha256) with its "
            "state, so that a stopped or killed run can be resumed",
        )
        runs.add_argument(
            "--resume", action="store_true", help="continue the latest unfinished run"
        )
        runs.add_argument("--resume-from", metavar="NAME", help="continue run NAME")
        runs.add_argument(
            "--max-records",
            type=int,
            metavar="N",
            help="debug mode: stop after N transaction sets (the run can be resumed)",
        )
        runs.add_argument(
            "--progress-seconds",
            type=float,
            default=5.0,
            help="seconds between progress lines of a run on stderr (0: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["run"] or options["resume"] or options["resume_from"]:
            self._handle_run(options)
            return
        if options["max_records"] is not None:
            raise CommandError("--max-records needs --run NAME (or --resume): runs can resume")
        if not options["paths"]:
            raise CommandError("give at least one PATH (or --resume / --resume-from NAME)")
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

    def _handle_run(self, options: dict[str, Any]) -> None:
        chosen = [bool(options["run"]), options["resume"], bool(options["resume_from"])]
        if sum(chosen) > 1:
            raise CommandError("use one of --run, --resume and --resume-from")
        if options["workers"] != 1:
            raise CommandError("a run ingests its files in order, in one process (no --workers)")
        if options["max_records"] is not None and options["max_records"] < 1:
            raise CommandError("--max-records must be at least 1")

        def say(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        try:
            if options["run"]:
                if not options["paths"]:
                    raise CommandError("--run NAME needs the PATHs to ingest")
                files, missing = expand_paths(options["paths"])
                if missing:
                    raise CommandError(f"nothing matches: {', '.join(missing)}")
                run = run_plan(
                    name=options["run"],
                    paths=files,
                    channel=BatchChannel.COMMAND,
                    max_records=options["max_records"],
                    progress=say,
                )
            else:
                if options["paths"]:
                    raise CommandError("a resumed run ingests the files it planned: no PATH")
                run = run_for_resume(name=options["resume_from"])
            summary = run_execute(
                run_id=run.pk,
                max_records=options["max_records"],
                progress=say,
                progress_seconds=options["progress_seconds"],
            )
        except RunRefused as exc:
            raise CommandError(f"refused: {exc}", returncode=2) from None
        except Exception as exc:  # the database itself is away: the run keeps its state
            found = classify(exc)
            raise CommandError(
                f"the run stopped ({found.summary()}); what is done is kept: resume it with "
                "--resume once the cause is fixed",
                returncode=1,
            ) from None
        data = summary.to_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
        else:
            ok = data["status"] in ("DONE", "STOPPED")
            style = self.style.SUCCESS if ok else self.style.ERROR
            self.stdout.write(
                style(
                    f"run {data['run']}: {data['status']} — {data['files_done']}/"
                    f"{data['files_total']} files done, {data['files_failed']} failed, "
                    f"{data['sets_done']:,} sets ({data['files_this_time']} files, "
                    f"{data['sets_this_time']:,} sets this time, {data['seconds']:.1f} s)"
                )
            )
            if data["note"]:
                self.stdout.write(data["note"])
            for failed in data["failed"]:
                self.stdout.write(
                    self.style.ERROR(
                        f"  {failed['file']}: {failed['error_code']} {failed['error']}"
                        + (f" — {failed['suggestion']}" if failed["suggestion"] else "")
                    )
                )
            if data["resume"]:
                self.stdout.write(f"resume with: {data['resume']}")
        if data["status"] == "FAILED":
            raise CommandError(f"{data['files_failed']} file(s) failed", returncode=1)
