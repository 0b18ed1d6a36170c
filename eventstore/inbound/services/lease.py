"""The processing lease of a batch: who is working on it, and proof that they are alive.

A worker that processes or routes a committed batch holds its lease: ``lease_expires_at`` in
the future, pushed forward by a heartbeat thread (its own database connection) every third
of ``INBOUND_LEASE_SECONDS`` for as long as the work runs. A worker killed at any point stops
renewing, so its lease runs out within ``INBOUND_LEASE_SECONDS``: that, not a guess from
the batch's age, is what tells recovery the batch was abandoned. Taking a lease is one
conditional UPDATE (only when nobody holds a live one), so of several recoveries, reprocess
clicks and re-ingests of the same bytes exactly one works on a batch at a time; each take
counts as a processing attempt. A failed attempt releases the lease with a ``retry_after``
(a backoff) that recovery waits for; after ``INBOUND_MAX_PROCESSING_ATTEMPTS`` the
batch is FAILED and left to an operator.

Single-transaction ingest needs no lease: its batch row is not visible to anyone until it
commits finished, and a crash leaves no row at all.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from edi_platform.x12.logsafe import exception_summary
from eventstore.inbound.models import (
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)

__all__ = [
    "Lease",
    "attempt_interrupted",
    "lease_break",
    "lease_seconds",
    "lease_take",
    "leased",
    "max_attempts",
    "stalled_batch_ids",
]

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return max(3, int(settings.INBOUND_LEASE_SECONDS))


def max_attempts() -> int:
    return max(1, int(settings.INBOUND_MAX_PROCESSING_ATTEMPTS))


def _unfinished() -> Q:
    """A batch is unfinished while RECEIVED or while accepted sets wait to be routed."""
    pending = TransactionHeader.objects.filter(
        batch_id=OuterRef("pk"), routing_status=RoutingStatus.PENDING
    )
    return Q(status=BatchStatus.RECEIVED) | (~Q(status=BatchStatus.FAILED) & Q(Exists(pending)))


def _free(now: datetime) -> Q:
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)


def lease_take(*, batch_id: int, now: datetime | None = None) -> bool:
    """Take the lease of an unfinished batch nobody works on (one conditional UPDATE);
    counts an attempt. False: finished, FAILED, or somebody holds a live lease."""
    now = now or timezone.now()
    taken = (
        TransactionBatch.objects.filter(_unfinished(), _free(now), pk=batch_id)
        .exclude(status=BatchStatus.FAILED)
        .update(
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            processing_attempts=F("processing_attempts") + 1,
        )
    )
    return taken == 1


def lease_break(*, batch_id: int) -> None:
    """Clear the lease of a batch whose holder the caller KNOWS is dead (a resumed ingestion
    run whose previous process is gone): its work need not wait for the lease to run out."""
    TransactionBatch.objects.filter(pk=batch_id).update(lease_expires_at=None)


def stalled_batch_ids(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Unfinished batches nobody works on: their lease ran out (a dead worker, or the wait
    after a failed attempt is over), or they never had one (committed before this scheme,
    or by a worker that died before its first heartbeat) and are older than a lease."""
    now = now or timezone.now()
    stale_since = now - timedelta(seconds=lease_seconds())
    never_leased = Q(lease_expires_at__isnull=True) & (
        Q(processed_at__lt=stale_since) | Q(processed_at__isnull=True, received_at__lt=stale_since)
    )
    return list(
        TransactionBatch.objects.filter(_unfinished())
        .exclude(status=BatchStatus.FAILED)
        .filter(Q(lease_expires_at__lt=now) | never_leased)
        .filter(Q(retry_after__isnull=True) | Q(retry_after__lt=now))
        .order_by("lease_expires_at", "id")
        .values_list("id", flat=True)[:limit]
    )


class Lease:
    """Handed to the block of :func:`leased`: ``failed()`` marks the attempt failed."""

    __slots__ = ("batch_id", "ok")

    def __init__(self, batch_id: int) -> None:
        self.batch_id, self.ok = batch_id, True

    def failed(self) -> None:
        self.ok = False


@contextlib.contextmanager
def leased(batch_id: int) -> Iterator[Lease]:
    """Keep the lease of ``batch_id`` alive while the block runs (the caller holds it).

    On a normal exit the lease is released (nobody works on it any more); when the block
    raises or calls ``lease.failed()``, it is released with a ``retry_after`` that grows with
    the attempts, so recovery waits a little before the next one (an operator need not).
    The heartbeat thread uses its own database connection and ends with the block (or with
    the process). Inside a caller's transaction there is no heartbeat: nobody else sees the
    batch before that transaction ends, and a second connection would only wait on this
    one's row locks.
    """
    lease = Lease(batch_id)
    stop = threading.Event()
    beat = None
    if not connection.in_atomic_block:
        beat = threading.Thread(
            target=_heartbeat,
            args=(batch_id, lease_seconds(), stop),
            name=f"lease-{batch_id}",
            daemon=True,
        )
        beat.start()
    try:
        yield lease
    except BaseException:
        lease.failed()
        raise
    finally:
        stop.set()
        if beat is not None:
            beat.join()
        try:
            _release(batch_id, failed=not lease.ok)
        except Exception as exc:  # the database is gone: the lease simply runs out
            logger.warning("inbound batch %s: lease not released: %s", batch_id, type(exc).__name__)


def _release(batch_id: int, *, failed: bool) -> None:
    if not failed:
        TransactionBatch.objects.filter(pk=batch_id).update(lease_expires_at=None, retry_after=None)
        return
    attempts = (
        TransactionBatch.objects.filter(pk=batch_id)
        .values_list("processing_attempts", flat=True)
        .first()
        or 1
    )
    wait = timedelta(seconds=lease_seconds() * min(attempts, 10))
    TransactionBatch.objects.filter(pk=batch_id).update(
        lease_expires_at=None, retry_after=timezone.now() + wait
    )


def _heartbeat(batch_id: int, seconds: int, stop: threading.Event) -> None:
    try:
        while not stop.wait(seconds / 3):
            TransactionBatch.objects.filter(pk=batch_id).update(
                lease_expires_at=timezone.now() + timedelta(seconds=seconds)
            )
    except Exception as exc:  # the worker goes on; a lease that runs out is recovered
        logger.warning("inbound batch %s: heartbeat stopped: %s", batch_id, exception_summary(exc))
    finally:
        connections.close_all()  # this thread's own connection


def attempt_interrupted(*, batch: TransactionBatch, exc: Exception) -> None:
    """The attempt failed: the batch stays RECEIVED with the reason (recovery tries again
    after a backoff), or becomes FAILED once it has had its attempts."""
    # the class and frames only: the message may quote the file's data
    logger.error("inbound batch %s: processing interrupted: %s", batch.pk, exception_summary(exc))
    attempts = max(batch.processing_attempts, 1)
    if attempts >= max_attempts():
        status = BatchStatus.FAILED
        reason = (
            f"Processing failed ({type(exc).__name__}) after {attempts} attempt(s); the raw "
            "file is stored. Fix the cause, then use Reprocess."
        )
    else:
        status = BatchStatus.RECEIVED
        reason = (
            f"Processing was interrupted ({type(exc).__name__}); the raw file is stored. It "
            "is retried automatically; Reprocess retries it now."
        )
    try:
        TransactionBatch.objects.filter(pk=batch.pk, status=BatchStatus.RECEIVED).update(
            status=status, status_reason=reason
        )
        batch.refresh_from_db()
    except Exception as down:  # the database itself is down: the caller still gets a result
        logger.error(
            "inbound batch %s: could not record the interruption: %s",
            batch.pk,
            exception_summary(down),
        )
        batch.status, batch.status_reason = BatchStatus.RECEIVED, reason
