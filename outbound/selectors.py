"""Reads of outbound: what is owed and how late it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.html import format_html

from .models import BatchWindow, OutcomeStatus, ProcessingOutcome

__all__ = ["age_against_sla", "pending_summary", "sla_breached_q", "sla_distribution"]


def age_against_sla(age: timedelta, sla_minutes: int | None) -> str:
    """An age as HTML for the admin, in red when it breaches the SLA."""
    minutes = int(age.total_seconds() // 60)
    text = f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    if sla_minutes is None:
        return format_html("{} <span class='quiet'>(no SLA)</span>", text)
    if age > timedelta(minutes=sla_minutes):
        return format_html(
            "<strong class='sla-breached' style='color:#ba2121'>{} — SLA {} min breached</strong>",
            text,
            sla_minutes,
        )
    return format_html("{} <span class='quiet'>/ SLA {} min</span>", text, sla_minutes)


def pending_summary(now: datetime | None = None) -> list[dict[str, Any]]:
    """Outcomes not answered yet, per partner and response type, oldest age against SLA."""
    now = now or timezone.now()
    slas = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
    rows = (
        ProcessingOutcome.objects.filter(status__in=[OutcomeStatus.PENDING, OutcomeStatus.CLAIMED])
        .values("partner_id", "partner__code", "response_type")
        .annotate(
            count=Count("id"),
            oldest=Min("created_at"),
            claimed=Count("id", filter=Q(status=OutcomeStatus.CLAIMED)),
            breaches=Count("id", filter=sla_breached_q(now)),
        )
        .order_by("partner__code", "response_type")
    )
    out = []
    for row in rows:
        age = now - row["oldest"]
        sla = slas.get(row["response_type"])
        out.append(
            {
                "partner": row["partner__code"],
                "partner_id": row["partner_id"],
                "response_type": row["response_type"],
                "count": row["count"],
                "breaches": row["breaches"],
                "claimed": row["claimed"],
                "age_minutes": int(age.total_seconds() // 60),
                "sla_minutes": sla,
                "breached": sla is not None and age > timedelta(minutes=sla),
                "age_display": age_against_sla(age, sla),
            }
        )
    # breaches first (oldest first among them), then the rest by partner and type
    out.sort(key=lambda r: (not r["breached"], -r["age_minutes"] if r["breached"] else 0))
    return out


def sla_breached_q(now: datetime) -> Q:
    """Outcomes older than their response type's SLA (a type without an SLA never is)."""
    found = Q(pk__isnull=True)  # never true: the neutral start of an OR
    for response_type, sla in BatchWindow.objects.values_list("response_type", "sla_minutes"):
        if sla is not None:
            found |= Q(response_type=response_type, created_at__lt=now - timedelta(minutes=sla))
    return found


SLA_BUCKETS = ((0.5, "< 50 %"), (1.0, "50–100 %"), (2.0, "1–2× SLA"), (None, "> 2× SLA"))


def sla_distribution(now: datetime | None = None) -> list[tuple[str, int, bool]]:
    """Outcomes still owed by age as a share of their SLA: (bucket, count, breached)."""
    now = now or timezone.now()
    slas = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
    counts = [0] * len(SLA_BUCKETS)
    rows = ProcessingOutcome.objects.filter(
        status__in=[OutcomeStatus.PENDING, OutcomeStatus.CLAIMED]
    ).values_list("response_type", "created_at")
    for response_type, created_at in rows.iterator(chunk_size=5000):
        sla = slas.get(response_type)
        if not sla:
            continue
        share = (now - created_at).total_seconds() / (sla * 60)
        for i, (upper, _) in enumerate(SLA_BUCKETS):
            if upper is None or share < upper:
                counts[i] += 1
                break
    return [(name, counts[i], i >= 2) for i, (_, name) in enumerate(SLA_BUCKETS)]
