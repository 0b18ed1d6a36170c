"""Operator "Reprocess": finish a batch stopped for a transient reason, a FAILED batch once its
cause is fixed, or a batch whose partner was unknown."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from edi_platform.core.actors import actor_label
from eventstore.inbound.models import (
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)

from .ingest import batch_resume
from .lease import lease_seconds
from .result import IngestResult

__all__ = ["ReprocessRefused", "batch_reprocess", "reprocess_refusal"]

logger = logging.getLogger(__name__)

# Batches processed again from their stored raw file.
REVALIDATED_STATUSES = frozenset(
    {BatchStatus.RECEIVED, BatchStatus.UNKNOWN_PARTNER, BatchStatus.FAILED}
)
# Batches whose failed (or never finished) routing is retried. A REJECTED batch is routed
# too when a handler records the sets the 999 rejected (the 837 claim registry).
ROUTED_STATUSES = frozenset(
    {BatchStatus.ACCEPTED, BatchStatus.PARTIALLY_ACCEPTED, BatchStatus.REJECTED}
)


class ReprocessRefused(Exception):
    """The batch is final, or another worker is processing it right now."""


def reprocess_refusal(batch: TransactionBatch) -> str | None:
    """Why ``batch`` cannot be reprocessed, or None when it can (shown on the confirmation page)."""
    if batch.lease_expires_at is not None and batch.lease_expires_at > timezone.now():
        return "another worker is processing it right now"
    if batch.status in REVALIDATED_STATUSES:
        return None
    retry = batch.status in ROUTED_STATUSES and (
        batch.headers.filter(
            routing_status__in=[RoutingStatus.FAILED, RoutingStatus.PENDING]
        ).exists()
    )
    if retry:
        return None
    if batch.status in ROUTED_STATUSES and batch.status != BatchStatus.REJECTED:
        return "every accepted transaction set is already routed"
    return (
        f"{BatchStatus(batch.status).label.lower()} is final: the same bytes would get the "
        "same answer (ask the partner for a corrected file with a new ISA13)"
    )


def batch_reprocess(*, batch_id: int, acting_user: Any) -> IngestResult:
    """Reprocess one batch from its stored raw file, recording who asked and when.

    * UNKNOWN_PARTNER / RECEIVED (interrupted) / FAILED: validated again, outcomes staged,
      routed;
    * ACCEPTED / PARTIALLY_ACCEPTED with FAILED or PENDING sets: those sets are routed again.

    Steps: (1) one transaction checks the batch, takes its lease (this is a fresh start: the
    attempts count from 1) and records who asked; (2) the batch is processed or routed under
    the lease (:func:`.ingest.batch_resume`). A crash after (1) leaves the batch leased by a
    dead worker: recovery takes it over when the lease runs out.

    Raises :class:`ReprocessRefused` for final batches (REJECTED, DUPLICATE, fully routed)
    and for a batch another worker holds. Outcomes are staged with the same dedupe keys, so
    a partner is never answered twice.
    """
    username = actor_label(acting_user)
    with transaction.atomic():
        batch = TransactionBatch.objects.select_for_update().get(pk=batch_id)
        refusal = reprocess_refusal(batch)
        if refusal is not None:
            raise ReprocessRefused(f"batch {batch.pk}: {refusal}")
        if batch.status in REVALIDATED_STATUSES:
            batch.status = BatchStatus.RECEIVED
            batch.status_reason = "reprocessing"
        else:
            TransactionHeader.objects.filter(
                batch=batch, routing_status=RoutingStatus.FAILED
            ).update(routing_status=RoutingStatus.PENDING, routing_result="")
        batch.reprocess_count += 1
        batch.last_reprocessed_at = timezone.now()
        batch.last_reprocessed_by = username
        batch.processing_attempts = 1
        batch.lease_expires_at = timezone.now() + timedelta(seconds=lease_seconds())
        batch.save(
            update_fields=[
                "status",
                "status_reason",
                "reprocess_count",
                "last_reprocessed_at",
                "last_reprocessed_by",
                "processing_attempts",
                "lease_expires_at",
            ]
        )
    logger.info("inbound batch %s: reprocess requested by %s", batch.pk, username)
    batch = batch_resume(batch=batch)
    return IngestResult.from_batch(batch, file=batch.original_name, already=False)
