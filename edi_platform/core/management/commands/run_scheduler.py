"""Run the periodic tasks in-process, without a broker (the embedded default's scheduler).

It behaves like Celery beat with the database scheduler, on the same rows: it runs every
enabled periodic task with an interval schedule (the defaults of ``setup_schedules``, which
it installs first, and any an operator added), at the interval set in the admin, and records
each run on its row (``last_run_at``, ``total_run_count``), so the admin's "Last run" and the
scheduler heartbeat are true. A run is claimed with one conditional UPDATE (due and not
taken), so two runners never run the same task twice for one interval.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from edi_platform.celery import app
from edi_platform.core.commands import PlatformCommand
from edi_platform.core.services import schedules_setup
from edi_platform.x12.logsafe import exception_summary

logger = logging.getLogger(__name__)

_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "microseconds": 0}


@dataclass(frozen=True)
class Entry:
    pk: int
    name: str
    task: str
    every: timedelta
    kwargs: dict
    last_run_at: datetime | None

    def due(self, now: datetime) -> bool:
        return self.last_run_at is None or now - self.last_run_at >= self.every


def entries() -> list[Entry]:
    """The enabled periodic tasks with an interval schedule, as the admin has them."""
    from django_celery_beat.models import PeriodicTask

    out = []
    rows = PeriodicTask.objects.filter(enabled=True, interval__isnull=False).values_list(
        "pk", "name", "task", "interval__every", "interval__period", "kwargs", "last_run_at"
    )
    for pk, name, task, every, period, kwargs, last_run_at in rows:
        seconds = max(int(every) * _SECONDS.get(period, 1), 1)
        try:
            parsed = json.loads(kwargs or "{}")
        except ValueError:
            parsed = None
        out.append(
            Entry(
                pk=pk,
                name=name,
                task=task,
                every=timedelta(seconds=seconds),
                kwargs=parsed if isinstance(parsed, dict) else {},
                last_run_at=last_run_at,
            )
        )
    return sorted(out, key=lambda e: e.name)


def run_claim(entry: Entry, now: datetime) -> bool:
    """Record the run of ``entry`` at ``now`` if it is due and no other runner took it."""
    from django_celery_beat.models import PeriodicTask

    not_taken = Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - entry.every)
    return bool(
        PeriodicTask.objects.filter(not_taken, pk=entry.pk, enabled=True).update(
            last_run_at=now, total_run_count=F("total_run_count") + 1
        )
    )


class Command(PlatformCommand):
    help = (
        "Run the enabled periodic tasks (outbound batch windows, outbox publisher, recovery, "
        "inbox, checks, heartbeat) in this process, at their admin intervals, recording each "
        "run like Celery beat. Without --loop: one pass over the due tasks, then exit."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running (Ctrl-C stops).")
        parser.add_argument(
            "--tick", type=float, default=5.0, help="Seconds between checks (default 5)."
        )

    def handle(self, *args, **options) -> None:
        # autodiscovery is lazy: import every app's tasks module so the names resolve
        app.loader.import_default_modules()
        schedules_setup()  # the default rows exist (an operator's edits are kept)
        self._line(f"run_scheduler started (pid {os.getpid()})")
        while True:
            now = timezone.now()
            for entry in entries():
                if entry.due(now) and run_claim(entry, now):
                    self._run(entry)
            if not options["loop"]:
                return
            try:
                time.sleep(options["tick"])
            except KeyboardInterrupt:
                return

    def _line(self, text: str, *, error: bool = False) -> None:
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
        (self.stderr if error else self.stdout).write(f"{stamp} {text}")

    def _run(self, entry: Entry) -> None:
        task = app.tasks.get(entry.task)
        if task is None:
            self._line(f"{entry.name}: task {entry.task} is not registered", error=True)
            return
        # apply() runs the task body here, synchronously: no broker involved.
        try:
            outcome = task.apply(kwargs=entry.kwargs)
        except Exception as exc:  # keep looping: one failing task must not stop the others
            self._line(f"{entry.name}: failed ({exception_summary(exc)})", error=True)
            return
        if outcome.failed():
            # The next due time retries it, as beat would send it again.
            self._line(f"{entry.name}: failed ({type(outcome.result).__name__})", error=True)
        else:
            self._line(f"{entry.name}: {outcome.result}")
