"""Operator "Reprocess": finish a batch stopped for a transient reason or an unknown partner."""

from __future__ import annotations

import logging
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

from .ingest import batch_process
from .result import IngestResult
from .routing import batch_route_pending

__all__ = ["ReprocessRefused", "batch_reprocess", "reprocess_refusal"]

logger = logging.getLogger(__name__)

# Batches processed again from their stored raw file.
REVALIDATED_STATUSES = frozenset({BatchStatus.RECEIVED, BatchStatus.UNKNOWN_PARTNER})
# Batches whose failed (or never finished) routing is retried.
ROUTED_STATUSES = frozenset({BatchStatus.ACCEPTED, BatchStatus.PARTIALLY_ACCEPTED})


class ReprocessRefused(Exception):
    """The batch is final: reprocessing the same bytes would give the same answer."""


def reprocess_refusal(batch: TransactionBatch) -> str | None:
    """Why ``batch`` cannot be reprocessed, or None when it can (shown on the confirmation page)."""
    if batch.status in REVALIDATED_STATUSES:
        return None
    if batch.status in ROUTED_STATUSES:
        retry = batch.headers.filter(
            routing_status__in=[RoutingStatus.FAILED, RoutingStatus.PENDING]
        ).exists()
        return None if retry else "every accepted transaction set is already routed"
    return (
        f"{BatchStatus(batch.status).label.lower()} is final: the same bytes would get the "
        "same answer (ask the partner for a corrected file with a new ISA13)"
    )


def batch_reprocess(*, batch_id: int, acting_user: Any) -> IngestResult:
    """Reprocess one batch from its stored raw file, recording who asked and when.

    * UNKNOWN_PARTNER / RECEIVED (interrupted): validated again, outcomes staged, routed;
    * ACCEPTED / PARTIALLY_ACCEPTED with FAILED or PENDING sets: those sets are routed again.

    Raises :class:`ReprocessRefused` for final batches (REJECTED, DUPLICATE, fully routed).
    Outcomes are staged with the same dedupe keys, so a partner is never answered twice.
    """
    username = actor_label(acting_user)
    with transaction.atomic():
        batch = TransactionBatch.objects.select_for_update().get(pk=batch_id)
        refusal = reprocess_refusal(batch)
        if refusal is not None:
            raise ReprocessRefused(f"batch {batch.pk}: {refusal}")
        revalidate = batch.status in REVALIDATED_STATUSES
        if revalidate:
            batch.status = BatchStatus.RECEIVED
            batch.status_reason = "reprocessing"
        else:
            TransactionHeader.objects.filter(
                batch=batch, routing_status=RoutingStatus.FAILED
            ).update(routing_status=RoutingStatus.PENDING, routing_result="")
        batch.reprocess_count += 1
        batch.last_reprocessed_at = timezone.now()
        batch.last_reprocessed_by = username
        batch.save(
            update_fields=[
                "status",
                "status_reason",
                "reprocess_count",
                "last_reprocessed_at",
                "last_reprocessed_by",
            ]
        )
    logger.info("inbound batch %s: reprocess requested by %s", batch.pk, username)
    if revalidate:
        batch = batch_process(batch=batch)
    else:
        batch_route_pending(batch=batch)
        batch.refresh_from_db()
    return IngestResult.from_batch(batch, file=batch.original_name, already=False)
