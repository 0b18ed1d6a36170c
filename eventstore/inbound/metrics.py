"""Inbound's series in ``/metrics`` (see :mod:`edi_platform.core.metrics`): files ingested
and their processing time by partner, transaction type and verdict (counted when the final
status commits), the batches waiting for processing or for an operator, and the inbound
storage in ``/healthz``. Labels: partner codes (the registry), transaction types (GS01 ->
ST01), statuses (fixed choices)."""

from __future__ import annotations

from collections.abc import Iterable

from edi_platform.core.health import HealthCheck, register_check, storage_writable
from edi_platform.core.metrics import bounded, counter, gauge, histogram, register_metrics
from eventstore.inbound.models import BatchStatus, TransactionBatch
from eventstore.inbound.selectors import (
    batch_status_counts,
    batch_transaction_types,
    transaction_type_of,
)

LABELS = ("partner", "type", "verdict")
FILES = counter("edi_inbound_files_total", "Inbound files processed to a final status.", LABELS)
SECONDS = histogram(
    "edi_inbound_processing_seconds",
    "Time from receipt to the final status of an inbound file (seconds).",
    LABELS,
)


def ingest_observed(batch: TransactionBatch) -> None:
    """Count one file whose final status just committed (ids and codes only)."""
    partner = batch.partner.code if batch.partner_id else "_unknown"
    groups = ((batch.report or {}).get("interchanges") or [{}])[0].get("groups") or [{}]
    kind = bounded(transaction_type_of(groups[0].get("gs01")), batch_transaction_types())
    verdict = bounded(batch.status, BatchStatus.values)
    FILES.labels(partner, kind, verdict).inc()
    if batch.processing_ms is not None:
        SECONDS.labels(partner, kind, verdict).observe(batch.processing_ms / 1000)


def _state() -> Iterable:
    statuses = [BatchStatus.RECEIVED, BatchStatus.FAILED, BatchStatus.UNKNOWN_PARTNER]
    counts = batch_status_counts(statuses=statuses)
    yield gauge(
        "edi_inbound_batches",
        "Inbound batches still processing (RECEIVED), FAILED (an operator must reprocess) "
        "or from unknown senders.",
        [((status,), counts[status]) for status in statuses],
        labels=("status",),
    )


register_metrics("inbound", _state)
register_check(HealthCheck("storage.inbound", lambda: storage_writable("inbound"), order=20))
