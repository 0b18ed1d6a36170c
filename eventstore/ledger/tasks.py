"""Event-store Celery tasks: the projector and the projection lag check.

The projector is enqueued on commit of every append (``events_append``; inline when Celery
is eager) and runs from beat every minute as a safety net. Tasks take no PHI: no arguments
beyond sizes, results are counts and positions.
"""

from __future__ import annotations

from celery import shared_task

from edi_platform.core.tasking import RETRY_IDEMPOTENT_STEP, RETRY_SCHEDULED_CHECK
from eventstore.ledger.services.projections import LIVE, project_pending, projection_lag_check


@shared_task(name="eventstore.ledger.tasks.project_events", **RETRY_IDEMPOTENT_STEP)
def project_events(batch_size: int = 1000, max_batches: int = 500) -> dict:
    """Apply pending events to Member/Enrollment (exactly-once: checkpoint in the same tx)."""
    run = project_pending(LIVE, batch_size=batch_size, max_batches=max_batches)
    return {"events": run.events, "position": run.position}


@shared_task(name="eventstore.ledger.tasks.check_projection_lag", **RETRY_SCHEDULED_CHECK)
def check_projection_lag() -> list[str]:
    """Raise / resolve projection lag and stuck-lag alerts."""
    return projection_lag_check()
