"""Reads of the control-number store: numbers of a file, counter status, gaps, alerts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .domain import EnvelopeNumbers
from .gaps import Gap, GapReport, gap_report
from .models import (
    AuditStatus,
    ControlNumberAlert,
    ControlNumberAudit,
    ControlNumberCounter,
    CounterType,
)

__all__ = [
    "CounterStatus",
    "Gap",
    "GapReport",
    "alerts_open",
    "counter_status",
    "critical_threshold",
    "gap_report",
    "numbers_for_file",
    "utilization_level",
    "warning_threshold",
]

DEFAULT_WARNING_PERCENT = 90.0
DEFAULT_CRITICAL_PERCENT = 95.0


def warning_threshold() -> float:
    """``CONTROL_NUMBER_WARNING_PERCENT`` (default 90): utilization that raises a WARNING."""
    return float(getattr(settings, "CONTROL_NUMBER_WARNING_PERCENT", DEFAULT_WARNING_PERCENT))


def critical_threshold() -> float:
    """``CONTROL_NUMBER_CRITICAL_PERCENT`` (default 95): utilization that is CRITICAL."""
    return float(getattr(settings, "CONTROL_NUMBER_CRITICAL_PERCENT", DEFAULT_CRITICAL_PERCENT))


def utilization_level(percent: float) -> str:
    """ "OK", "WARNING" or "CRITICAL" for a utilization percentage."""
    if percent >= critical_threshold():
        return "CRITICAL"
    if percent >= warning_threshold():
        return "WARNING"
    return "OK"


def numbers_for_file(*, outbound_file_id: uuid.UUID) -> EnvelopeNumbers | None:
    """The ISA13 / GS06 / ST02s allocated to an outbound file (any status), or None."""
    rows = list(
        ControlNumberAudit.objects.filter(outbound_file_id=outbound_file_id)
        .exclude(status=AuditStatus.RESET)
        .values_list("counter__counter_type", "number")
        .order_by("number")
    )
    isa = [n for t, n in rows if t == CounterType.ISA]
    if not isa:
        return None
    gs = [n for t, n in rows if t == CounterType.GS]
    return EnvelopeNumbers(
        isa13=isa[0],
        gs06=gs[0] if gs else None,
        st02s=[n for t, n in rows if t == CounterType.ST],
        outbound_file_id=outbound_file_id,
    )


@dataclass(frozen=True)
class CounterStatus:
    counter_id: int
    partner_code: str
    transaction_type: str
    counter_type: str
    epoch: int
    current_value: int
    max_value: int
    percent: float
    remaining: int
    last_increment_at: datetime | None
    allocations_last_hour: int
    level: str  # OK | WARNING | CRITICAL

    @property
    def label(self) -> str:
        return f"{self.partner_code}/{self.transaction_type}/{self.counter_type}"

    def as_dict(self) -> dict:
        return {
            "partner": self.partner_code,
            "transaction_type": self.transaction_type,
            "counter_type": self.counter_type,
            "epoch": self.epoch,
            "current_value": self.current_value,
            "max_value": self.max_value,
            "percent": round(self.percent, 4),
            "remaining": self.remaining,
            "last_increment_at": (
                self.last_increment_at.isoformat() if self.last_increment_at else None
            ),
            "allocations_last_hour": self.allocations_last_hour,
            "level": self.level,
        }


def counter_status(*, partner_code: str | None = None) -> list[CounterStatus]:
    """Every counter's position, utilization level and allocations in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    counters = ControlNumberCounter.objects.all()
    if partner_code:
        counters = counters.filter(partner_code=partner_code)
    recent = dict(
        ControlNumberAudit.objects.filter(counter__in=counters, issued_at__gte=since)
        .exclude(status=AuditStatus.RESET)
        .values("counter_id")
        .annotate(n=Count("id"))
        .values_list("counter_id", "n")
    )
    out = []
    for c in counters.order_by("partner_code", "transaction_type", "counter_type"):
        percent = c.utilization
        out.append(
            CounterStatus(
                counter_id=c.id,
                partner_code=c.partner_code,
                transaction_type=c.transaction_type,
                counter_type=c.counter_type,
                epoch=c.epoch,
                current_value=c.current_value,
                max_value=c.max_value,
                percent=percent,
                remaining=c.remaining,
                last_increment_at=c.last_increment_at,
                allocations_last_hour=recent.get(c.id, 0),
                level=utilization_level(percent),
            )
        )
    return out


def alerts_open(*, kind: str | None = None) -> QuerySet[ControlNumberAlert]:
    """Open (unresolved) alerts, newest first."""
    qs = ControlNumberAlert.objects.filter(resolved_at__isnull=True)
    return qs.filter(Q(kind=kind)) if kind else qs


def files_with_number(*, number: int, counter_type: str, limit: int = 50) -> list[uuid.UUID]:
    """Outbound file ids that were issued ``number`` by a counter of ``counter_type`` (any
    partner, any epoch; the audit's (counter, number, epoch) index, probed per counter)."""
    counter_ids = list(
        ControlNumberCounter.objects.filter(counter_type=counter_type).values_list("id", flat=True)
    )
    if not counter_ids:
        return []
    return list(
        ControlNumberAudit.objects.filter(counter_id__in=counter_ids, number=number)
        .exclude(status=AuditStatus.RESET)
        .exclude(outbound_file_id__isnull=True)
        .values_list("outbound_file_id", flat=True)
        .distinct()[:limit]
    )


def counters_near_rollover() -> list[CounterStatus]:
    """Counters at WARNING or CRITICAL utilization, fullest first."""
    found = [c for c in counter_status() if c.level != "OK"]
    return sorted(found, key=lambda c: -c.percent)


def open_alert_counts() -> dict[tuple[str, str], int]:
    """Open alerts per (kind, severity)."""
    rows = (
        ControlNumberAlert.objects.filter(resolved_at__isnull=True)
        .values_list("kind", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(kind, severity): n for kind, severity, n in rows}
