"""Reversing an inbound enrollment batch with compensating events.

``batch_reverse`` appends one ``<Type>Reversed`` event per event of the batch, newest first,
in ONE transaction, as its own auditable batch (a ``TransactionBatch`` with channel
"system") and records a :class:`BatchReversal`. Once per batch: checked under the batch's row
lock and backed by unique constraints (the reversal batch's sha256 is derived from the
original's id; a batch has at most one reversal record). The fold voids reversed events, so
the projections afterwards equal those of the history without the batch (later batches kept).

A crash anywhere inside leaves nothing: batch, events and record commit together.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from edi_platform.core.actors import actor_label
from eventstore.ledger.events.schemas import REVERSAL_SUFFIX
from eventstore.ledger.services.events import NewEvent, events_append
from eventstore.models import (
    BatchChannel,
    BatchReversal,
    BatchStatus,
    DomainEvent,
    TransactionBatch,
)

logger = logging.getLogger(__name__)


class ReversalError(Exception):
    """The batch cannot be reversed (message for an operator; no PHI)."""


def reversal_blockers(batch: TransactionBatch) -> list[str]:
    """Why this batch cannot be reversed ([] = it can)."""
    problems = []
    if BatchReversal.objects.filter(batch=batch).exists():
        problems.append(f"batch {batch.pk} has already been reversed")
    if BatchReversal.objects.filter(reversal_batch=batch).exists():
        problems.append(f"batch {batch.pk} is itself a reversal and cannot be reversed")
    elif not DomainEvent.objects.filter(batch=batch, is_reversal=False).exists():
        problems.append(f"batch {batch.pk} produced no enrollment events")
    return problems


def batch_reverse(*, batch_id: int, reason: str, acting_user: Any = None) -> BatchReversal:
    """Reverse every event of batch ``batch_id`` (newest first) in one transaction.

    ``acting_user`` is the operator (None: an operator at a shell, recorded as
    ``cli:<os user>``). Raises :class:`ReversalError` when the batch is unknown, already reversed, a
    reversal itself, or has no events.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReversalError("a reason is required")
    with transaction.atomic():
        batch = TransactionBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise ReversalError(f"batch {batch_id} does not exist")
        problems = reversal_blockers(batch)
        if problems:
            raise ReversalError("; ".join(problems))
        originals = list(
            DomainEvent.objects.filter(batch=batch, is_reversal=False)
            .order_by("-position")
            .values_list("position", "event_id", "aggregate_id", "event_type")
        )
        now = timezone.now()
        try:
            with transaction.atomic():
                reversal_batch = TransactionBatch.objects.create(
                    original_name=f"reversal of batch {batch.pk}",
                    partner=batch.partner,
                    sha256=hashlib.sha256(f"reversal-of-batch:{batch.pk}".encode()).hexdigest(),
                    size=0,
                    channel=BatchChannel.SYSTEM,
                    status=BatchStatus.ACCEPTED,
                    status_reason=(
                        f"Reversal of batch {batch.pk}: {len(originals)} events compensated."
                    ),
                    processed_at=now,
                    report={"reversal_of_batch": batch.pk, "events": len(originals)},
                )
        except IntegrityError:
            # the reversal's batch is named after the original (sha256 is unique), so a
            # second reversal that got past the check above stops here, before any event
            raise ReversalError(f"batch {batch.pk} has already been reversed") from None
        correlation = str(uuid.uuid4())
        new_events = [
            NewEvent(
                aggregate_id=aggregate_id,
                event_type=event_type + REVERSAL_SUFFIX,
                data={
                    "reverses_event_id": str(event_id),
                    "reverses_position": position,
                    "reverses_type": event_type,
                },
                metadata={
                    "batch_id": reversal_batch.pk,
                    "reversal_of_batch": batch.pk,
                    "correlation_id": correlation,
                },
                occurred_at=now,
                batch_id=reversal_batch.pk,
                reverses=position,
            )
            for position, event_id, aggregate_id, event_type in originals
        ]
        appended = events_append(events=new_events)
        record = BatchReversal.objects.create(
            batch=batch,
            reversal_batch=reversal_batch,
            reason=reason,
            acting_user=acting_user,
            actor=actor_label(acting_user),
            events_reversed=len(appended),
            first_position=appended[0].position,
            last_position=appended[-1].position,
        )
    logger.info(
        "batch %s reversed by batch %s: %d events, positions %d..%d",
        batch.pk,
        reversal_batch.pk,
        len(appended),
        appended[0].position,
        appended[-1].position,
    )
    return record
