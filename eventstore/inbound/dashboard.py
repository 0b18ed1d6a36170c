"""Inbound's tiles on the home dashboard (registered from ``EventStoreConfig.ready()``):
files received today and in 7 days by partner and type with the acceptance rate, the
received-per-hour chart, and the backlog (inbox, unfinished, failed, unknown senders)."""

from __future__ import annotations

from django.conf import settings

from edi_platform.core.adminkit import changelist_url
from edi_platform.core.dashboard import (
    Alert,
    Cell,
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
from eventstore.inbound.models import BatchStatus, TransactionBatch
from eventstore.inbound.selectors import (
    ACCEPTED_STATUSES,
    batch_status_counts,
    files_received,
    received_per_hour,
)
from eventstore.inbound.services.inbox import inbox_candidates

VIEW_BATCHES = "eventstore.view_transactionbatch"


def batches_url(**filters) -> str:
    return changelist_url(TransactionBatch, **filters)


def files_url(**filters) -> str:
    """Received files only (not the platform's own system batches, e.g. reversals)."""
    filters.setdefault("outcome", "files")
    return batches_url(**filters)


def _rate(accepted: int, final: int) -> tuple[str, str]:
    if not final:
        return "—", ""
    percent = 100.0 * accepted / final
    return f"{percent:.1f} %", "ok" if percent >= 95 else ("warn" if percent >= 80 else "bad")


def _received_tile(ctx: DashboardContext) -> Panel:
    rows = files_received(today=ctx.today, week=ctx.week)
    today, week = time_param(ctx.today), time_param(ctx.week)
    total_today = sum(r.today for r in rows)
    total_week = sum(r.week for r in rows)
    accepted = sum(r.week_accepted for r in rows)
    final = sum(r.week_final for r in rows)
    rate, level = _rate(accepted, final)
    rejected = final - accepted
    table_rows = []
    busiest = sorted(rows, key=lambda r: (-r.week, r.partner_code, r.transaction_type))
    shown, more_url, more_text = top_rows(
        busiest, more=files_url(received_at__gte=week), noun="partner and type pairs"
    )
    for r in shown:
        filters = {"partner__id__exact": r.partner_id, "type": r.transaction_type or None}
        if r.partner_id is None:
            filters = {"partner__isnull": "True", "type": r.transaction_type or None}
        row_rate, row_level = _rate(r.week_accepted, r.week_final)
        table_rows.append(
            [
                Cell(r.partner_code or "(unknown sender)"),
                Cell(r.transaction_type or "—"),
                Cell(r.today, url=files_url(received_at__gte=today, **filters)),
                Cell(r.week, url=files_url(received_at__gte=week, **filters)),
                Cell(row_rate, level=row_level),
            ]
        )
    return Panel(
        figures=[
            Figure("received today", total_today, url=files_url(received_at__gte=today)),
            Figure("received in 7 days", total_week, url=files_url(received_at__gte=week)),
            Figure(
                "accepted (7 days)",
                rate,
                level=level,
                url=files_url(received_at__gte=week, outcome="accepted"),
                note="accepted or partially accepted, of the files finished",
            ),
            Figure(
                "rejected or duplicate (7 days)",
                rejected,
                level="bad" if rejected else "ok",
                url=files_url(received_at__gte=week, outcome="rejected"),
            ),
        ],
        tables=[
            Table(
                header=["partner", "type", "today", "7 days", "accepted"],
                rows=table_rows,
                empty="No file received in the last 7 days.",
                more_url=more_url,
                more_text=more_text,
            )
        ],
    )


def _per_hour_tile(ctx: DashboardContext) -> Panel:
    hours = Hours.of(ctx)
    chart = hours.chart(
        "Files received per hour (UTC, last 24 h)",
        received_per_hour(since=hours.start),
        lambda since, until: files_url(received_at__gte=since, received_at__lt=until),
        "file(s)",
    )
    return Panel(charts=[chart])


def _backlog_tile(ctx: DashboardContext) -> Panel:
    counts = batch_status_counts(
        statuses=[BatchStatus.RECEIVED, BatchStatus.FAILED, BatchStatus.UNKNOWN_PARTNER]
    )
    waiting = len(
        inbox_candidates(
            settings.INBOUND_INBOX_DIR, min_age_seconds=settings.INBOUND_INBOX_MIN_AGE_SECONDS
        )
    )
    panel = Panel(
        figures=[
            Figure(
                "files waiting in the inbox",
                waiting,
                level="warn" if waiting else "ok",
                note=str(settings.INBOUND_INBOX_DIR),
            ),
            Figure(
                "being processed",
                counts[BatchStatus.RECEIVED],
                url=batches_url(status__exact=BatchStatus.RECEIVED),
            ),
            Figure(
                "failed (need an operator)",
                counts[BatchStatus.FAILED],
                level="bad" if counts[BatchStatus.FAILED] else "ok",
                url=batches_url(status__exact=BatchStatus.FAILED),
            ),
            Figure(
                "unknown senders",
                counts[BatchStatus.UNKNOWN_PARTNER],
                level="warn" if counts[BatchStatus.UNKNOWN_PARTNER] else "ok",
                url=batches_url(status__exact=BatchStatus.UNKNOWN_PARTNER),
            ),
        ]
    )
    if counts[BatchStatus.FAILED]:
        panel.alerts.append(
            Alert(
                "bad",
                f"{counts[BatchStatus.FAILED]} inbound batch(es) FAILED: reprocess them once "
                "the cause is fixed",
                url=batches_url(status__exact=BatchStatus.FAILED),
            )
        )
    if counts[BatchStatus.UNKNOWN_PARTNER]:
        panel.alerts.append(
            Alert(
                "warn",
                f"{counts[BatchStatus.UNKNOWN_PARTNER]} file(s) from unknown senders: onboard "
                "the partner, then reprocess",
                url=batches_url(status__exact=BatchStatus.UNKNOWN_PARTNER),
            )
        )
    return panel


register_tile(
    Tile(
        slug="inbound-received",
        title="Files received",
        order=10,
        permissions=(VIEW_BATCHES,),
        build=_received_tile,
    )
)
register_tile(
    Tile(
        slug="inbound-per-hour",
        title="Inbound throughput",
        order=12,
        permissions=(VIEW_BATCHES,),
        build=_per_hour_tile,
    )
)
register_tile(
    Tile(
        slug="inbound-backlog",
        title="Inbound backlog",
        order=14,
        permissions=(VIEW_BATCHES,),
        build=_backlog_tile,
    )
)

__all__ = ["ACCEPTED_STATUSES", "batches_url"]
