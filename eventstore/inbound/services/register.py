"""Registering a received file (steps 2-3 of :mod:`.ingest`): store the raw copy, then commit
the RECEIVED batch row. Shared by the two-phase ingest (which processes the batch next, under
its lease) and :func:`.ingest.ingest_register` (which leaves it to a queued task).

Crash semantics: the raw copy is written before the row, so a committed batch always has its
file; a crash between the two leaves only the copy (its name embeds the sha256: the next
ingest of the same bytes reuses it). A batch committed without a lease that nobody takes
(the task lost, the worker dead) is taken by recovery once it is older than a lease.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, connection, transaction

from edi_platform.x12.peek import IsaHead
from eventstore.inbound import storage
from eventstore.inbound.models import TransactionBatch
from eventstore.inbound.storage import Opener, raw_path

from . import sql
from .lease import lease_seconds

__all__ = ["batch_register"]

logger = logging.getLogger(__name__)


def batch_register(
    *, candidate: TransactionBatch, head: IsaHead | None, opener: Opener, leased: bool
) -> TransactionBatch | None:
    """Store the raw copy and commit ``candidate`` (an unsaved RECEIVED batch); None when the
    same bytes were registered before (maybe by a concurrent process a moment ago).

    ``leased``: the caller processes the batch next and holds its lease from the start
    (renewed while it works, see :mod:`.lease`); without it the batch waits, unleased, for
    whoever takes its lease first (the queued task, or recovery).
    """
    registered_id, partner = sql.registered_and_partner(candidate.sha256, head)
    if registered_id is not None:
        return None
    candidate.partner = partner
    candidate.storage_path = raw_path(
        partner_code=partner.code if partner else None,
        received_at=candidate.received_at,
        sha256=candidate.sha256,
        name=candidate.original_name,
    )
    storage.raw_store(opener=opener, path=candidate.storage_path)  # before the row
    if leased:
        candidate.lease_expires_at = candidate.received_at + timedelta(seconds=lease_seconds())
        candidate.processing_attempts = 1
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint keeps the caller's transaction usable
                candidate.save(force_insert=True)
        else:
            candidate.save(force_insert=True)  # one statement: atomic on its own
    except IntegrityError:
        return None  # another process registered the same bytes a moment ago: it owns them
    logger.info(
        "inbound batch %s registered (channel %s, %d bytes)",
        candidate.pk,
        candidate.channel,
        candidate.size,
    )
    return candidate
