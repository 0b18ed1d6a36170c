"""What the platform core itself adds to the console (registered from ``CoreConfig.ready()``):
the scheduler and worker tile, the reports tile, the heartbeat ages in ``/metrics``, and the
permissions of the schedules (django-celery-beat) and the admin log for the three roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from .dashboard import Alert, Cell, DashboardContext, Figure, Panel, Table, Tile, register_tile
from .groups import ADMINISTRATOR, AUDITOR, grant
from .metrics import gauge, register_metrics
from .reports import report_url, reports_for
from .selectors import scheduler_status

VIEW_SCHEDULES = "django_celery_beat.view_periodictask"


def _age(value) -> str:
    if value is None:
        return "never"
    seconds = int((timezone.now() - value).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _scheduler_tile(ctx: DashboardContext) -> Panel:
    status = scheduler_status(now=ctx.now)
    tasks_url = reverse("admin:django_celery_beat_periodictask_changelist")
    panel = Panel(
        figures=[
            Figure(
                "scheduler heartbeat",
                _age(status.last_dispatch_at),
                url=tasks_url,
                level="bad" if status.scheduler_stale else "ok",
                note="the newest last run of an enabled periodic task",
            ),
            Figure(
                "worker heartbeat",
                _age(status.last_beat_at),
                url=tasks_url + "?q=heartbeat",
                level="bad" if status.worker_stale else "ok",
                note=f"the heartbeat task last ran on {status.worker_hostname or '?'}",
            ),
            Figure(
                "late tasks",
                len(status.late_tasks),
                url=tasks_url,
                level="bad" if status.late_tasks else "ok",
            ),
        ]
    )
    if status.late_tasks:
        panel.tables.append(
            Table(
                header=["late task", "every", "last run"],
                rows=[
                    [
                        Cell(t.name, url=f"{tasks_url}?q={t.name}", level="bad"),
                        Cell(f"{t.every_seconds} s"),
                        Cell(_age(t.last_run_at)),
                    ]
                    for t in status.late_tasks
                ],
            )
        )
    if status.stale:
        late = "; ".join(status.late_descriptions()) or "no periodic task has run"
        panel.alerts.append(Alert("bad", f"Schedules are late: {late}", url=tasks_url))
    return panel


def _reports_tile(ctx: DashboardContext) -> Panel:
    reports = reports_for(ctx.user)
    return Panel(
        tables=[
            Table(
                header=["report", "section"],
                rows=[[Cell(r.title, url=report_url(r)), Cell(r.section)] for r in reports],
                empty="No report is visible with your permissions.",
                more_url=reverse("reports:index"),
                more_text="All reports (each with CSV)",
            )
        ]
    )


register_tile(
    Tile(
        slug="scheduler",
        title="Scheduler and workers",
        order=90,
        permissions=(VIEW_SCHEDULES,),
        build=_scheduler_tile,
    )
)
register_tile(Tile(slug="reports", title="Reports", order=95, permissions=(), build=_reports_tile))


def _heartbeat_metrics() -> Iterable:
    status = scheduler_status()
    now = status.now

    def age(value) -> float:
        return (now - value).total_seconds() if value is not None else -1

    yield gauge(
        "edi_scheduler_heartbeat_age_seconds",
        "Seconds since a periodic task was last dispatched (-1: never).",
        [((), age(status.last_dispatch_at))],
    )
    yield gauge(
        "edi_worker_heartbeat_age_seconds",
        "Seconds since a worker last ran the heartbeat task (-1: never).",
        [((), age(status.last_beat_at))],
    )
    yield gauge(
        "edi_late_periodic_tasks",
        "Enabled periodic tasks that have not run for two intervals and a minute.",
        [((), len(status.late_tasks))],
    )


register_metrics("core.heartbeat", _heartbeat_metrics)

grant(
    AUDITOR,
    VIEW_SCHEDULES,
    "django_celery_beat.view_intervalschedule",
    "django_celery_beat.view_crontabschedule",
    "admin.view_logentry",
)
grant(
    ADMINISTRATOR,
    "django_celery_beat.change_periodictask",
    "django_celery_beat.add_intervalschedule",
)
