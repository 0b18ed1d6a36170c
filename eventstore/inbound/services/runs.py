"""Resumable ingestion runs (``manage.py ingest … --run NAME``, ``--resume``,
``--resume-from NAME``, ``--max-records N``).

Steps:

1. ``run_plan``: every file is hashed (streaming sha256) and becomes one step, keyed by its
   sha256 (a second path with the same bytes is counted as a duplicate, not a step); the run
   and its steps are inserted in one transaction.
2. ``run_execute``: the run is claimed (``owner`` = host:pid; another live process holding it
   is refused). Then for every step not DONE, in order (PENDING, FAILED, and RUNNING ones a
   killed process left):

   a. the step is marked RUNNING (attempts + 1) and committed;
   b. the file goes through the one ingest service (:func:`ingest_path`, unchanged), retried
      by the project's classifier when storage or the database is briefly away;
   c. a step a killed process left half-done is finished: its batch, found again by sha256
      ("already received"), is reprocessed when it is still RECEIVED or has sets whose
      routing did not finish (what Reprocess does; outcomes and events are deduplicated);
   d. the step is marked DONE (batch, status, sets, duration) or FAILED (the classifier's
      code and suggestion, never the error's text) together with the run's counters, in one
      transaction.

   ``--max-records N`` stops (STOPPED, resumable) once N transaction sets were ingested by
   this execution. At the end the run is DONE, or FAILED when files failed (a resume
   retries them).

What a crash leaves: a RUNNING run and at most one RUNNING step. The file of that step was
ingested either not at all, completely, or up to a RECEIVED batch / unrouted sets; the ingest
service registers bytes once (sha256), so resuming ingests every file exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from edi_platform.core.actors import actor_label
from edi_platform.core.progress import ProgressTicker, format_seconds, rate_and_eta
from edi_platform.core.retry import RetryPolicy, classify, retry_transient
from eventstore.inbound.models import BatchStatus, TransactionBatch
from eventstore.inbound.run_models import IngestionRun, IngestionStep, RunStatus, StepStatus

from .ingest import ingest_path
from .lease import lease_break
from .reprocess import batch_reprocess, reprocess_refusal
from .result import IngestResult

__all__ = [
    "RunRefused",
    "RunSummary",
    "run_execute",
    "run_for_resume",
    "run_plan",
]

logger = logging.getLogger(__name__)

# A file whose ingest fails because storage or the database is away is tried again a few
# times, seconds apart, before its step is marked FAILED (the next resume retries it).
STEP_POLICY = RetryPolicy(attempts=4, base=1.0, cap=15.0, back_off_factor=2.0)
# A run whose owner on another host has not been heard of for this long is taken over.
STALE_OWNER = timedelta(minutes=2)
HASH_CHUNK = 1 << 20


class RunRefused(Exception):
    """The run cannot be planned or resumed as asked; ``suggestion`` says what to do."""

    def __init__(self, message: str, *, suggestion: str = "") -> None:
        super().__init__(f"{message}. {suggestion}" if suggestion else message)
        self.suggestion = suggestion


@dataclass
class RunSummary:
    """What one execution of a run did (the command prints it)."""

    run: IngestionRun
    files_this_time: int = 0
    sets_this_time: int = 0
    seconds: float = 0.0
    failed: list[IngestionStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "run": run.name,
            "status": run.status,
            "files_total": run.files_total,
            "files_done": run.files_done,
            "files_failed": run.files_failed,
            "sets_done": run.sets_done,
            "files_this_time": self.files_this_time,
            "sets_this_time": self.sets_this_time,
            "seconds": round(self.seconds, 3),
            "note": run.note,
            "resume": run.resume_hint,
            "failed": [
                {
                    "file": s.path,
                    "error_code": s.error_code,
                    "error": s.error,
                    "suggestion": s.suggestion,
                }
                for s in self.failed
            ],
        }


def _sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def run_plan(
    *,
    name: str,
    paths: Sequence[str | Path],
    channel: str,
    acting_user: Any = None,
    max_records: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestionRun:
    """Step 1: record run ``name`` with one step per distinct file (see the module docstring).

    Raises :class:`RunRefused` when the name is taken. A file that cannot be read is still a
    step (FAILED at once with the reason) so the run shows it.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise RunRefused("a run needs a name of 1 to 100 characters")
    existing = IngestionRun.objects.filter(name=name).first()
    if existing is not None:
        hint = (
            f"resume it with --resume-from {name}"
            if existing.status != RunStatus.DONE
            else "choose another name"
        )
        raise RunRefused(f"a run named {name!r} exists ({existing.status})", suggestion=hint)
    steps: list[IngestionStep] = []
    seen: set[str] = set()
    duplicates = 0
    total_bytes = 0
    for index, raw in enumerate(paths, start=1):
        path = Path(raw)
        try:
            sha256, size = _sha256_of(path)
        except OSError as exc:
            found = classify(exc)
            sha256, size = hashlib.sha256(f"unreadable:{path}".encode()).hexdigest(), 0
            steps.append(
                IngestionStep(
                    position=len(steps) + 1,
                    sha256=sha256,
                    path=str(path)[:1000],
                    status=StepStatus.FAILED,
                    error_code=found.code[:60],
                    error="the file could not be read when the run was planned",
                    suggestion=found.suggestion[:500],
                )
            )
            continue
        if sha256 in seen:
            duplicates += 1
            continue
        seen.add(sha256)
        total_bytes += size
        steps.append(
            IngestionStep(position=len(steps) + 1, sha256=sha256, path=str(path)[:1000], size=size)
        )
        if progress is not None and index % 1000 == 0:
            progress(f"ingest: planning run {name}: {index:,}/{len(paths):,} files hashed")
    with transaction.atomic():
        run = IngestionRun.objects.create(
            name=name,
            channel=channel,
            created_by=actor_label(acting_user),
            files_total=len(steps),
            files_failed=sum(1 for s in steps if s.status == StepStatus.FAILED),
            bytes_total=total_bytes,
            duplicates_skipped=duplicates,
            max_records=max_records,
        )
        for step in steps:
            step.run = run
        IngestionStep.objects.bulk_create(steps, batch_size=1000)
    logger.info("ingestion run %s planned: %d files", run.pk, len(steps))
    return run


def run_for_resume(*, name: str | None) -> IngestionRun:
    """The run ``--resume-from NAME`` names, or for ``--resume`` the latest unfinished one."""
    if name:
        run = IngestionRun.objects.filter(name=name).first()
        if run is None:
            raise RunRefused(f"no run named {name!r}", suggestion="see Ingestion runs in the admin")
    else:
        run = IngestionRun.objects.exclude(status=RunStatus.DONE).order_by("-created_at").first()
        if run is None:
            raise RunRefused("no unfinished run to resume", suggestion="start one with --run NAME")
    if run.status == RunStatus.DONE:
        raise RunRefused(f"run {run.name!r} is already done", suggestion="nothing to resume")
    return run


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _owner_alive(owner: str, heartbeat: Any) -> bool:
    host, _, pid = owner.rpartition(":")
    if not owner or owner == _this_process():
        return False
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return heartbeat is not None and timezone.now() - heartbeat < STALE_OWNER


def _claim(run_id: int, *, max_records: int | None) -> IngestionRun:
    with transaction.atomic():
        run = IngestionRun.objects.select_for_update().get(pk=run_id)
        if _owner_alive(run.owner, run.heartbeat_at):
            raise RunRefused(
                f"run {run.name!r} is being executed by another process ({run.owner})",
                suggestion="wait for it to finish, or stop that process first",
            )
        run.owner, run.heartbeat_at = _this_process(), timezone.now()
        run.status, run.note, run.finished_at = RunStatus.RUNNING, "", None
        run.started_at = timezone.now()
        run.executions += 1
        run.max_records = max_records  # a limit is for the execution that asked for it
        run.save()
    return run


def _crash_point(point: str, position: int) -> None:
    """Test-only: ``INBOUND_RUN_CRASH_AT=<point>:<step position>`` SIGKILLs this process."""
    if getattr(settings, "INBOUND_RUN_CRASH_AT", "") == f"{point}:{position}":
        os.kill(os.getpid(), signal.SIGKILL)


def _step_begin(step: IngestionStep) -> tuple[bool, bool]:
    """Mark ``step`` RUNNING; returns (an earlier execution had started it, it had FAILED)."""
    resumed = step.status in (StepStatus.RUNNING, StepStatus.FAILED) and step.attempts > 0
    was_failed = step.status == StepStatus.FAILED
    step.status, step.started_at = StepStatus.RUNNING, timezone.now()
    step.attempts += 1
    step.error_code = step.error = step.suggestion = ""
    step.save(
        update_fields=["status", "started_at", "attempts", "error_code", "error", "suggestion"]
    )
    return resumed, was_failed


def _finish_half_done(result: IngestResult) -> IngestResult:
    """A batch an interrupted attempt left RECEIVED, or with unrouted sets: finish it."""
    batch = TransactionBatch.objects.filter(pk=result.batch).first()
    if batch is None or batch.status == BatchStatus.UNKNOWN_PARTNER:
        return result
    # the run was claimed from a dead owner (see _claim): the lease it held on this batch is
    # a dead worker's, and need not be waited for
    lease_break(batch_id=batch.pk)
    batch.refresh_from_db()
    if reprocess_refusal(batch) is not None:
        return result  # final, or every accepted set routed: nothing left to do
    finished = batch_reprocess(batch_id=batch.pk, acting_user=None)
    return IngestResult(**{**finished.to_dict(), "file": result.file, "already_received": True})


def _ingest_step(step: IngestionStep, channel: str, resumed: bool) -> IngestResult:
    def attempt() -> IngestResult:
        result = ingest_path(path=step.path, channel=channel)
        if result.batch is not None and resumed and result.already_received:
            result = _finish_half_done(result)
        return result

    # Storage or the database briefly away: retried as the classifier says (a lost connection
    # is dropped and reopened); anything permanent fails the step at once.
    result, _ = retry_transient(attempt, policy=STEP_POLICY)
    return result


def _step_done(
    run: IngestionRun, step: IngestionStep, result: IngestResult, *, ms: int, was_failed: bool
) -> None:
    batch = TransactionBatch.objects.filter(pk=result.batch).only("sha256").first()
    failed = ""
    if result.batch is None:
        failed = "not registered"
    elif result.status == BatchStatus.RECEIVED and not result.already_received:
        failed = "processing was interrupted"
    elif batch is not None and batch.sha256 != step.sha256:
        failed = "the file changed after the run was planned (its new bytes were ingested)"
    if failed:
        _step_failed(
            run,
            step,
            code="ingest",
            error=failed,
            suggestion="resume the run",
            ms=ms,
            was_failed=was_failed,
        )
        return
    sets = result.sets_accepted + result.sets_rejected
    with transaction.atomic():
        step.status = StepStatus.DONE
        step.batch_id, step.batch_status = result.batch, result.status
        step.already_received = result.already_received
        step.sets_accepted, step.sets_rejected = result.sets_accepted, result.sets_rejected
        step.finished_at, step.duration_ms = timezone.now(), ms
        step.save()
        IngestionRun.objects.filter(pk=run.pk).update(
            files_done=F("files_done") + 1,
            sets_done=F("sets_done") + sets,
            heartbeat_at=timezone.now(),
        )
        if was_failed:  # it had failed before: no longer
            IngestionRun.objects.filter(pk=run.pk, files_failed__gt=0).update(
                files_failed=F("files_failed") - 1
            )


def _step_failed(
    run: IngestionRun,
    step: IngestionStep,
    *,
    code: str,
    error: str,
    suggestion: str,
    ms: int,
    was_failed: bool,
) -> None:
    with transaction.atomic():
        step.status = StepStatus.FAILED
        step.error_code, step.error, step.suggestion = code[:60], error[:500], suggestion[:500]
        step.finished_at, step.duration_ms = timezone.now(), ms
        step.save()
        if not was_failed:
            IngestionRun.objects.filter(pk=run.pk).update(files_failed=F("files_failed") + 1)


def _recount(run: IngestionRun) -> None:
    """The run's counters from its steps (exact after any crash between the two)."""
    steps = run.steps.all()
    run.files_done = steps.filter(status=StepStatus.DONE).count()
    run.files_failed = steps.filter(status=StepStatus.FAILED).count()
    done = steps.filter(status=StepStatus.DONE).aggregate(
        sets=Sum(F("sets_accepted") + F("sets_rejected"))
    )
    run.sets_done = done["sets"] or 0


class _Meter:
    """Counters the progress line reads (plain values, updated by the main thread)."""

    def __init__(self, run: IngestionRun, pending_bytes: int, pending_files: int) -> None:
        self.run = run
        self.bytes_total = pending_bytes
        self.files_total = pending_files
        self.bytes_done = self.files_done = self.sets = self.errors = 0
        self.started = time.monotonic()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        _, eta = rate_and_eta(done=self.bytes_done, total=self.bytes_total, elapsed=elapsed)
        sets_rate = self.sets / elapsed if elapsed > 0 else 0.0
        return (
            f"ingest run {self.run.name}: {self.files_done:,}/{self.files_total:,} files, "
            f"{self.sets:,} sets ({sets_rate:,.0f} sets/s), {self.errors} errors, "
            f"ETA {format_seconds(eta)}"
        )


def run_execute(
    *,
    run_id: int,
    max_records: int | None = None,
    progress: Callable[[str], None] | None = None,
    progress_seconds: float = 5.0,
) -> RunSummary:
    """Step 2 of the module docstring: ingest every step of the run that is not DONE."""
    started = time.monotonic()
    run = _claim(run_id, max_records=max_records)
    limit = run.max_records
    todo = list(run.steps.exclude(status=StepStatus.DONE).order_by("position"))
    meter = _Meter(run, sum(s.size for s in todo), len(todo))
    summary = RunSummary(run=run)
    say = progress or (lambda line: None)
    ticker = ProgressTicker(
        render=meter.line, write=say, interval=progress_seconds if progress else 0
    )
    with ticker:
        for step in todo:
            if limit is not None and summary.sets_this_time >= limit:
                run.status = RunStatus.STOPPED
                run.note = (
                    f"stopped after {summary.sets_this_time} transaction sets (--max-records)"
                )
                break
            began = time.monotonic()
            resumed, was_failed = _step_begin(step)
            _crash_point("before_ingest", step.position)
            try:
                result = _ingest_step(step, run.channel, resumed)
            except Exception as exc:
                found = classify(exc)
                ms = int((time.monotonic() - began) * 1000)
                _step_failed(
                    run,
                    step,
                    code=f"{found.source} {found.code}",
                    error=f"{type(exc).__name__} ({found.action})",
                    suggestion=found.suggestion,
                    ms=ms,
                    was_failed=was_failed,
                )
                meter.errors += 1
                say(f"ingest run {run.name}: FAILED {step.path}: {found.summary()}")
            else:
                _crash_point("after_ingest", step.position)
                ms = int((time.monotonic() - began) * 1000)
                _step_done(run, step, result, ms=ms, was_failed=was_failed)
                if step.status == StepStatus.FAILED:
                    meter.errors += 1
                    say(f"ingest run {run.name}: FAILED {step.path}: {step.error}")
                sets = result.sets_accepted + result.sets_rejected
                summary.sets_this_time += sets
                meter.sets += sets
            summary.files_this_time += 1
            meter.files_done += 1
            meter.bytes_done += step.size
        with transaction.atomic():
            run.refresh_from_db(fields=["files_done", "files_failed", "sets_done"])
            _recount(run)
            if run.status != RunStatus.STOPPED:
                run.status = RunStatus.FAILED if run.files_failed else RunStatus.DONE
                run.note = (
                    f"{run.files_failed} files failed: resume the run to retry them"
                    if run.files_failed
                    else ""
                )
            run.finished_at = timezone.now()
            run.owner = ""
            run.save()
        ticker.tick_now()
    summary.failed = list(run.steps.filter(status=StepStatus.FAILED).order_by("position"))
    summary.seconds = time.monotonic() - started
    logger.info(
        "ingestion run %s: %s, %d files, %d sets this time",
        run.pk,
        run.status,
        summary.files_this_time,
        summary.sets_this_time,
    )
    return summary
