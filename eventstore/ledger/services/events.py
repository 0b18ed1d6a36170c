"""Appending to and reading the domain event log.

Positions are gap-free and commit-ordered: every append transaction first updates the single
``PositionCounter`` row (``UPDATE ... RETURNING`` takes the same row lock as ``SELECT ... FOR
UPDATE`` and keeps it until commit), takes the contiguous block ``last+1 .. last+n`` for its
events, checks aggregate versions under that lock, inserts and commits. A failed append rolls
the counter back with everything else (no hole), and the next appender can only take the lock
once this one's commit is visible, so positions become visible in order.

Steps of an append: 1. validate every payload (nothing sent yet); 2. lock the counter and take
the positions; 3. read or check the aggregates' versions under that lock; 4. insert (COPY);
5. commit (the caller's, when it holds a transaction); 6. the projector is enqueued on commit.
On PostgreSQL a single event does 2-4 in one statement (``eventstore_append_event``, migration
0016): outside a transaction one round trip instead of five; inside one it keeps a savepoint.
A crash at any step before commit leaves nothing: counter, rows and version checks roll back
together (no hole, no half-appended batch); after commit the events stand and the projector
catches up from its checkpoint (the beat schedule runs it too).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import orjson
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from edi_platform.core.db import hot_cursor
from edi_platform.core.tasking import enqueue_on_commit
from eventstore.ledger.events.aggregate import EventRecord
from eventstore.ledger.events.schemas import CURRENT_VERSIONS, MEMBER, is_reversal_type, schema_for
from eventstore.ledger.events.upcasting import upcast_event
from eventstore.ledger.events.validation import SchemaViolation, errors, is_valid
from eventstore.models import EVENTS_COUNTER, DomainEvent, EventSnapshot, PositionCounter

logger = logging.getLogger(__name__)

_COLUMNS = (
    "position",
    "event_id",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "batch_id",
    "header_id",
    "occurred_at",
    "recorded_at",
    "is_reversal",
    "reverses_id",
)


class ConcurrencyError(Exception):
    """An aggregate's version is not the one the caller expected (someone appended first)."""


class EventValidationError(ValueError):
    """An event does not match its schema (message: event index, paths and rules; no values)."""


class NewEvent(NamedTuple):
    """An event to append. ``schema_version`` None = the type's current version.

    A named tuple rather than a dataclass: appends build tens of thousands per second and a
    frozen dataclass costs several times more to create. Treat ``metadata`` as read-only.
    """

    aggregate_id: str
    event_type: str
    data: dict[str, Any]
    aggregate_type: str = MEMBER
    schema_version: int | None = None
    metadata: Mapping[str, Any] | None = None
    occurred_at: dt.datetime | None = None
    batch_id: int | None = None
    header_id: int | None = None
    reverses: int | None = None  # position of the event this one compensates
    event_id: uuid.UUID | None = None


class AppendedEvent(NamedTuple):
    position: int
    event_id: uuid.UUID
    aggregate_id: str
    aggregate_version: int
    event_type: str


def _validate(index: int, event: NewEvent, version: int) -> None:
    if is_reversal_type(event.event_type) != (event.reverses is not None):
        raise EventValidationError(f"event {index}: reversal type and 'reverses' disagree")
    try:
        schema = schema_for(event.event_type, version)
    except ValueError as exc:  # unknown type/version
        raise EventValidationError(f"event {index}: {exc}") from None
    if is_valid(event.data, schema):
        return
    problems = errors(event.data, schema)
    if problems:
        raise EventValidationError(f"event {index} ({event.event_type}): " + "; ".join(problems))


def _to_json(value: Any) -> str:
    """Compact JSON text of a payload (orjson: the encoding was a large share of an append)."""
    return orjson.dumps(value).decode()


def _take_positions(count: int) -> int:
    """Lock the counter row, reserve ``count`` positions, return the first one."""
    table = PositionCounter._meta.db_table
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(
                f"UPDATE {table} SET last_position = last_position + %s "
                "WHERE name = %s RETURNING last_position",
                [count, EVENTS_COUNTER],
            )
            row = cursor.fetchone()
            if row is not None:
                return row[0] - count + 1
            # The row is seeded by a migration; recreate it if a flush removed it.
            PositionCounter.objects.get_or_create(name=EVENTS_COUNTER)
    raise RuntimeError("position counter row missing")  # pragma: no cover


def current_versions(aggregate_ids: Iterable[str]) -> dict[str, int]:
    """Current version of each aggregate (0 when it has no events)."""
    ids = list(dict.fromkeys(aggregate_ids))
    found: dict[str, int] = dict.fromkeys(ids, 0)
    table = DomainEvent._meta.db_table
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        if connection.vendor == "postgresql":
            # One array parameter (binding thousands of strings costs more), and one index
            # probe per id (max over the (aggregate_id, aggregate_version) index): a plain
            # "= ANY(...)" turns into a sequential scan when statistics lag a bulk load.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT ids.id, (SELECT max(e.aggregate_version) FROM {table} e "
                    "WHERE e.aggregate_id = ids.id) FROM unnest(%s::varchar[]) AS ids(id)",
                    [chunk],
                )
                found.update({a: v for a, v in cursor.fetchall() if v is not None})
            continue
        rows = (
            DomainEvent.objects.filter(aggregate_id__in=chunk)
            .values_list("aggregate_id")
            .annotate(v=Max("aggregate_version"))
        )
        found.update(dict(rows))
    return found


def _missing_versions(expected: Mapping[str, int]) -> list[str]:
    """Aggregates whose expected version (> 0) is not stored: the caller is ahead of the log."""
    wanted = {a: v for a, v in expected.items() if v > 0}
    if not wanted:
        return []
    table = DomainEvent._meta.db_table
    missing: list[str] = []
    ids = list(wanted)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT x.id FROM unnest(%s::varchar[], %s::int[]) AS x(id, v) "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {table} e "
                    "WHERE e.aggregate_id = x.id AND e.aggregate_version = x.v)",
                    [chunk, [wanted[a] for a in chunk]],
                )
                missing.extend(row[0] for row in cursor.fetchall())
            continue
        stored = set(
            DomainEvent.objects.filter(aggregate_id__in=chunk).values_list(
                "aggregate_id", "aggregate_version"
            )
        )
        missing.extend(a for a in chunk if (a, wanted[a]) not in stored)
    return missing


_UUID_CHUNK = 256
_UUID_V7_BITS = (0x7 << 76) | (0x2 << 62)  # version 7, RFC 4122 variant
_new_object = object.__new__
_set_attribute = object.__setattr__


def _event_ids() -> Iterator[uuid.UUID]:
    """Time-ordered UUIDs (version 7 layout: 48-bit Unix milliseconds, then random), made as
    they are needed.

    Random (version 4) ids scatter the inserts of the unique ``event_id`` index over the
    whole index; ids that grow with time keep them on its right-most pages, which measured
    several microseconds per event cheaper on a log of a million events. 74 random bits per
    millisecond keep them unique. Made lazily, a few hundred per ``os.urandom`` call: the
    first COPY row does not wait for a thousand ids (PostgreSQL would sit idle meanwhile).
    Built from the integer directly (``uuid.UUID(int=...)`` re-checks what is known valid).
    """
    while True:
        head = (time.time_ns() // 1_000_000) << 80 | _UUID_V7_BITS
        pool = os.urandom(10 * _UUID_CHUNK)
        for offset in range(0, 10 * _UUID_CHUNK, 10):
            yield _uuid7(head, pool[offset : offset + 10])


def _event_id() -> uuid.UUID:
    """One time-ordered id (the single-event append: no pool to draw ahead)."""
    return _uuid7((time.time_ns() // 1_000_000) << 80 | _UUID_V7_BITS, os.urandom(10))


def _uuid7(head: int, random_bytes: bytes) -> uuid.UUID:
    r = int.from_bytes(random_bytes, "big")
    value = head | ((r >> 68) & 0xFFF) << 64 | (r & 0x3FFF_FFFF_FFFF_FFFF)
    event_id = _new_object(uuid.UUID)
    _set_attribute(event_id, "int", value)
    _set_attribute(event_id, "is_safe", uuid.SafeUUID.unknown)
    return event_id


def _rows(
    events: Sequence[NewEvent],
    versions: dict[str, int],
    first: int,
    now: dt.datetime,
    appended: list[AppendedEvent],
) -> Iterator[tuple]:
    """Validate and encode the COPY rows lazily: PostgreSQL inserts while Python works on.

    Raises :class:`EventValidationError` mid-stream: the COPY is then aborted and the whole
    append rolls back (positions included).
    """
    fresh = _event_ids()
    stamp = _timestamp_text(now)
    stamps: dict[dt.datetime, str] = {}
    current = CURRENT_VERSIONS
    for offset, event in enumerate(events):
        schema_version = event.schema_version or current.get(event.event_type, 0)
        _validate(offset, event, schema_version)
        aggregate_id = event.aggregate_id
        version = versions[aggregate_id] + 1
        versions[aggregate_id] = version
        event_id = event.event_id or next(fresh)
        position = first + offset
        occurred = event.occurred_at
        if occurred is None:
            occurred_text = stamp
        else:
            occurred_text = stamps.get(occurred) or stamps.setdefault(
                occurred, _timestamp_text(occurred)
            )
        appended.append(AppendedEvent(position, event_id, aggregate_id, version, event.event_type))
        yield (
            position,
            str(event_id),
            event.aggregate_type,
            aggregate_id,
            version,
            event.event_type,
            schema_version,
            _to_json(event.data),
            _to_json(event.metadata) if event.metadata else "{}",
            event.batch_id,
            event.header_id,
            occurred_text,
            stamp,
            event.reverses is not None,
            event.reverses,
        )


def _timestamp_text(value: dt.datetime) -> str:
    """A timestamptz in the text COPY format (formatted once per distinct value)."""
    return _aware(value).isoformat()


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value, dt.UTC) if timezone.is_naive(value) else value


def _insert_postgresql(rows: Iterable[tuple]) -> None:
    """COPY the rows (the fastest bulk path; one round trip for small appends too)."""
    table = DomainEvent._meta.db_table
    cols = ", ".join(_COLUMNS)
    # The raw psycopg cursor bypasses Django's error translation: keep it (IntegrityError).
    with connection.wrap_database_errors, connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _insert_generic(rows: Iterable[tuple]) -> None:
    objs = []
    for row in rows:
        values = dict(zip(_COLUMNS, row, strict=True))
        values["data"] = json.loads(values["data"])
        values["metadata"] = json.loads(values["metadata"])
        values["occurred_at"] = dt.datetime.fromisoformat(values["occurred_at"])
        values["recorded_at"] = dt.datetime.fromisoformat(values["recorded_at"])
        objs.append(DomainEvent(**values))
    DomainEvent.objects.bulk_create(objs, batch_size=500)


def events_append(
    *,
    events: Sequence[NewEvent],
    expected_versions: Mapping[str, int] | None = None,
    project: bool = True,
) -> list[AppendedEvent]:
    """Append ``events`` atomically with a contiguous block of positions.

    ``expected_versions`` maps aggregate ids to the version the caller based its decision on
    (0 = a new aggregate); a mismatch raises :class:`ConcurrencyError` and appends nothing.
    Aggregates not in the mapping are appended at their current version + 1. Every payload is
    validated against its type's schema (:class:`EventValidationError`). When ``project`` is
    true the projector task is enqueued on commit (it runs inline in eager mode).
    Joins the caller's transaction when there is one.

    An aggregate with an expected version costs no read of its current version: its events
    get ``expected + 1 ...`` and the unique (aggregate, version) index rejects them if another
    append got there first (an expected version that was never stored is checked explicitly).
    """
    if not events:
        return []
    if len(events) == 1 and connection.vendor == "postgresql":
        return _append_one(events[0], expected_versions or {}, project)
    expected = dict(expected_versions or {})
    now = timezone.now()
    appended: list[AppendedEvent] = []
    try:
        with transaction.atomic():
            first = _take_positions(len(events))
            unknown = {e.aggregate_id for e in events if e.aggregate_id not in expected}
            versions = current_versions(unknown) if unknown else {}
            behind = _missing_versions(expected)
            if behind:
                # Ids only: aggregate ids are keyed hashes, not PHI.
                raise ConcurrencyError(
                    f"aggregate {behind[0]} is behind the expected version {expected[behind[0]]}"
                )
            versions.update(expected)
            rows = _rows(events, versions, first, now, appended)
            if connection.vendor == "postgresql":
                _insert_postgresql(rows)
            else:
                _insert_generic(rows)
            if project:
                enqueue_on_commit("eventstore.ledger.tasks.project_events")
    except IntegrityError as exc:
        # The atomic block above has already rolled back (positions included: no hole).
        if not _someone_came_first(exc):
            raise
        raise ConcurrencyError(_CONFLICT) from exc
    logger.info(
        "appended %d events at positions %d..%d", len(events), first, first + len(events) - 1
    )
    return appended


_CONFLICT = "concurrent append to the same aggregate or event"


def _someone_came_first(exc: IntegrityError) -> bool:
    """A uniqueness conflict: unique (aggregate, version) or reverses, another append got
    there first. Anything else (a missing batch, header or event) is not a concurrency error."""
    return getattr(exc.__cause__, "sqlstate", "23505") == "23505"


_APPEND_ONE_SQL = (
    "SELECT o_position, o_version FROM eventstore_append_event(%s::varchar, %s::integer, "
    "%s::uuid, %s::varchar, %s::varchar, %s::smallint, %s::jsonb, %s::jsonb, %s::bigint, "
    "%s::bigint, %s::timestamptz, %s::timestamptz, %s::bigint)"
)


def _append_one(event: NewEvent, expected: Mapping[str, int], project: bool) -> list[AppendedEvent]:
    """One event in one statement (PostgreSQL; function of migration 0016).

    Same steps as the general path, run by the server: counter lock and position, version
    under the lock, insert. Outside a transaction the statement is its own transaction (one
    round trip); inside one it runs in a savepoint, as the general path, so a conflict leaves
    the caller's transaction usable. Validated before anything is sent.
    """
    schema_version = event.schema_version or CURRENT_VERSIONS.get(event.event_type, 0)
    _validate(0, event, schema_version)
    now = timezone.now()
    event_id = event.event_id or _event_id()
    params = [
        event.aggregate_id,
        expected.get(event.aggregate_id),
        event_id,
        event.aggregate_type,
        event.event_type,
        schema_version,
        _to_json(event.data),
        _to_json(event.metadata) if event.metadata else "{}",
        event.batch_id,
        event.header_id,
        _aware(event.occurred_at) if event.occurred_at else now,
        now,
        event.reverses,
    ]
    try:
        if connection.get_autocommit() and not connection.in_atomic_block:
            position, version = _call_append_one(params)
        else:
            with transaction.atomic():
                position, version = _call_append_one(params)
    except IntegrityError as exc:
        # The statement (or its savepoint) has rolled back, counter included: no hole.
        if not _someone_came_first(exc):
            raise
        raise ConcurrencyError(_CONFLICT) from exc
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != _BEHIND_SQLSTATE:
            raise
        # The server's message names the aggregate id and version only (keyed hash, no PHI).
        raise ConcurrencyError(exc.__cause__.diag.message_primary) from exc
    if project:
        enqueue_on_commit("eventstore.ledger.tasks.project_events")
    logger.info("appended 1 event at position %d", position)
    return [AppendedEvent(position, event_id, event.aggregate_id, version, event.event_type)]


_BEHIND_SQLSTATE = "EV001"  # raised by eventstore_append_event: expected version not stored


def _call_append_one(params: list[Any]) -> tuple[int, int]:
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(_APPEND_ONE_SQL, params)
        return cursor.fetchone()


def events_head() -> int:
    """The last committed position (0 when the log is empty)."""
    return DomainEvent.objects.aggregate(m=Max("position"))["m"] or 0


_RECORD_FIELDS = (
    "position",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "schema_version",
    "data",
    "is_reversal",
    "reverses_id",
)


def _records(rows: Iterable[tuple]) -> list[EventRecord]:
    """Stored rows as records: ``data`` decoded when it is text (Django reads jsonb as text)
    and upcast to the current schema version (only old-version rows go through the upcaster).
    """
    current = CURRENT_VERSIONS
    loads = orjson.loads
    out = []
    append = out.append
    for position, aggregate_id, version, event_type, schema_version, data, rev, reverses in rows:
        if type(data) is str:
            data = loads(data)
        if current.get(event_type) != schema_version:
            data = upcast_event(event_type, schema_version, data)
        append(EventRecord(position, aggregate_id, version, event_type, data, rev, reverses))
    return out


def events_read(*, after: int = 0, limit: int = 1000) -> list[EventRecord]:
    """Events with position > ``after`` in position order (upcast to current versions)."""
    if connection.vendor == "postgresql":
        # The projector's and the rebuild's hot path: one plain keyset query on the primary
        # key, decoded here. The ORM's per-row conversion (model field converters, JSONField
        # decoding through its encoder hooks) cost about as much as the query itself.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(_RECORD_FIELDS)} FROM {DomainEvent._meta.db_table} "
                "WHERE position > %s ORDER BY position LIMIT %s",
                [after, limit],
            )
            return _records(cursor.fetchall())
    rows = (
        DomainEvent.objects.filter(position__gt=after)
        .order_by("position")
        .values_list(*_RECORD_FIELDS)[:limit]
    )
    return _records(rows)


def aggregate_events(
    aggregate_id: str, *, after_version: int = 0, upto_position: int | None = None
) -> list[EventRecord]:
    """One aggregate's events in version order (upcast)."""
    qs = DomainEvent.objects.filter(aggregate_id=aggregate_id, aggregate_version__gt=after_version)
    if upto_position is not None:
        qs = qs.filter(position__lte=upto_position)
    return _records(qs.order_by("aggregate_version").values_list(*_RECORD_FIELDS))


def aggregates_events(aggregate_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
    """Events of many aggregates at once (version order within each)."""
    out: dict[str, list[EventRecord]] = {a: [] for a in aggregate_ids}
    ids = list(out)
    table = DomainEvent._meta.db_table
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        if connection.vendor == "postgresql":
            # One array parameter instead of thousands of bound strings.
            with connection.cursor() as cursor:
                # LATERAL + OFFSET 0 (not flattened into a join): one index probe per id,
                # whatever the (possibly stale) statistics say after a bulk load.
                cols = ", ".join(f"e.{c}" for c in _RECORD_FIELDS)
                cursor.execute(
                    f"SELECT {cols} FROM unnest(%s::varchar[]) AS ids(id) "
                    f"CROSS JOIN LATERAL (SELECT * FROM {table} x WHERE x.aggregate_id = ids.id "
                    "OFFSET 0) e "
                    "ORDER BY e.aggregate_id, e.aggregate_version",
                    [chunk],
                )
                rows = cursor.fetchall()
        else:
            rows = (
                DomainEvent.objects.filter(aggregate_id__in=chunk)
                .order_by("aggregate_id", "aggregate_version")
                .values_list(*_RECORD_FIELDS)
            )
        for record in _records(rows):
            out[record.aggregate_id].append(record)
    return out


class Snapshot(NamedTuple):
    """The latest stored snapshot of an aggregate (``state`` as stored, not upcast)."""

    version: int
    state_version: int
    state: Any


def aggregates_snapshots_and_events(
    aggregate_ids: Sequence[str],
) -> tuple[dict[str, Snapshot], dict[str, list[EventRecord]]]:
    """The latest snapshot and all events (version order) of many aggregates at once.

    On PostgreSQL one statement per 2,000 ids: each file's 834 set loads its members' states
    with it, and the snapshot lookup through the ORM cost more than both queries on the
    server. Snapshot rows travel in the event columns with a NULL position.
    """
    if connection.vendor != "postgresql":
        return _snapshots_orm(aggregate_ids), aggregates_events(aggregate_ids)
    events: dict[str, list[EventRecord]] = {a: [] for a in aggregate_ids}
    snapshots: dict[str, Snapshot] = {}
    ids = list(events)
    snapshot_table = EventSnapshot._meta.db_table
    cols = ", ".join(f"e.{c}" for c in _RECORD_FIELDS)
    sql = (
        "WITH ids AS (SELECT unnest(%s::varchar[]) AS id) "
        "SELECT NULL::bigint, s.aggregate_id, s.aggregate_version, NULL::varchar, "
        "s.state_version, s.state, NULL::boolean, NULL::bigint FROM ids CROSS JOIN LATERAL "
        f"(SELECT * FROM {snapshot_table} x WHERE x.aggregate_id = ids.id "
        "ORDER BY x.aggregate_version DESC LIMIT 1) s "
        # LATERAL + OFFSET 0, as in aggregates_events: one index probe per id
        f"UNION ALL SELECT {cols} FROM ids CROSS JOIN LATERAL "
        f"(SELECT * FROM {DomainEvent._meta.db_table} x WHERE x.aggregate_id = ids.id "
        "OFFSET 0) e ORDER BY 2, 1 NULLS FIRST, 3"
    )
    loads = orjson.loads
    for start in range(0, len(ids), 2000):
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(sql, [ids[start : start + 2000]])
            rows = cursor.fetchall()
        event_rows = []
        for row in rows:
            if row[0] is None:
                state = row[5]
                snapshots[row[1]] = Snapshot(
                    row[2], row[4], loads(state) if type(state) is str else state
                )
            else:
                event_rows.append(row)
        for record in _records(event_rows):
            events[record.aggregate_id].append(record)
    return snapshots, events


def _snapshots_orm(aggregate_ids: Sequence[str]) -> dict[str, Snapshot]:
    snapshots: dict[str, Snapshot] = {}
    ids = list(dict.fromkeys(aggregate_ids))
    for start in range(0, len(ids), 2000):
        rows = (
            EventSnapshot.objects.filter(aggregate_id__in=ids[start : start + 2000])
            .order_by("aggregate_id", "-aggregate_version")
            .values_list("aggregate_id", "aggregate_version", "state_version", "state")
        )
        for aggregate_id, version, state_version, state in rows:
            if aggregate_id not in snapshots:
                snapshots[aggregate_id] = Snapshot(version, state_version, state)
    return snapshots


__all__ = [
    "AppendedEvent",
    "ConcurrencyError",
    "EventValidationError",
    "NewEvent",
    "SchemaViolation",
    "Snapshot",
    "aggregate_events",
    "aggregates_events",
    "aggregates_snapshots_and_events",
    "current_versions",
    "events_append",
    "events_head",
    "events_read",
]
