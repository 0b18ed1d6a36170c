"""Celery tasks: thin wrappers over the outbound services (ids in, summaries out)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from edi_platform.core.tasking import RETRY_IDEMPOTENT_STEP
from outbound.services.assembly import outbound_assemble
from outbound.services.outbox import outbox_publish
from outbound.services.recovery import outbound_recover

# Every step is idempotent: the database unreachable for longer than the services' own
# transient retries, the whole task is tried again later (capped exponential backoff).


@shared_task(name="outbound.tasks.assemble_due", **RETRY_IDEMPOTENT_STEP)
def assemble_due(partner_code: str | None = None, response_type: str | None = None) -> str:
    """Assemble every due outcome (every minute on beat; right away for 0-minute windows)."""
    return outbound_assemble(partner_code=partner_code, response_type=response_type).summary()


@shared_task(name="outbound.tasks.recover", **RETRY_IDEMPOTENT_STEP)
def recover(stale_after_seconds: int = 300) -> str:
    """Finish or rebuild files left ASSEMBLING by crashed workers (same numbers)."""
    return outbound_recover(stale_after=timedelta(seconds=stale_after_seconds)).summary()


@shared_task(name="outbound.tasks.publish_outbox", **RETRY_IDEMPOTENT_STEP)
def publish_outbox() -> str:
    """Send pending 'file ready' messages to the Redis stream edi-outbound-ready."""
    return outbox_publish().summary()
