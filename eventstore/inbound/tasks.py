"""Celery tasks of inbound: thin wrappers over the services (no arguments carry data)."""

from __future__ import annotations

from celery import shared_task

from edi_platform.core.tasking import NO_RETRY
from eventstore.inbound.services.inbox import inbox_poll


# The next poll picks up whatever this one could not do: no retry of its own.
@shared_task(name="eventstore.inbound.tasks.poll_inbox", ignore_result=True, **NO_RETRY)
def poll_inbox() -> dict[str, int]:
    """Beat task: poll ``INBOUND_INBOX_DIR`` (no arguments: paths and ids only, never data)."""
    result = inbox_poll()
    return {"processed": result.processed, "failed": result.failed, "left": result.left}
