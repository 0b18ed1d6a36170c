"""The Member / Enrollment projector: exactly-once application of the log to the tables.

The projector reads events in position order from its checkpoint, applies them with the
aggregate fold (``eventstore.ledger.events.aggregate``) to the rows' state, and writes the changed
rows AND the new checkpoint in one transaction. A retried run therefore resumes from the last
committed checkpoint; on top of that every row records the last position applied to it and an
event at or below it is skipped, so replaying an already-applied event changes nothing.

The same code fills the shadow tables of a rebuild (``services.replay``): a
:class:`ProjectionTarget` names the tables and the checkpoint.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from eventstore.ledger.events.aggregate import (
    ENROLLMENT_FIELDS,
    MEMBER_FIELDS,
    EventRecord,
    apply,
    coverage_span,
    empty_state,
    fold,
)
from eventstore.ledger.services.events import aggregate_events, events_read
from eventstore.ledger.services.snapshots import (
    crossed_snapshot_boundary,
    snapshot_every,
    snapshots_write,
)
from eventstore.models import (
    Enrollment,
    EnrollmentRebuild,
    Member,
    MemberRebuild,
    ProjectionCheckpoint,
)

logger = logging.getLogger(__name__)

PROJECTION_NAME = "members"
_DATE_FIELDS = frozenset(
    {"birth_date", "eligibility_begin", "eligibility_end", "benefit_begin", "benefit_end"}
)
_ENROLLMENT_ROW_FIELDS = tuple(k for k in ENROLLMENT_FIELDS)


@dataclass(frozen=True)
class ProjectionTarget:
    """Tables and checkpoint a projector run writes to."""

    name: str
    member_model: type[models.Model]
    enrollment_model: type[models.Model]
    checkpoint: str
    write_snapshots: bool
    # True when the rows are only ever written by this projector, in the transaction that
    # moves the checkpoint past their events (the rebuild's shadow tables). The live tables
    # must also survive a checkpoint moved back by hand (rows then skip what they applied).
    rows_follow_checkpoint: bool = False


LIVE = ProjectionTarget(PROJECTION_NAME, Member, Enrollment, PROJECTION_NAME, True)
SHADOW = ProjectionTarget(
    PROJECTION_NAME,
    MemberRebuild,
    EnrollmentRebuild,
    PROJECTION_NAME + ":rebuild",
    False,
    rows_follow_checkpoint=True,
)
PROJECTIONS = {PROJECTION_NAME: (LIVE, SHADOW)}


class ProjectionError(Exception):
    """An event could not be applied (message: position and event type only)."""


@dataclass
class ProjectionRun:
    events: int = 0
    batches: int = 0
    position: int = 0
    seconds: float = 0.0


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def load_states(target: ProjectionTarget, aggregate_ids: Sequence[str]) -> dict[str, dict]:
    """The projection rows of these aggregates as fold states (missing = empty state)."""
    states = {a: empty_state() for a in aggregate_ids}
    if not states:
        return states
    member_cols = ("aggregate_id", "version", "last_position", *MEMBER_FIELDS)
    enrollment_cols = ("member_id", "coverage_key", *_ENROLLMENT_ROW_FIELDS)
    members = target.member_model._meta.db_table
    enrollments = target.enrollment_model._meta.db_table
    ids = list(states)
    with connection.cursor() as cursor:
        cursor.execute(
            _select_by_ids(members, "aggregate_id", member_cols, len(ids)), _ids_params(ids)
        )
        for row in cursor.fetchall():
            state = states[row[0]]
            state["exists"] = True
            state["version"] = row[1]
            state["last_position"] = row[2]
            state["member"] = {k: _iso(v) for k, v in zip(MEMBER_FIELDS, row[3:], strict=True)}
        # Enrollment rows exist only beside a member row (states without a member are never
        # written): probe only the members found, none at all for a batch of new members.
        ids = [a for a in ids if states[a]["exists"]]
        if not ids:
            return states
        cursor.execute(
            _select_by_ids(enrollments, "member_id", enrollment_cols, len(ids)), _ids_params(ids)
        )
        for row in cursor.fetchall():
            states[row[0]]["enrollments"][row[1]] = {
                k: _iso(v) for k, v in zip(_ENROLLMENT_ROW_FIELDS, row[2:], strict=True)
            }
    return states


def _select_by_ids(table: str, column: str, cols: Sequence[str], count: int) -> str:
    """SELECT cols of the rows whose ``column`` is one of the ids (one parameter on PG)."""
    if connection.vendor == "postgresql":
        # One array parameter, and LATERAL + OFFSET 0 (never flattened into a join): one
        # index probe per id even when statistics lag a bulk load, where a plain "= ANY"
        # or a join degrades into a sequential scan per batch.
        return (
            f"SELECT {', '.join('r.' + c for c in cols)} FROM unnest(%s::varchar[]) AS ids(id) "
            f"CROSS JOIN LATERAL (SELECT * FROM {table} t WHERE t.{column} = ids.id OFFSET 0) r"
        )
    return f"SELECT {', '.join(cols)} FROM {table} WHERE {column} IN ({', '.join(['%s'] * count)})"


def _ids_params(ids: Sequence[str]) -> list:
    return [list(ids)] if connection.vendor == "postgresql" else list(ids)


def _member_row(target: ProjectionTarget, aggregate_id: str, state: dict) -> models.Model:
    values = {k: (_date(v) if k in _DATE_FIELDS else v) for k, v in state["member"].items()}
    begin, end = coverage_span(state)
    return target.member_model(
        aggregate_id=aggregate_id,
        version=state["version"],
        last_position=state["last_position"],
        coverage_begin=_date(begin),
        coverage_end=_date(end),
        **values,
    )


def write_states(
    target: ProjectionTarget, states: dict[str, dict], *, had_rows: set[str] | None = None
) -> None:
    """Replace the rows of these aggregates by their states (in the caller's transaction).

    ``had_rows``: the aggregates known to have rows (from ``load_states`` under the checkpoint
    lock); None = any of them may.
    """
    if not states:
        return
    if connection.vendor == "postgresql":
        _write_states_copy(target, states, had_rows)
        return
    ids = list(states)
    members = [_member_row(target, a, s) for a, s in states.items() if s["exists"]]
    enrollments = [
        target.enrollment_model(
            member_id=a,
            coverage_key=key,
            **{k: (_date(v) if k in _DATE_FIELDS else v) for k, v in e.items()},
        )
        for a, s in states.items()
        if s["exists"]
        for key, e in s["enrollments"].items()
    ]
    target.enrollment_model.objects.filter(member_id__in=ids).delete()
    target.member_model.objects.filter(aggregate_id__in=ids).delete()
    target.member_model.objects.bulk_create(members, batch_size=500)
    target.enrollment_model.objects.bulk_create(enrollments, batch_size=500)


_MEMBER_COPY_COLS = (
    "aggregate_id",
    *MEMBER_FIELDS,
    "coverage_begin",
    "coverage_end",
    "version",
    "last_position",
)
_ENROLLMENT_COPY_COLS = ("member_id", "coverage_key", *_ENROLLMENT_ROW_FIELDS)
# (field, default) pairs resolved once: the COPY loops below run once per row of every
# batch, and re-reading the field tables there showed up in rebuild profiles.
_MEMBER_DEFAULTS = tuple(MEMBER_FIELDS.items())
_ENROLLMENT_DEFAULTS = tuple((k, ENROLLMENT_FIELDS[k]) for k in _ENROLLMENT_ROW_FIELDS)
# States built by the fold carry every field: one C-level itemgetter call per row. A state
# missing a field (an old snapshot) takes the slower per-field path with the defaults.
_member_values = operator.itemgetter(*MEMBER_FIELDS)
_enrollment_values = operator.itemgetter(*_ENROLLMENT_ROW_FIELDS)


def _values(getter: Callable, defaults: tuple, values: dict) -> tuple:
    try:
        return getter(values)
    except KeyError:
        return tuple(values.get(k, d) for k, d in defaults)


def _write_states_copy(
    target: ProjectionTarget, states: dict[str, dict], had_rows: set[str] | None
) -> None:
    """PostgreSQL: delete the aggregates' rows, COPY the new ones (ISO dates as text)."""
    members = target.member_model._meta.db_table
    enrollments = target.enrollment_model._meta.db_table
    # New aggregates have no rows to delete (the checkpoint lock keeps other projectors out).
    ids = [a for a in states if had_rows is None or a in had_rows]
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(f"DELETE FROM {enrollments} WHERE member_id = ANY(%s)", [ids])
            cursor.execute(f"DELETE FROM {members} WHERE aggregate_id = ANY(%s)", [ids])
        raw = cursor.cursor
        with raw.copy(f"COPY {members} ({', '.join(_MEMBER_COPY_COLS)}) FROM STDIN") as copy:
            for aggregate_id, state in states.items():
                if state["exists"]:
                    begin, end = coverage_span(state)
                    member = state["member"]
                    copy.write_row(
                        (
                            aggregate_id,
                            *_values(_member_values, _MEMBER_DEFAULTS, member),
                            begin,
                            end,
                            state["version"],
                            state["last_position"],
                        )
                    )
        with raw.copy(
            f"COPY {enrollments} ({', '.join(_ENROLLMENT_COPY_COLS)}) FROM STDIN"
        ) as copy:
            for aggregate_id, state in states.items():
                if state["exists"]:
                    for key, e in state["enrollments"].items():
                        copy.write_row(
                            (
                                aggregate_id,
                                key,
                                *_values(_enrollment_values, _ENROLLMENT_DEFAULTS, e),
                            )
                        )


def apply_records(
    target: ProjectionTarget, records: Sequence[EventRecord]
) -> tuple[dict[str, dict], dict[str, int], set[str]]:
    """Apply records to the target's current rows.

    Returns (changed states, versions before, aggregates that had rows).
    """
    first_versions: dict[str, int] = {}
    for record in records:
        first_versions.setdefault(record.aggregate_id, record.version)
    if target.rows_follow_checkpoint:
        # Rebuild: an aggregate whose first event here is version 1 has no earlier event, and
        # rows beyond the checkpoint cannot exist, so there is no row to load. Skipping those
        # lookups matters because most aggregates of a rebuild batch are new in it. (Were a
        # row there anyway, its COPY would hit the primary key and fail the batch: never a
        # silent double application.)
        states = load_states(target, [a for a, v in first_versions.items() if v > 1])
        for aggregate_id, version in first_versions.items():
            if version <= 1:
                states[aggregate_id] = empty_state()
    else:
        states = load_states(target, list(first_versions))
    old_versions = {a: s["version"] for a, s in states.items()}
    had_rows = {a for a, s in states.items() if s["exists"] or s["enrollments"]}
    changed: dict[str, dict] = {}
    for record in records:
        state = states[record.aggregate_id]
        if record.position <= state["last_position"]:
            continue  # already applied to this row: exactly-once effect on retries
        try:
            if record.is_reversal or (state["version"] == 0 and record.version > 1):
                # A reversal voids an older event: refold the stream up to here without it.
                # Same when an aggregate has no row although it has earlier events (all of
                # them were reversed): its state is not in the tables, only in the log.
                state = fold(aggregate_events(record.aggregate_id, upto_position=record.position))
                states[record.aggregate_id] = state
            else:
                apply(state, record)
                state["version"] = record.version
                state["last_position"] = record.position
        except Exception as exc:
            raise ProjectionError(
                f"cannot apply event at position {record.position} ({record.event_type})"
            ) from exc
        changed[record.aggregate_id] = state
    return changed, old_versions, had_rows


def _relax_commit() -> None:
    """Projection rows are derived data: their commit need not wait for the WAL flush.

    ``synchronous_commit = off`` (this transaction only) can lose the last few committed
    batches in a server crash, never part of one: rows and checkpoint are in the same
    transaction, so the projector simply re-applies those events. The event log's own
    appends keep the server's setting.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _lock_checkpoint_position(name: str) -> int:
    """Lock the checkpoint row (one projector at a time) and return its position.

    Plain SQL: this runs once per batch, and the ORM's get_or_create + select_for_update cost
    milliseconds of Python per batch on the rebuild's hot path.
    """
    table = ProjectionCheckpoint._meta.db_table
    sql = f"SELECT position FROM {table} WHERE name = %s"
    if connection.features.has_select_for_update:  # SQLite: the write lock serialises anyway
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
        if row is None:
            ProjectionCheckpoint.objects.get_or_create(name=name)
            cursor.execute(sql, [name])
            row = cursor.fetchone()
    return row[0]


def _store_checkpoint(name: str, position: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ProjectionCheckpoint._meta.db_table} SET position = %s, updated_at = %s "
            "WHERE name = %s",
            [position, timezone.now(), name],
        )


def project_batch(target: ProjectionTarget, *, batch_size: int = 1000) -> int:
    """Apply the next batch after the checkpoint in ONE transaction; returns events read."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # never relax a caller's transaction (it may hold event appends)
            _relax_commit()
        position = _lock_checkpoint_position(target.checkpoint)  # one projector at a time
        records = events_read(after=position, limit=batch_size)
        if not records:
            return 0
        changed, old_versions, had_rows = apply_records(target, records)
        write_states(target, changed, had_rows=had_rows)
        if target.write_snapshots:
            every = snapshot_every()
            snapshots_write(
                (a, s)
                for a, s in changed.items()
                if crossed_snapshot_boundary(old_versions.get(a, 0), s["version"], every)
            )
        _store_checkpoint(target.checkpoint, records[-1].position)
        return len(records)


def project_pending(
    target: ProjectionTarget = LIVE,
    *,
    batch_size: int = 1000,
    max_batches: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ProjectionRun:
    """Run the projector until it reaches the head of the log (or ``max_batches``)."""
    run = ProjectionRun()
    started = time.monotonic()
    while max_batches is None or run.batches < max_batches:
        count = project_batch(target, batch_size=batch_size)
        if not count:
            break
        run.events += count
        run.batches += 1
        if progress is not None:
            progress(run.events)
    run.position = checkpoint_position(target.checkpoint)
    run.seconds = time.monotonic() - started
    if run.events:
        logger.info(
            "projection %s applied %d events up to position %d",
            target.checkpoint,
            run.events,
            run.position,
        )
    return run


def checkpoint_position(name: str = PROJECTION_NAME) -> int:
    return (
        ProjectionCheckpoint.objects.filter(name=name).values_list("position", flat=True).first()
        or 0
    )


def projection_rows(target: ProjectionTarget = LIVE) -> tuple[list[tuple], list[tuple]]:
    """Every member and enrollment row as comparable tuples (surrogate ids left out)."""
    member_cols = [f.attname for f in target.member_model._meta.concrete_fields]
    enrollment_cols = [
        f.attname for f in target.enrollment_model._meta.concrete_fields if f.attname != "id"
    ]
    members = list(target.member_model.objects.order_by("aggregate_id").values_list(*member_cols))
    enrollments = list(
        target.enrollment_model.objects.order_by("member_id", "coverage_key").values_list(
            *enrollment_cols
        )
    )
    return members, enrollments


def member_states(aggregate_ids: Iterable[str]) -> dict[str, dict]:
    """Live projection states of these members (helper for reports and reconciliation)."""
    return load_states(LIVE, list(aggregate_ids))


def lag_alert_threshold() -> int:
    """Lag (events) above which a LAG alert is raised (``EVENTSTORE_LAG_ALERT_EVENTS``)."""
    from django.conf import settings

    return int(getattr(settings, "EVENTSTORE_LAG_ALERT_EVENTS", 10_000))


def stuck_lag_minutes() -> int:
    """Minutes of unchanged non-zero lag before a STUCK alert (``EVENTSTORE_STUCK_LAG_MINUTES``)."""
    from django.conf import settings

    return int(getattr(settings, "EVENTSTORE_STUCK_LAG_MINUTES", 10))


def projection_lag_check(*, now: dt.datetime | None = None) -> list[str]:
    """Raise or resolve LAG / STUCK alerts for the live projection. Returns alert kinds open.

    Lag = head position - checkpoint. STUCK = a non-zero lag that has not changed for
    ``stuck_lag_minutes()`` (the projector is not running or fails on an event).
    """
    from eventstore.ledger.services.events import events_head
    from eventstore.models import LagAlertKind, ProjectionLagAlert

    now = now or timezone.now()
    head = events_head()
    with transaction.atomic():
        ProjectionCheckpoint.objects.get_or_create(name=PROJECTION_NAME)
        checkpoint = ProjectionCheckpoint.objects.select_for_update().get(name=PROJECTION_NAME)
        lag = max(head - checkpoint.position, 0)
        if lag != checkpoint.last_lag:
            checkpoint.last_lag = lag
            checkpoint.lag_since = now
            checkpoint.save(update_fields=["last_lag", "lag_since"])
        wanted = set()
        if lag > lag_alert_threshold():
            wanted.add(LagAlertKind.LAG)
        if lag and now - checkpoint.lag_since >= dt.timedelta(minutes=stuck_lag_minutes()):
            wanted.add(LagAlertKind.STUCK)
        open_alerts = {
            a.kind: a
            for a in ProjectionLagAlert.objects.filter(
                projection=PROJECTION_NAME, resolved_at__isnull=True
            )
        }
        for kind in wanted - set(open_alerts):
            ProjectionLagAlert.objects.create(
                projection=PROJECTION_NAME,
                kind=kind,
                head_position=head,
                checkpoint_position=checkpoint.position,
                lag=lag,
                raised_at=now,
            )
            logger.warning(
                "projection %s %s alert: head %d checkpoint %d lag %d",
                PROJECTION_NAME,
                kind,
                head,
                checkpoint.position,
                lag,
            )
        for kind, alert in open_alerts.items():
            if kind not in wanted:
                alert.resolved_at = now
                alert.save(update_fields=["resolved_at"])
    return sorted(wanted)
