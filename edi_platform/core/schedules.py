"""The one list of default periodic tasks (installed by ``manage.py setup_schedules``).

Each app adds its entries here; operators may then change intervals or disable entries in
the admin (django-celery-beat) and ``setup_schedules`` will not undo their edits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    task: str
    every_seconds: int
    description: str = ""
    kwargs: dict = field(default_factory=dict)

    def kwargs_json(self) -> str:
        return json.dumps(self.kwargs, sort_keys=True)


DEFAULT_SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        name="platform: scheduler heartbeat",
        task="edi_platform.core.tasks.heartbeat",
        every_seconds=60,
        description="Proves beat and a worker are running; the admin warns when it goes stale.",
    ),
    ScheduleSpec(
        name="outbound: assemble due outcomes",
        task="outbound.tasks.assemble_due",
        every_seconds=60,
        description="Claims outcomes whose batch window has passed and assembles their files.",
    ),
    ScheduleSpec(
        name="outbound: recover stale assembly",
        task="outbound.tasks.recover",
        every_seconds=300,
        description="Rebuilds files left ASSEMBLING by crashed workers with the same numbers.",
        kwargs={"stale_after_seconds": 300},
    ),
    ScheduleSpec(
        name="outbound: publish outbox",
        task="outbound.tasks.publish_outbox",
        every_seconds=30,
        description="Sends pending 'file ready' messages to the Redis stream (retries).",
    ),
    ScheduleSpec(
        name="eventstore: projector safety net",
        task="eventstore.ledger.tasks.project_events",
        every_seconds=60,
        description="Applies pending enrollment events to the Member/Enrollment projections "
        "(appends also trigger it on commit).",
    ),
    ScheduleSpec(
        name="eventstore: projection lag check",
        task="eventstore.ledger.tasks.check_projection_lag",
        every_seconds=60,
        description="Raises an alert when the projection lags the event log or stops moving.",
    ),
    ScheduleSpec(
        name="inbound: poll inbox",
        task="eventstore.inbound.tasks.poll_inbox",
        every_seconds=60,
        description="Ingests files dropped in INBOUND_INBOX_DIR; moves them to processed/ or "
        "failed/ once their raw copy is stored.",
    ),
    ScheduleSpec(
        name="inbound: recover stalled batches",
        task="eventstore.inbound.tasks.recover_stalled",
        every_seconds=60,
        description="Finishes inbound batches whose worker died (their processing lease ran "
        "out): processed or routed exactly once; FAILED after repeated failures.",
    ),
    ScheduleSpec(
        name="controlnumbers: gap check",
        task="controlnumbers.tasks.gap_check",
        every_seconds=15 * 60,
        description="Control-number gaps of the last 30 days become alerts (deduplicated).",
        kwargs={"days": 30},
    ),
    ScheduleSpec(
        name="controlnumbers: rollover check",
        task="controlnumbers.tasks.rollover_check",
        every_seconds=60 * 60,
        description="Counters at WARNING/CRITICAL utilization become alerts (plan a rollover).",
    ),
)
