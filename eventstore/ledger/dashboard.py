"""The ledger's part of the console (registered from ``EventStoreConfig.ready()``): the
projection lag tile and its alerts, the projection lag in ``/metrics``, and a batch page's
reversal notes (through inbound's batch-panel registry): a reversed batch says by which
batch, when, by whom and why; a reversal batch says which batch it reverses."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.template.loader import render_to_string

from edi_platform.core.adminkit import change_url, changelist_url
from edi_platform.core.dashboard import (
    Alert,
    Cell,
    DashboardContext,
    Figure,
    Panel,
    Table,
    Tile,
    register_tile,
)
from edi_platform.core.metrics import gauge, register_metrics
from eventstore.inbound.admin import register_batch_panel
from eventstore.ledger import selectors
from eventstore.models import BatchReversal, ProjectionLagAlert, TransactionBatch

VIEW_EVENTS = "eventstore.view_domainevent"


def _lag_tile(ctx: DashboardContext) -> Panel:
    lags = selectors.projection_lag()
    alerts_url = changelist_url(ProjectionLagAlert, resolved_at__isnull="True")
    report = "/admin/reports/projection-lag/"
    panel = Panel()
    live = next((lag for lag in lags if lag.projection == "members"), None)
    if live is not None:
        panel.figures.append(
            Figure(
                "events not projected (members)",
                live.lag,
                url=report,
                level="bad" if live.open_alerts else ("warn" if live.lag else "ok"),
            )
        )
        panel.figures.append(Figure("event log head", live.head, url=report))
    panel.tables.append(
        Table(
            header=["projection", "head", "checkpoint", "lag", "open alerts"],
            rows=[
                [
                    Cell(lag.projection),
                    Cell(lag.head),
                    Cell(lag.checkpoint),
                    Cell(lag.lag, url=report, level="warn" if lag.lag else ""),
                    Cell(
                        ", ".join(lag.open_alerts) or "none",
                        url=alerts_url if lag.open_alerts else "",
                        level="bad" if lag.open_alerts else "",
                    ),
                ]
                for lag in lags
            ],
        )
    )
    open_alerts = sum(len(lag.open_alerts) for lag in lags)
    if open_alerts:
        panel.alerts.append(
            Alert(
                "bad",
                f"{open_alerts} projection lag alert(s) open: member data is behind the log",
                url=alerts_url,
                count=open_alerts,
            )
        )
    return panel


register_tile(
    Tile(
        slug="ledger-lag",
        title="Projections",
        order=40,
        permissions=(VIEW_EVENTS,),
        build=_lag_tile,
    )
)


def _lag_metrics() -> Iterable:
    lags = selectors.projection_lag()
    yield gauge(
        "edi_projection_lag_events",
        "Events appended but not yet applied to a projection (head - checkpoint).",
        [((lag.projection,), lag.lag) for lag in lags],
        labels=("projection",),
    )


register_metrics("ledger.lag", _lag_metrics)


def reversal_panel(request: HttpRequest, batch: TransactionBatch) -> str | None:
    """On a batch page: its reversal (when reversed) or what it reverses (a reversal)."""
    if not request.user.has_perm("eventstore.view_batchreversal"):
        return None
    reversed_by = BatchReversal.objects.filter(batch=batch).select_related("reversal_batch")
    reverses = BatchReversal.objects.filter(reversal_batch=batch).select_related("batch")
    records = list(reversed_by) + list(reverses)
    if not records:
        return None
    return render_to_string(
        "admin/eventstore/events/_batch_reversal.html",
        {
            "batch": batch,
            "records": [
                {
                    "record": r,
                    "reversed": r.batch_id == batch.pk,
                    "other_url": change_url(
                        TransactionBatch,
                        r.reversal_batch_id if r.batch_id == batch.pk else r.batch_id,
                    ),
                    "record_url": change_url(BatchReversal, r.pk),
                }
                for r in records
            ],
        },
        request=request,
    )


register_batch_panel("ledger-reversal", reversal_panel, position="top")
