"""Write services of the platform core."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from .models import SchedulerHeartbeat
from .schedules import DEFAULT_SCHEDULES, ScheduleSpec


def heartbeat_record(*, hostname: str = "") -> SchedulerHeartbeat:
    """Record that a scheduled task just ran (beat and a worker are alive)."""
    beat, _ = SchedulerHeartbeat.objects.update_or_create(
        id=1, defaults={"last_beat_at": timezone.now(), "worker_hostname": hostname[:255]}
    )
    return beat


@dataclass(frozen=True)
class ScheduleSetupResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def schedules_setup(*, specs: tuple[ScheduleSpec, ...] = DEFAULT_SCHEDULES) -> ScheduleSetupResult:
    """Upsert the default periodic tasks by name.

    A missing task is created with its default interval. An existing one keeps what operators
    set in the admin (interval, enabled, arguments); only the task path and description follow
    the code, so a renamed task keeps working.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for spec in specs:
        existing = PeriodicTask.objects.filter(name=spec.name).first()
        if existing is None:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=spec.every_seconds, period=IntervalSchedule.SECONDS
            )
            PeriodicTask.objects.create(
                name=spec.name,
                task=spec.task,
                interval=interval,
                description=spec.description,
                kwargs=spec.kwargs_json(),
            )
            created.append(spec.name)
        elif existing.task != spec.task or existing.description != spec.description:
            existing.task = spec.task
            existing.description = spec.description
            existing.save(update_fields=["task", "description"])
            updated.append(spec.name)
        else:
            unchanged.append(spec.name)
    return ScheduleSetupResult(created=created, updated=updated, unchanged=unchanged)
