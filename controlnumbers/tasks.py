"""Scheduled checks (Celery beat, see edi_platform/core/schedules.py): thin wrappers."""

from __future__ import annotations

from celery import shared_task

from edi_platform.core.tasking import RETRY_SCHEDULED_CHECK

from .services import gap_alerts_refresh, rollover_alerts_refresh


@shared_task(name="controlnumbers.tasks.gap_check", **RETRY_SCHEDULED_CHECK)
def gap_check(days: int = 30) -> dict:
    """Every gap of the last ``days`` days becomes (or refreshes) an open Alert."""
    result = gap_alerts_refresh(days=days)
    return {"raised": result.raised, "refreshed": result.refreshed, "resolved": result.resolved}


@shared_task(name="controlnumbers.tasks.rollover_check", **RETRY_SCHEDULED_CHECK)
def rollover_check() -> dict:
    """Counters at WARNING / CRITICAL utilization become (or refresh) open Alerts."""
    result = rollover_alerts_refresh()
    return {"raised": result.raised, "refreshed": result.refreshed, "resolved": result.resolved}
