"""Reads about the platform's running state: is the scheduler dispatching, are workers
running the tasks, which periodic tasks are late.

Two heartbeats, each from what actually happens:

* the **scheduler** heartbeat is the newest ``last_run_at`` of an enabled periodic task:
  Celery beat (django-celery-beat's database scheduler) writes it when it sends a task, and
  the embedded runner (``run_scheduler``) writes it when it runs one;
* the **worker** heartbeat is the time the ``heartbeat`` task last *ran*
  (:class:`~edi_platform.core.models.SchedulerHeartbeat`): a worker took it from the queue
  (or ``run_scheduler`` ran it in-process).

Either older than ``SCHEDULER_HEARTBEAT_STALE_SECONDS`` is stale. Whether Celery runs
eagerly (no broker) says nothing about either and is not consulted for the banner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import SchedulerHeartbeat

__all__ = ["LateTask", "SchedulerStatus", "late_after", "scheduler_status"]


@dataclass(frozen=True)
class LateTask:
    """An enabled periodic task that has not run when it should have."""

    name: str
    every_seconds: int
    last_run_at: datetime | None

    def describe(self, now: datetime) -> str:
        every = _duration(self.every_seconds)
        if self.last_run_at is None:
            return f"{self.name} (every {every}; never ran)"
        ago = _duration(int((now - self.last_run_at).total_seconds()))
        return f"{self.name} (every {every}; last ran {ago} ago)"


@dataclass(frozen=True)
class SchedulerStatus:
    now: datetime
    stale_after: timedelta
    last_dispatch_at: datetime | None  # scheduler heartbeat
    last_beat_at: datetime | None  # worker heartbeat
    worker_hostname: str = ""
    late_tasks: list[LateTask] = field(default_factory=list)
    eager: bool = False  # informational only (the banner does not depend on it)

    @property
    def scheduler_stale(self) -> bool:
        return self.last_dispatch_at is None or self.now - self.last_dispatch_at > self.stale_after

    @property
    def worker_stale(self) -> bool:
        return self.last_beat_at is None or self.now - self.last_beat_at > self.stale_after

    @property
    def stale(self) -> bool:
        return self.scheduler_stale or self.worker_stale

    @property
    def running(self) -> bool:
        return not self.stale

    def late_descriptions(self) -> list[str]:
        return [late.describe(self.now) for late in self.late_tasks]


def late_after(every_seconds: int) -> timedelta:
    """A task is late when it has not run for two of its intervals and a minute."""
    return timedelta(seconds=2 * every_seconds + 60)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """Both heartbeats and the late periodic tasks (interval schedules), as of ``now``."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    now = now or timezone.now()
    beat = SchedulerHeartbeat.objects.filter(id=1).first()
    seconds_per = {
        IntervalSchedule.DAYS: 86400,
        IntervalSchedule.HOURS: 3600,
        IntervalSchedule.MINUTES: 60,
        IntervalSchedule.SECONDS: 1,
        IntervalSchedule.MICROSECONDS: 0,
    }
    last_dispatch = None
    late = []
    rows = PeriodicTask.objects.filter(enabled=True).values_list(
        "name", "last_run_at", "date_changed", "interval__every", "interval__period"
    )
    for name, last_run_at, changed, every, period in rows:
        if last_run_at is not None and (last_dispatch is None or last_run_at > last_dispatch):
            last_dispatch = last_run_at
        if every is None:  # crontab, solar, clocked: no interval to be late against
            continue
        every_seconds = max(int(every) * seconds_per.get(period, 1), 1)
        since = last_run_at or changed
        if since is None or now - since > late_after(every_seconds):
            late.append(LateTask(name=name, every_seconds=every_seconds, last_run_at=last_run_at))
    return SchedulerStatus(
        now=now,
        stale_after=timedelta(seconds=settings.SCHEDULER_HEARTBEAT_STALE_SECONDS),
        last_dispatch_at=last_dispatch,
        last_beat_at=beat.last_beat_at if beat else None,
        worker_hostname=beat.worker_hostname if beat else "",
        late_tasks=sorted(late, key=lambda t: t.name),
        eager=bool(getattr(settings, "CELERY_EAGER", False)),
    )
