"""Celery tasks of inbound: thin wrappers over the services (no arguments carry data)."""

from __future__ import annotations

from celery import shared_task

from edi_platform.core.tasking import NO_RETRY, RETRY_SCHEDULED_CHECK
from eventstore.inbound.services.inbox import inbox_run
from eventstore.inbound.services.recovery import batch_take_over, batches_recover


# The next poll picks up whatever this one could not do: no retry of its own.
@shared_task(name="eventstore.inbound.tasks.poll_inbox", ignore_result=True, **NO_RETRY)
def poll_inbox(shard: int | None = None, shards: int | None = None) -> dict[str, int]:
    """Beat task: poll ``INBOUND_INBOX_DIR``, or fan out into ``INBOUND_INBOX_SHARDS`` shard
    polls (this task again with shard numbers; never paths or data)."""
    result = inbox_run(shard=shard, shards=shards)
    return {
        "processed": result.processed,
        "failed": result.failed,
        "left": result.left,
        "dispatched": result.dispatched,
    }


@shared_task(name="eventstore.inbound.tasks.recover_stalled", **RETRY_SCHEDULED_CHECK)
def recover_stalled() -> str:
    """Beat task: finish the batches whose worker died (their lease ran out)."""
    return batches_recover().summary()


# A lost or failed run costs nothing: the batch stays RECEIVED and unleased, and recovery
# takes it once it is older than a lease; a few quick retries cover a passing outage.
@shared_task(name="eventstore.inbound.tasks.process_batch", **RETRY_SCHEDULED_CHECK)
def process_batch(batch_id: int) -> str:
    """Process a batch registered without processing (a large API submission): id only."""
    batch = batch_take_over(batch_id=batch_id)
    return "taken by another worker or finished" if batch is None else batch.status
