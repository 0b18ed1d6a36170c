"""Recovery of abandoned inbound batches (the scheduled task ``inbound: recover stalled``).

A committed batch that is not finished (RECEIVED, or accepted with sets still PENDING) is
always leased by a live worker; when that worker dies its lease runs out. Each run:

1. lists such stalled batches (:func:`.lease.stalled_batch_ids`);
2. takes each one's lease with one conditional UPDATE (so two recoveries, or a recovery and a
   re-ingest, never work on the same batch) - this counts an attempt;
3. finishes it under the lease (:func:`.ingest.batch_resume`): processed when RECEIVED
   (TA1/999 staged with the same dedupe keys: never twice), else its pending sets routed.

A crash during a run leaves the batch leased again by a dead worker: the next run takes it
over. After ``INBOUND_MAX_PROCESSING_ATTEMPTS`` failed attempts a batch is FAILED and left to
an operator (batch list, "Failed" filter; Reprocess once the cause is fixed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from eventstore.inbound.models import BatchStatus, TransactionBatch

from .ingest import batch_resume
from .lease import lease_take, stalled_batch_ids

__all__ = ["RecoveryResult", "batch_take_over", "batches_recover"]

logger = logging.getLogger(__name__)


@dataclass
class RecoveryResult:
    finished: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # FAILED now: an operator looks at them
    retrying: list[int] = field(default_factory=list)  # still RECEIVED: tried again later
    skipped: int = 0  # taken over by another worker meanwhile

    def summary(self) -> str:
        return (
            f"{len(self.finished)} stalled batch(es) finished, {len(self.retrying)} to retry, "
            f"{len(self.failed)} failed (need an operator), {self.skipped} taken by another worker"
        )


def batches_recover(*, now: datetime | None = None, limit: int = 100) -> RecoveryResult:
    """Finish the batches dead workers left unfinished (safe at any time, concurrently)."""
    now = now or timezone.now()
    result = RecoveryResult()
    for batch_id in stalled_batch_ids(now=now, limit=limit):
        batch = batch_take_over(batch_id=batch_id, now=now)
        if batch is None:
            result.skipped += 1
            continue
        logger.info("inbound recovery: batch %s taken over", batch_id)
        if batch.status == BatchStatus.FAILED:
            result.failed.append(batch_id)
        elif batch.status == BatchStatus.RECEIVED:
            result.retrying.append(batch_id)
        else:
            result.finished.append(batch_id)
    if result.finished or result.failed or result.retrying:
        logger.info("inbound recovery: %s", result.summary())
    return result


def batch_take_over(*, batch_id: int, now: datetime | None = None) -> TransactionBatch | None:
    """Take the lease of an unfinished batch and finish it under that lease (recovery, and
    the task queued for a large API submission). None when it is finished already, FAILED,
    or another worker holds its lease: exactly one of them does the work."""
    if not lease_take(batch_id=batch_id, now=now):
        return None
    batch = TransactionBatch.objects.select_related("partner").get(pk=batch_id)
    return batch_resume(batch=batch)
