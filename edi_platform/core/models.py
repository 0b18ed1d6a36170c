"""Platform bookkeeping tables."""

from __future__ import annotations

from django.db import models


class SchedulerHeartbeat(models.Model):
    """One row, touched by the beat-scheduled heartbeat task: tells the admin beat is alive."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    last_beat_at = models.DateTimeField()
    worker_hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="core_heartbeat_singleton"),
        ]

    def __str__(self) -> str:
        return f"heartbeat at {self.last_beat_at:%Y-%m-%d %H:%M:%S}"
