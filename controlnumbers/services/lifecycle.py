"""The life of an issued number: ISSUED -> PERSISTED (its file is stored) or FAILED (never
sent: a documented gap), FAILED -> REISSUED (recovery rebuilds the same file) or PERSISTED.

Each function is one UPDATE of the file's audit rows; on PostgreSQL a trigger refuses any
other transition, so a bug here cannot rewrite history.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, TextField, Value, When
from django.db.models.functions import Concat

from edi_platform.core.db import hot_cursor

from ..domain import ControlNumberError, EnvelopeNumbers, NumbersNotFound
from ..models import AuditStatus, ControlNumberAudit, ControlNumberCounter
from ..selectors import numbers_for_file

logger = logging.getLogger(__name__)


# --- lifecycle ---------------------------------------------------------------------------------
def _append_note(note: str):
    """An expression appending ``note`` to the row's notes (one UPDATE for many rows)."""
    if not note:
        return F("notes")
    return Case(
        When(notes="", then=Value(note, output_field=TextField())),
        default=Concat(F("notes"), Value(" | " + note), output_field=TextField()),
        output_field=TextField(),
    )


def numbers_mark_persisted(
    *, outbound_file_id: uuid.UUID, file_name: str = "", note: str = ""
) -> int:
    """ISSUED/FAILED -> PERSISTED for the file's numbers; returns the rows moved.

    REISSUED rows are final (they record that the numbers went out on a recovery attempt) and
    are left as they are. With ``file_name`` the rows remember the file, and a counter whose
    latest number belongs to this file records it as ``last_file_name``.
    """
    if connection.vendor == "postgresql":
        # every persisted file, real-time ones included: one prepared statement (the two ORM
        # UPDATEs below cost ~2 ms of query building per file, a quarter of a real-time file)
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(
                _persist_sql(),
                {
                    "file": outbound_file_id,
                    "name": file_name,
                    "note": note,
                    "persisted": AuditStatus.PERSISTED.value,
                    "issued": AuditStatus.ISSUED.value,
                    "failed": AuditStatus.FAILED.value,
                },
            )
            return int(cursor.fetchone()[0])
    # No savepoint: callers (assembly's finishing transaction) roll back as a whole anyway,
    # and a savepoint costs two round trips on every persisted file.
    with transaction.atomic(savepoint=False):
        rows = ControlNumberAudit.objects.filter(
            outbound_file_id=outbound_file_id,
            status__in=[AuditStatus.ISSUED, AuditStatus.FAILED],
        )
        changes: dict[str, Any] = {"status": AuditStatus.PERSISTED, "notes": _append_note(note)}
        if file_name:
            changes["file_name"] = file_name
        moved = rows.update(**changes)
        if file_name and moved:
            # One conditional UPDATE: a counter whose current value (same epoch) is one of
            # this file's numbers has its latest number in this file (numbers only grow).
            # It touches (and locks) the counter only then, so it rarely competes with
            # allocations.
            mine = ControlNumberAudit.objects.filter(outbound_file_id=outbound_file_id)
            ControlNumberCounter.objects.filter(
                Exists(
                    mine.filter(
                        counter_id=OuterRef("id"),
                        epoch=OuterRef("epoch"),
                        number=OuterRef("current_value"),
                    )
                ),
                id__in=mine.values("counter_id"),
            ).update(last_file_name=file_name)
    return moved


@functools.cache
def _persist_sql() -> str:
    """:func:`numbers_mark_persisted` on PostgreSQL, the same two UPDATEs in one statement:
    the file's ISSUED/FAILED audit rows become PERSISTED (note appended, file name when
    given), and when any moved and a name is given, each counter whose current value (same
    epoch) is one of the file's numbers records it; returns the rows moved."""
    quote = connection.ops.quote_name
    audit = quote(ControlNumberAudit._meta.db_table)
    counter = quote(ControlNumberCounter._meta.db_table)
    return (
        f"WITH moved AS (UPDATE {audit} SET status = %(persisted)s, "
        "notes = CASE WHEN %(note)s = '' THEN notes WHEN notes = '' THEN %(note)s "
        "ELSE notes || ' | ' || %(note)s END, "
        "file_name = CASE WHEN %(name)s = '' THEN file_name ELSE %(name)s END "
        "WHERE outbound_file_id = %(file)s AND status IN (%(issued)s, %(failed)s) RETURNING 1), "
        f"latest AS (UPDATE {counter} AS c SET last_file_name = %(name)s "
        "WHERE %(name)s <> '' AND EXISTS (SELECT 1 FROM moved) "
        f"AND EXISTS (SELECT 1 FROM {audit} AS a WHERE a.outbound_file_id = %(file)s "
        "AND a.counter_id = c.id AND a.epoch = c.epoch AND a.number = c.current_value)) "
        "SELECT count(*) FROM moved"
    )


def numbers_mark_failed(*, outbound_file_id: uuid.UUID, reason: str, file_name: str = "") -> int:
    """ISSUED -> FAILED with ``reason`` in the notes; returns the rows moved.

    FAILED numbers are documented gaps until reissued or closed. Pass ``file_name`` when the
    file may exist in storage anyway (the "Close gap" remediation looks for it).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required")
    changes: dict[str, Any] = {"status": AuditStatus.FAILED, "notes": _append_note(reason)}
    if file_name:
        changes["file_name"] = file_name
    with transaction.atomic():
        return ControlNumberAudit.objects.filter(
            outbound_file_id=outbound_file_id, status=AuditStatus.ISSUED
        ).update(**changes)


def numbers_reissue(*, outbound_file_id: uuid.UUID, note: str = "") -> EnvelopeNumbers:
    """Recovery: hand back the SAME numbers already allocated to this file, marked REISSUED.

    ISSUED rows (an attempt interrupted before it persisted) move ISSUED -> FAILED -> REISSUED,
    FAILED rows FAILED -> REISSUED: the audit state machine has no direct ISSUED -> REISSUED.
    Already REISSUED rows are returned again (a recovery may itself be interrupted).
    Refused when the file's numbers were already persisted (they went out once).
    """

    with transaction.atomic():
        rows = ControlNumberAudit.objects.select_for_update().filter(
            outbound_file_id=outbound_file_id
        )
        statuses = set(rows.values_list("status", flat=True))
        if not statuses:
            raise NumbersNotFound(f"no control numbers allocated to file {outbound_file_id}")
        if AuditStatus.PERSISTED in statuses:
            raise ControlNumberError(
                f"file {outbound_file_id} was already persisted: its numbers are not reissued"
            )
        rows.filter(status=AuditStatus.ISSUED).update(
            status=AuditStatus.FAILED,
            notes=_append_note("attempt did not complete; numbers reissued"),
        )
        rows.filter(status=AuditStatus.FAILED).update(
            status=AuditStatus.REISSUED, notes=_append_note(note or "reissued")
        )
        numbers = numbers_for_file(outbound_file_id=outbound_file_id)
    assert numbers is not None
    return numbers
