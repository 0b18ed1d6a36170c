"""Celery tasks: thin wrappers over the outbound services (ids in, summaries out)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError

from outbound.services.assembly import outbound_assemble
from outbound.services.outbox import outbox_publish
from outbound.services.recovery import outbound_recover

# The database unreachable for longer than the services' own transient retries: try the
# whole task again later (capped exponential backoff). Every step is idempotent.
_DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 10,
}


@shared_task(name="outbound.tasks.assemble_due", acks_late=True, **_DB_RETRY)
def assemble_due(partner_code: str | None = None, response_type: str | None = None) -> str:
    """Assemble every due outcome (every minute on beat; right away for 0-minute windows)."""
    return outbound_assemble(partner_code=partner_code, response_type=response_type).summary()


@shared_task(name="outbound.tasks.recover", acks_late=True, **_DB_RETRY)
def recover(stale_after_seconds: int = 300) -> str:
    """Finish or rebuild files left ASSEMBLING by crashed workers (same numbers)."""
    return outbound_recover(stale_after=timedelta(seconds=stale_after_seconds)).summary()


@shared_task(name="outbound.tasks.publish_outbox", acks_late=True, **_DB_RETRY)
def publish_outbox() -> str:
    """Send pending 'file ready' messages to the Redis stream edi-outbound-ready."""
    return outbox_publish().summary()
