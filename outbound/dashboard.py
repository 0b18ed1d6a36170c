"""Outbound's tiles on the home dashboard (registered from ``OutboundConfig.ready()``):
acknowledgments and responses owed against their SLA (breaches first) with the SLA age
chart, files sent today and in 7 days by partner and type with the sent-per-hour chart,
and delivery (outbox depth, dead letters, quarantine). Response types come from the
outcomes and the responder registry: a new responder appears here without a change."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import TruncHour

from edi_platform.core.adminkit import changelist_url
from edi_platform.core.dashboard import (
    Alert,
    Bar,
    Cell,
    Chart,
    DashboardContext,
    Figure,
    Hours,
    Panel,
    Table,
    Tile,
    register_tile,
    time_param,
    top_rows,
)

from .models import (
    DeadLetter,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessingOutcome,
    QuarantinedFile,
)
from .selectors import pending_summary, sla_distribution

SENT = (OutboundFileStatus.PERSISTED, OutboundFileStatus.PUBLISHED)


def outcomes_url(**filters) -> str:
    return changelist_url(ProcessingOutcome, **filters)


def files_url(**filters) -> str:
    filters.setdefault("state", "sent")
    return changelist_url(OutboundFile, **filters)


def _owed_tile(ctx: DashboardContext) -> Panel:
    rows = pending_summary(ctx.now)
    owed = sum(r["count"] for r in rows)
    breaches = sum(r["breaches"] for r in rows)
    table = []
    shown, more_url, more_text = top_rows(
        rows, more=outcomes_url(sla="owed"), noun="partner and type pairs"
    )
    for r in shown:
        filters = {
            "partner__id__exact": r["partner_id"],
            "response_type__exact": r["response_type"],
        }
        table.append(
            [
                Cell(r["partner"]),
                Cell(r["response_type"]),
                Cell(r["count"], url=outcomes_url(sla="owed", **filters)),
                Cell(
                    r["breaches"],
                    url=outcomes_url(sla="breached", **filters),
                    level="bad" if r["breaches"] else "ok",
                ),
                Cell(
                    f"{r['age_minutes']} min"
                    + (f" / SLA {r['sla_minutes']}" if r["sla_minutes"] is not None else ""),
                    level="bad" if r["breached"] else "",
                ),
            ]
        )
    buckets = sla_distribution(ctx.now)
    panel = Panel(
        figures=[
            Figure("owed", owed, url=outcomes_url(sla="owed")),
            Figure(
                "past their SLA",
                breaches,
                url=outcomes_url(sla="breached"),
                level="bad" if breaches else "ok",
            ),
        ],
        tables=[
            Table(
                header=["partner", "type", "owed", "past SLA", "oldest"],
                rows=table,
                empty="Nothing owed: every acknowledgment and response went out.",
                more_url=more_url,
                more_text=more_text,
            )
        ],
        charts=[
            Chart(
                "Owed by age against the SLA",
                [
                    Bar(
                        label=name,
                        value=n,
                        level="bad" if late else "ok",
                        url=outcomes_url(sla="breached" if late else "within"),
                    )
                    for name, n, late in buckets
                ],
            )
        ],
    )
    if breaches:
        worst = rows[0]
        panel.alerts.append(
            Alert(
                "bad",
                f"{breaches} acknowledgment(s)/response(s) past their SLA (oldest: "
                f"{worst['response_type']} for {worst['partner']}, {worst['age_minutes']} min)",
                url=outcomes_url(sla="breached"),
                count=breaches,
            )
        )
    return panel


def _sent_tile(ctx: DashboardContext) -> Panel:
    today, week = time_param(ctx.today), time_param(ctx.week)
    rows = list(
        OutboundFile.objects.filter(created_at__gte=ctx.week, status__in=SENT)
        .values("partner_id", "partner__code", "transaction_type")
        .annotate(week=Count("id"), today=Count("id", filter=Q(created_at__gte=ctx.today)))
        .order_by("-week", "partner__code", "transaction_type")
    )
    table = []
    shown, more_url, more_text = top_rows(
        rows, more=files_url(created_at__gte=week), noun="partner and type pairs"
    )
    for r in shown:
        filters = {
            "partner__id__exact": r["partner_id"],
            "transaction_type__exact": r["transaction_type"],
        }
        table.append(
            [
                Cell(r["partner__code"]),
                Cell(r["transaction_type"]),
                Cell(r["today"], url=files_url(created_at__gte=today, **filters)),
                Cell(r["week"], url=files_url(created_at__gte=week, **filters)),
            ]
        )
    hours = Hours.of(ctx)
    per_hour = dict(
        OutboundFile.objects.filter(created_at__gte=hours.start, status__in=SENT)
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    chart = hours.chart(
        "Files sent per hour (UTC, last 24 h)",
        per_hour,
        lambda since, until: files_url(created_at__gte=since, created_at__lt=until),
        "file(s)",
    )
    return Panel(
        figures=[
            Figure(
                "sent today", sum(r["today"] for r in rows), url=files_url(created_at__gte=today)
            ),
            Figure(
                "sent in 7 days", sum(r["week"] for r in rows), url=files_url(created_at__gte=week)
            ),
        ],
        tables=[
            Table(
                header=["partner", "type", "today", "7 days"],
                rows=table,
                empty="No file sent in the last 7 days.",
                more_url=more_url,
                more_text=more_text,
            )
        ],
        charts=[chart],
    )


def _delivery_tile(ctx: DashboardContext) -> Panel:
    counts = dict(
        OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    depth, dead = counts.get(OutboxStatus.PENDING, 0), counts.get(OutboxStatus.DEAD, 0)
    quarantined = QuarantinedFile.objects.filter(
        status=OutboundFileStatus.QUARANTINED, reprocessed_as__isnull=True
    ).count()
    panel = Panel(
        figures=[
            Figure(
                "waiting to be published",
                depth,
                url=changelist_url(OutboxMessage, status__exact=OutboxStatus.PENDING),
                level="warn" if depth else "ok",
            ),
            Figure(
                "dead letters", dead, url=changelist_url(DeadLetter), level="bad" if dead else "ok"
            ),
            Figure(
                "quarantined, not reprocessed",
                quarantined,
                url=changelist_url(QuarantinedFile, reprocessed="no"),
                level="bad" if quarantined else "ok",
            ),
        ]
    )
    if dead:
        panel.alerts.append(
            Alert(
                "bad",
                f"{dead} dead letter(s): files not announced to delivery; fix the cause, then "
                "Resubmit",
                url=changelist_url(DeadLetter),
            )
        )
    if quarantined:
        panel.alerts.append(
            Alert(
                "bad",
                f"{quarantined} outbound file(s) quarantined (failed validation): reprocess them",
                url=changelist_url(QuarantinedFile, reprocessed="no"),
            )
        )
    return panel


register_tile(
    Tile(
        slug="outbound-owed",
        title="Owed against the SLA",
        order=20,
        permissions=("outbound.view_processingoutcome",),
        build=_owed_tile,
    )
)
register_tile(
    Tile(
        slug="outbound-sent",
        title="Files sent",
        order=22,
        permissions=("outbound.view_outboundfile",),
        build=_sent_tile,
    )
)
register_tile(
    Tile(
        slug="outbound-delivery",
        title="Delivery",
        order=24,
        permissions=("outbound.view_outboxmessage", "outbound.view_outboundfile"),
        build=_delivery_tile,
    )
)
