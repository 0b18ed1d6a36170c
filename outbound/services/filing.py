"""The allocation transaction's file row and outcome links in ONE statement on PostgreSQL.

Every assembled file starts with the same two writes, inside assembly's allocation
transaction (the one that also takes the file's control numbers):

1. the OutboundFile row, ASSEMBLING, with its numbers, envelope snapshot and the ids of the
   outcomes and inbound batches it answers;
2. its outcomes linked to it: CLAIMED ones without a file or, on the real-time path, the
   PENDING ones the caller's claim holds locked, claimed by the same write.

On PostgreSQL they are one data-modifying statement (one round trip, prepared once per
connection, no ORM to compile: the two ORM calls cost ~1.5 ms of CPU per file, a quarter of
a real-time one). The caller compares the links made with the outcomes it meant and rolls the
whole transaction back when they differ (numbers included), so a crash or a lost claim leaves
neither the row nor the links. Other databases (SQLite, the embedded default) make the same
writes through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, models

from edi_platform.core.db import db_connection, field_param, hot_cursor
from outbound.models import OutboundFile, OutcomeStatus, ProcessingOutcome

__all__ = ["file_insert_and_link"]


@cache
def _insert_and_link_sql() -> tuple[str, list[models.Field]]:
    """The statement and the file fields it inserts, in order (built once per process)."""
    quote = connection.ops.quote_name
    fields = list(OutboundFile._meta.concrete_fields)
    sql = f"""
WITH f AS (
    INSERT INTO {quote(OutboundFile._meta.db_table)} ({", ".join(quote(f.column) for f in fields)})
    VALUES ({", ".join(["%s"] * len(fields))})
    RETURNING id
)
UPDATE {quote(ProcessingOutcome._meta.db_table)}
SET outbound_file_id = (SELECT id FROM f), status = %s, claimed_at = COALESCE(%s, claimed_at)
WHERE id = ANY(%s::bigint[]) AND status = %s AND outbound_file_id IS NULL
"""
    return sql, fields


def file_insert_and_link(
    *, file: OutboundFile, outcome_ids: Sequence[int], claimed_at: datetime | None
) -> int:
    """Insert ``file`` (an unsaved ASSEMBLING row) and link ``outcome_ids`` to it; returns
    how many outcomes were linked. ``claimed_at``: they are PENDING and claimed now (the
    real-time path); None: they are CLAIMED already. Call inside a transaction."""
    if connection.vendor != "postgresql":
        return _insert_and_link_orm(file=file, outcome_ids=outcome_ids, claimed_at=claimed_at)
    sql, fields = _insert_and_link_sql()
    conn = db_connection()
    params = [field_param(f, f.pre_save(file, add=True), conn) for f in fields]
    was = OutcomeStatus.CLAIMED if claimed_at is None else OutcomeStatus.PENDING
    params += [OutcomeStatus.CLAIMED.value, claimed_at, list(outcome_ids), was.value]
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        linked = cursor.rowcount
    file._state.adding = False
    file._state.db = DEFAULT_DB_ALIAS
    return linked


def _insert_and_link_orm(
    *, file: OutboundFile, outcome_ids: Sequence[int], claimed_at: datetime | None
) -> int:
    file.save(force_insert=True)
    outcomes = ProcessingOutcome.objects.filter(id__in=outcome_ids, outbound_file__isnull=True)
    if claimed_at is None:
        return outcomes.filter(status=OutcomeStatus.CLAIMED).update(outbound_file=file)
    return outcomes.filter(status=OutcomeStatus.PENDING).update(
        outbound_file=file, status=OutcomeStatus.CLAIMED, claimed_at=claimed_at
    )
