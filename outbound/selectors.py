"""Reads of outbound: what is owed and how late it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.html import format_html

from .models import BatchWindow, OutcomeStatus, ProcessingOutcome

__all__ = ["age_against_sla", "pending_summary"]


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
        .values("partner__code", "response_type")
        .annotate(
            count=Count("id"),
            oldest=Min("created_at"),
            claimed=Count("id", filter=Q(status=OutcomeStatus.CLAIMED)),
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
                "response_type": row["response_type"],
                "count": row["count"],
                "claimed": row["claimed"],
                "age_minutes": int(age.total_seconds() // 60),
                "sla_minutes": sla,
                "breached": sla is not None and age > timedelta(minutes=sla),
                "age_display": age_against_sla(age, sla),
            }
        )
    return out
