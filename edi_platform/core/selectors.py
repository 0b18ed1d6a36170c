"""Reads about the platform's running state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import SchedulerHeartbeat


@dataclass(frozen=True)
class SchedulerStatus:
    eager: bool
    last_beat_at: datetime | None
    stale: bool

    @property
    def running(self) -> bool:
        return not self.eager and not self.stale


def scheduler_status() -> SchedulerStatus:
    """Whether scheduled work (Celery beat + workers) can run, for the admin banner."""
    eager = bool(getattr(settings, "CELERY_EAGER", False))
    beat = SchedulerHeartbeat.objects.filter(id=1).only("last_beat_at").first()
    last = beat.last_beat_at if beat else None
    limit = timedelta(seconds=settings.SCHEDULER_HEARTBEAT_STALE_SECONDS)
    stale = last is None or timezone.now() - last > limit
    return SchedulerStatus(eager=eager, last_beat_at=last, stale=stale)
