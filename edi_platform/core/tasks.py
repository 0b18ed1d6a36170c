"""Platform tasks."""

from __future__ import annotations

import socket

from celery import shared_task

from .services import heartbeat_record
from .tasking import NO_RETRY


# A heartbeat that fails is the signal (a stale heartbeat raises the banner): never retried.
@shared_task(name="edi_platform.core.tasks.heartbeat", ignore_result=False, **NO_RETRY)
def heartbeat() -> str:
    """Record the scheduler heartbeat; returns its timestamp (ISO 8601)."""
    beat = heartbeat_record(hostname=socket.gethostname())
    return beat.last_beat_at.isoformat()
