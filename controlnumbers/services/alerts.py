"""Alerts of the scheduled checks: each finding becomes (or refreshes) one open alert,
deduplicated by key, and resolves itself when the finding goes away."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..gaps import gap_report
from ..models import AlertKind, AlertSeverity, ControlNumberAlert
from ..selectors import counter_status

logger = logging.getLogger(__name__)


# --- alerts ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One thing a scheduled check found (becomes or refreshes an Alert row)."""

    key: str
    severity: str
    message: str
    counter_id: int | None = None


@dataclass
class AlertSyncResult:
    raised: int = 0
    refreshed: int = 0
    resolved: int = 0


def alerts_sync(*, kind: str, findings: Iterable[Finding]) -> AlertSyncResult:
    """Record the findings of one check: new -> alert raised (and logged), still there ->
    last seen refreshed (deduplicated while open), gone -> resolved."""
    kind = AlertKind(kind).value
    now = timezone.now()
    result = AlertSyncResult()
    seen: set[str] = set()
    for finding in findings:
        seen.add(finding.key)
        updated = ControlNumberAlert.objects.filter(
            key=finding.key, resolved_at__isnull=True
        ).update(
            last_seen=now,
            severity=finding.severity,
            message=finding.message[:500],
            occurrences=F("occurrences") + 1,
        )
        if updated:
            result.refreshed += 1
            continue
        try:
            with transaction.atomic():
                ControlNumberAlert.objects.create(
                    kind=kind,
                    key=finding.key,
                    severity=finding.severity,
                    message=finding.message[:500],
                    counter_id=finding.counter_id,
                    first_seen=now,
                    last_seen=now,
                )
        except IntegrityError:  # raised concurrently by another run: refresh that one
            ControlNumberAlert.objects.filter(key=finding.key, resolved_at__isnull=True).update(
                last_seen=now, occurrences=F("occurrences") + 1
            )
            result.refreshed += 1
            continue
        result.raised += 1
        log = logger.error if finding.severity == AlertSeverity.CRITICAL else logger.warning
        log("control-number alert %s [%s]: %s", finding.key, finding.severity, finding.message)
    stale = ControlNumberAlert.objects.filter(kind=kind, resolved_at__isnull=True).exclude(
        key__in=seen
    )
    for key in stale.values_list("key", flat=True):
        logger.info("control-number alert %s resolved", key)
    result.resolved = stale.update(resolved_at=now)
    return result


def gap_alerts_refresh(*, days: int = 30) -> AlertSyncResult:
    """The scheduled gap check: every gap in the last ``days`` becomes (or keeps) an alert.

    Unexplained gaps carry their severity; documented gaps (FAILED numbers) are MINOR: they
    are explained and have a remediation ("Close gap" or a reissue).
    """

    findings = []
    for gap in gap_report(days=days).gaps:
        severity = gap.severity if gap.kind == "unexplained" else AlertSeverity.MINOR
        findings.append(
            Finding(
                key=f"gap:{gap.counter_id}:{gap.epoch}:{gap.first_number}-{gap.last_number}:"
                f"{gap.kind}",
                severity=severity,
                message=f"{gap.kind} gap of {gap.size} in {gap.counter_label} epoch {gap.epoch}: "
                f"{gap.first_number}–{gap.last_number}",
                counter_id=gap.counter_id,
            )
        )
    return alerts_sync(kind=AlertKind.GAP, findings=findings)


def rollover_alerts_refresh() -> AlertSyncResult:
    """The scheduled rollover check: counters at WARNING/CRITICAL utilization become alerts."""

    findings = [
        Finding(
            key=f"utilization:{s.counter_id}:{s.epoch}",
            severity=s.level,
            message=f"{s.label} at {s.percent:.1f} % of max ({s.remaining:,} left): plan a "
            "rollover with the partner",
            counter_id=s.counter_id,
        )
        for s in counter_status()
        if s.level in (AlertSeverity.WARNING, AlertSeverity.CRITICAL)
    ]
    return alerts_sync(kind=AlertKind.UTILIZATION, findings=findings)
