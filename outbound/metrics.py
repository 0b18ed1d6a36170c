"""Outbound's series in ``/metrics`` (see :mod:`edi_platform.core.metrics`) and its checks
in ``/healthz``: files assembled by response type and result with the time each group
took, and, read when scraped, what is owed and how much of it breaches its SLA, the outbox
depth, dead letters and quarantined files. Labels: response types (the responder
registry) and results (fixed)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count
from django.utils import timezone

from edi_platform.core.health import CheckResult, HealthCheck, register_check, storage_writable
from edi_platform.core.metrics import bounded, counter, gauge, histogram, register_metrics

RESULTS = ("persisted", "quarantined", "failed")
FILES = counter(
    "edi_assembly_files_total",
    "Outbound files assembled, by response type and result (failed: outcomes released).",
    ("type", "result"),
)
OUTCOMES = counter(
    "edi_assembly_outcomes_total",
    "Outcomes taken by assembly, by response type and result.",
    ("type", "result"),
)
SECONDS = histogram(
    "edi_assembly_seconds",
    "Time to assemble one group (allocate, render, validate, store, finish), seconds.",
    ("type",),
)


def _types() -> list[str]:
    from outbound.responders import response_types

    return response_types()


def assembly_observed(
    *, response_type: str, status: str | None, outcomes: int, seconds: float
) -> None:
    """Count one assembled group (``status`` None: it failed and was released)."""
    kind = bounded(response_type, _types())
    result = (
        "failed" if status is None else ("quarantined" if status == "QUARANTINED" else "persisted")
    )
    FILES.labels(kind, result).inc()
    OUTCOMES.labels(kind, result).inc(outcomes)
    SECONDS.labels(kind).observe(seconds)


def _state() -> Iterable:
    from outbound.models import (
        OutboundFileStatus,
        OutboxMessage,
        OutboxStatus,
        OutcomeStatus,
        ProcessingOutcome,
        QuarantinedFile,
    )
    from outbound.selectors import sla_breached_q

    types = _types()
    owed_rows = (
        ProcessingOutcome.objects.filter(status__in=[OutcomeStatus.PENDING, OutcomeStatus.CLAIMED])
        .values("response_type")
        .annotate(n=Count("id"), breached=Count("id", filter=sla_breached_q(timezone.now())))
        .order_by()
    )
    owed = {t: [0, 0] for t in types}
    for row in owed_rows:
        entry = owed.setdefault(bounded(row["response_type"], types), [0, 0])
        entry[0] += row["n"]
        entry[1] += row["breached"]
    yield gauge(
        "edi_outcomes_owed",
        "Acknowledgments and responses staged and not yet assembled.",
        [((t,), v[0]) for t, v in sorted(owed.items())],
        labels=("type",),
    )
    yield gauge(
        "edi_sla_breaches",
        "Outcomes still owed whose age is past their response type's SLA.",
        [((t,), v[1]) for t, v in sorted(owed.items())],
        labels=("type",),
    )
    outbox = dict(
        OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    yield gauge(
        "edi_outbox_depth",
        "'File ready' messages waiting to be published.",
        [((), outbox.get(OutboxStatus.PENDING, 0))],
    )
    yield gauge(
        "edi_dead_letters",
        "Outbox messages that gave up (DEAD): resubmit them once the cause is fixed.",
        [((), outbox.get(OutboxStatus.DEAD, 0))],
    )
    quarantined = QuarantinedFile.objects.filter(
        status=OutboundFileStatus.QUARANTINED, reprocessed_as__isnull=True
    ).count()
    yield gauge(
        "edi_quarantined_files",
        "Outbound files quarantined (failed validation) and not reprocessed yet.",
        [((), quarantined)],
    )


def _redis() -> CheckResult:
    import redis

    from outbound.services.outbox import outbox_redis_url

    url = outbox_redis_url()
    if not url:
        return CheckResult(ok=True, detail={"configured": False})
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return CheckResult(ok=bool(client.ping()), detail={"configured": True})
    finally:
        client.close()


register_metrics("outbound", _state)
register_check(HealthCheck("storage.outbound", lambda: storage_writable("outbound"), order=21))
register_check(HealthCheck("redis", _redis, order=10))
