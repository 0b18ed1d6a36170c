"""Control numbers' series in ``/metrics`` (see :mod:`edi_platform.core.metrics`): the
allocation latency and retries (updated by every allocation), and, read when scraped, the
open gap / rollover alerts and the counters nearing rollover."""

from __future__ import annotations

from collections.abc import Iterable

from edi_platform.core.metrics import counter, gauge, histogram, register_metrics

from .models import AlertKind, AlertSeverity

ALLOCATION_SECONDS = histogram(
    "edi_allocation_seconds",
    "Time to allocate one envelope or block of control numbers (retries included), seconds.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ALLOCATION_RETRIES = counter(
    "edi_allocation_retries_total",
    "Allocation transactions retried (deadlock, serialization failure, lost connection).",
)


def allocation_observed(*, seconds: float, retries: int) -> None:
    ALLOCATION_SECONDS.observe(seconds)
    if retries:
        ALLOCATION_RETRIES.inc(retries)


def _state() -> Iterable:
    from .selectors import counters_near_rollover, open_alert_counts

    alerts = open_alert_counts()
    yield gauge(
        "edi_control_number_alerts_open",
        "Open control-number alerts (gaps, rollover) by kind and severity.",
        [
            ((kind.value, severity.value), alerts.get((kind.value, severity.value), 0))
            for kind in AlertKind
            for severity in AlertSeverity
        ],
        labels=("kind", "severity"),
    )
    near = counters_near_rollover()
    yield gauge(
        "edi_counters_near_rollover",
        "Control-number counters at WARNING or CRITICAL utilization.",
        [((level,), sum(1 for c in near if c.level == level)) for level in ("WARNING", "CRITICAL")],
        labels=("level",),
    )


register_metrics("controlnumbers", _state)
