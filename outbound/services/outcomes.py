"""Staging of owed responses (called by inbound processing in its own transaction).

:func:`outcome_stage` stages one; :func:`outcomes_stage_many` stages the answers of many
transaction sets at once (a bulk handler's chunk: one statement, idempotent by dedupe key).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from edi_platform.core.db import (
    copy_insert_unless_exists,
    db_connection,
    field_param,
    hot_cursor,
    insert_unless_exists_sql,
)
from edi_platform.core.tasking import enqueue_on_commit
from edi_platform.partners.models import TradingPartner
from outbound.models import BatchWindow, OutcomeStatus, ProcessingOutcome
from outbound.responders import UnknownResponseType, spec_for

from .windows import windows_read

# A response type no responder declares (never staged in practice) waits this long.
UNKNOWN_TYPE_WINDOW_MINUTES = 5
# Windows are read for every staged outcome (several per inbound file) but edited rarely by
# an operator: a few seconds of staleness in other processes costs nothing (the window only
# sets when the answer is due), while a query per outcome costs a round trip per file.
WINDOW_CACHE_SECONDS = 5.0
_window_cache: dict[str, tuple[float, int | None]] = {}


@receiver(post_save, sender=BatchWindow)
@receiver(post_delete, sender=BatchWindow)
def _forget_windows(**_: Any) -> None:
    """An edit in this process is seen at once (other processes after WINDOW_CACHE_SECONDS)."""
    _window_cache.clear()


def window_minutes_for(response_type: str) -> int:
    """The batch window of a response type, in minutes: the BatchWindow row, else (when an
    operator deleted it) the responder's default."""
    now = time.monotonic()
    cached = _window_cache.get(response_type)
    if cached is not None and now - cached[0] < WINDOW_CACHE_SECONDS:
        minutes = cached[1]
    else:
        window = windows_read().get(response_type)
        minutes = window.window_minutes if window is not None else None
        _window_cache[response_type] = (now, minutes)
    if minutes is not None:
        return minutes
    try:
        return spec_for(response_type).window_minutes
    except UnknownResponseType:
        return UNKNOWN_TYPE_WINDOW_MINUTES


def outcome_stage(
    *,
    partner: TradingPartner,
    response_type: str,
    payload: dict[str, Any] | bytes,
    dedupe_key: str,
    batch_id: int | None = None,
    isa13: str = "",
    gs06: str = "",
    st02s: list[str] | None = None,
    window_minutes: int | None = None,
) -> tuple[ProcessingOutcome, bool]:
    """Stage one owed response as a PENDING outcome, due after its batch window.

    ``window_minutes`` overrides the response type's window for this outcome (e.g. a 270
    with one inquiry is answered at once while batch 270s wait for the 271 window).

    Call inside the transaction that records the inbound batch's final status, so outcomes
    exist exactly when the batch says it was processed. ``dedupe_key`` makes staging
    idempotent (reprocessing a batch does not owe the partner a second answer): returns
    ``(outcome, created)``.

    ``payload`` may come already encoded as JSON (``bytes``, e.g. the 999 of a group of 10^5
    sets from :func:`edi_platform.x12.ack_999_json`): it is stored as it is, and the returned
    instance loads it back from the database when ``payload`` is read.
    """
    now = timezone.now()
    minutes = window_minutes_for(response_type) if window_minutes is None else window_minutes
    outcome = ProcessingOutcome(
        partner=partner,
        response_type=response_type,
        batch_id=batch_id,
        isa13=isa13,
        gs06=gs06,
        st02s=list(st02s or []),
        payload=payload,
        dedupe_key=dedupe_key,
        status=OutcomeStatus.PENDING,
        created_at=now,
        due_at=now + timedelta(minutes=minutes),
    )
    created = _insert_unless_staged(outcome)
    if created and isinstance(payload, bytes):
        del outcome.__dict__["payload"]  # deferred: read back from the row if asked for
    if not created:
        return ProcessingOutcome.objects.get(dedupe_key=dedupe_key), False
    if minutes == 0:
        # Immediate windows (TA1) do not wait for the next beat tick: assemble once the
        # staging transaction commits (the every-minute schedule picks it up anyway).
        enqueue_on_commit(
            "outbound.tasks.assemble_due", partner_code=partner.code, response_type=response_type
        )
    return outcome, created


_MANY_COLUMNS = (
    "partner_id",
    "response_type",
    "batch_id",
    "isa13",
    "gs06",
    "st02s",
    "payload",
    "dedupe_key",
    "status",
    "created_at",
    "due_at",
    "failure_reason",
)


@dataclass(frozen=True)
class OwedOutcome:
    """One response to stage with :func:`outcomes_stage_many`."""

    partner_id: int
    dedupe_key: str
    payload: bytes  # JSON, encoded already
    batch_id: int | None = None
    isa13: str = ""
    gs06: str = ""
    st02s: tuple[str, ...] = ()


def outcomes_stage_many(
    *, response_type: str, owed: Sequence[OwedOutcome], window_minutes: int | None = None
) -> dict[str, tuple[int, bool]]:
    """Stage many PENDING outcomes of one response type in one statement; returns
    ``{dedupe_key: (outcome id, created)}`` (created False: staged before, kept as it was).

    COPY then ``INSERT ... SELECT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING`` on
    PostgreSQL (then one SELECT for the keys staged before); one :func:`outcome_stage`
    each elsewhere. Same transaction rule as :func:`outcome_stage`. A 0-minute window
    enqueues assembly on commit, once per partner.
    """
    if not owed:
        return {}
    now = timezone.now()
    minutes = window_minutes_for(response_type) if window_minutes is None else window_minutes
    due = now + timedelta(minutes=minutes)
    if connection.vendor != "postgresql":
        partners = TradingPartner.objects.in_bulk({o.partner_id for o in owed})
        out: dict[str, tuple[int, bool]] = {}
        for o in owed:
            outcome, created = outcome_stage(
                partner=partners[o.partner_id],
                response_type=response_type,
                payload=o.payload,
                dedupe_key=o.dedupe_key,
                batch_id=o.batch_id,
                isa13=o.isa13,
                gs06=o.gs06,
                st02s=list(o.st02s),
                window_minutes=minutes,
            )
            out[o.dedupe_key] = (outcome.pk, created)
        return out
    # COPY (values dumped in C) into a temporary table, then one INSERT ... ON CONFLICT:
    # the unique index on dedupe_key decides, race-free
    pending = OutcomeStatus.PENDING.value
    rows = (
        (
            o.partner_id,
            response_type,
            o.batch_id,
            o.isa13,
            o.gs06,
            orjson.dumps(list(o.st02s)).decode(),
            o.payload.decode(),
            o.dedupe_key,
            pending,
            now,
            due,
            "",
        )
        for o in owed
    )
    inserted = copy_insert_unless_exists(
        table=ProcessingOutcome._meta.db_table,
        columns=_MANY_COLUMNS,
        rows=rows,
        conflict="dedupe_key",
        returning="id, dedupe_key",
    )
    out = {key: (pk, True) for pk, key in inserted}
    missing = [o.dedupe_key for o in owed if o.dedupe_key not in out]
    if missing:
        for pk, key in ProcessingOutcome.objects.filter(dedupe_key__in=missing).values_list(
            "id", "dedupe_key"
        ):
            out[key] = (pk, False)
    if minutes == 0 and any(created for _, created in out.values()):
        codes = TradingPartner.objects.filter(pk__in={o.partner_id for o in owed})
        for code in sorted(codes.values_list("code", flat=True)):
            enqueue_on_commit(
                "outbound.tasks.assemble_due", partner_code=code, response_type=response_type
            )
    return out


def outcomes_expedite(*, batch_id: int, response_type: str, due_at: datetime | None = None) -> int:
    """Bring the PENDING ``response_type`` outcomes of one inbound batch forward to
    ``due_at`` (default now), never later than they already were; returns how many moved.

    Used when a business response of the batch is due sooner than its acknowledgment
    (a real-time 271 is assembled at once, a batch 271 after 2 minutes, the 999 after 5):
    the acknowledgment must not arrive after the answer. When they become due now, their
    assembly is enqueued on commit (before anything the caller enqueues afterwards).
    """
    now = timezone.now()
    due_at = due_at or now
    rows = list(
        ProcessingOutcome.objects.filter(
            batch_id=batch_id,
            response_type=response_type,
            status=OutcomeStatus.PENDING,
            due_at__gt=due_at,
        ).values_list("id", "partner__code")
    )
    if not rows:
        return 0
    ProcessingOutcome.objects.filter(id__in=[r[0] for r in rows]).update(due_at=due_at)
    if due_at <= now:
        for code in sorted({r[1] for r in rows}):
            enqueue_on_commit(
                "outbound.tasks.assemble_due", partner_code=code, response_type=response_type
            )
    return len(rows)


def _insert_unless_staged(outcome: ProcessingOutcome) -> bool:
    """``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``: one round trip.

    ``get_or_create`` costs a SELECT, a savepoint, the INSERT and its release (and a second
    SELECT on a race); the conflict clause lets the unique index decide, race-free, without
    aborting the caller's transaction. Sets ``outcome.pk`` and returns True when inserted.
    """
    sql, fields = insert_unless_exists_sql(ProcessingOutcome, "dedupe_key")
    conn = db_connection()
    params = [field_param(f, f.pre_save(outcome, add=True), conn) for f in fields]
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    outcome.pk = row[0]
    outcome._state.adding = False
    outcome._state.db = DEFAULT_DB_ALIAS
    return True
