"""Control numbers' tile on the home dashboard (registered from
``ControlNumbersConfig.ready()``): counters nearing rollover and the open gap / rollover
alerts."""

from __future__ import annotations

from edi_platform.core.adminkit import changelist_url
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

from .models import AlertKind, AlertSeverity, ControlNumberAlert, ControlNumberCounter
from .selectors import counters_near_rollover, open_alert_counts


def _tile(ctx: DashboardContext) -> Panel:
    near = counters_near_rollover()
    alerts = open_alert_counts()
    counters = changelist_url(ControlNumberCounter)
    panel = Panel()
    for kind in AlertKind:
        n = sum(v for (k, _), v in alerts.items() if k == kind)
        critical = alerts.get((kind, AlertSeverity.CRITICAL), 0)
        url = changelist_url(ControlNumberAlert, state="open", kind__exact=kind.value)
        panel.figures.append(
            Figure(
                f"open {kind.label.lower()} alerts",
                n,
                url=url,
                level="bad" if critical else ("warn" if n else "ok"),
            )
        )
        if n:
            panel.alerts.append(
                Alert(
                    "bad" if critical else "warn",
                    f"{n} open control-number {kind.label.lower()} alert(s)"
                    + (f", {critical} critical" if critical else ""),
                    url=url,
                    count=n,
                )
            )
    panel.figures.append(
        Figure(
            "counters nearing rollover",
            len(near),
            url=changelist_url(ControlNumberCounter, level="near"),
            level="bad" if any(c.level == "CRITICAL" for c in near) else ("warn" if near else "ok"),
        )
    )
    panel.tables.append(
        Table(
            header=["counter", "current", "used", "left"],
            rows=[
                [
                    Cell(c.label, url=f"{counters}?q={c.partner_code}"),
                    Cell(f"{c.current_value:,}"),
                    Cell(f"{c.percent:.2f} %", level="bad" if c.level == "CRITICAL" else "warn"),
                    Cell(f"{c.remaining:,}"),
                ]
                for c in near[:10]
            ],
            empty="No counter is near its maximum.",
            more_url=changelist_url(ControlNumberCounter, level="near") if len(near) > 10 else "",
        )
    )
    return panel


register_tile(
    Tile(
        slug="control-numbers",
        title="Control numbers",
        order=30,
        permissions=(
            "controlnumbers.view_controlnumbercounter",
            "controlnumbers.view_controlnumberalert",
        ),
        build=_tile,
    )
)
