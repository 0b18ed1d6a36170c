"""The outbound half of assembly's finishing transaction in ONE statement on PostgreSQL.

Every persisted file ends with the same three writes; on PostgreSQL they are one
data-modifying statement (one round trip, prepared once per connection, no ORM to compile):

1. the file ASSEMBLING → PERSISTED with its path, size, sha256 and segment count — a
   conditional UPDATE that takes no row when recovery (or a slow twin) finished it meanwhile;
2. its outcomes ASSEMBLED, only when 1 took the row;
3. its outbox message ('file ready'), only when 1 took the row.

It runs inside assembly's finishing transaction, which also marks the numbers PERSISTED and
commits once: a crash anywhere leaves none of it, the file ASSEMBLING for recovery. Other
databases (SQLite, the embedded default) make the same writes through the ORM.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from edi_platform.core.db import db_connection, hot_cursor
from outbound.models import (
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutcomeStatus,
    ProcessingOutcome,
)

__all__ = ["file_finish"]


@cache
def _finish_sql() -> tuple[str, list[Any]]:
    """The statement and the outbox fields it inserts (built once per process)."""
    quote = connection.ops.quote_name
    fields = [f for f in OutboxMessage._meta.concrete_fields if not f.primary_key]
    # explicit casts: a parameter in a SELECT list has no column to take its type from
    values = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
    sql = f"""
WITH f AS (
    UPDATE {quote(OutboundFile._meta.db_table)}
    SET status = %s, storage_path = %s, size = %s, sha256 = %s, segment_count = %s,
        updated_at = %s
    WHERE id = %s AND status = %s
    RETURNING id
),
o AS (
    UPDATE {quote(ProcessingOutcome._meta.db_table)}
    SET status = %s, assembled_at = %s, failure_reason = ''
    WHERE outbound_file_id IN (SELECT id FROM f)
)
INSERT INTO {quote(OutboxMessage._meta.db_table)} ({", ".join(quote(f.column) for f in fields)})
SELECT {values} FROM f
RETURNING 1
"""
    return sql, fields


def file_finish(
    *, file_id: uuid.UUID, fields: dict[str, Any], now: datetime, outbox: OutboxMessage
) -> bool:
    """File PERSISTED (``fields``: status, storage_path, size, sha256, segment_count,
    updated_at), its outcomes ASSEMBLED at ``now`` and ``outbox`` inserted; False (nothing
    written) when the file was no longer ASSEMBLING. Call inside a transaction."""
    if connection.vendor != "postgresql":
        return _file_finish_orm(file_id=file_id, fields=fields, now=now, outbox=outbox)
    sql, outbox_fields = _finish_sql()
    params: list[Any] = [fields[name] for name in _FILE_FIELDS]
    params += [file_id, OutboundFileStatus.ASSEMBLING, OutcomeStatus.ASSEMBLED, now]
    conn = db_connection()
    params += [f.get_db_prep_save(f.pre_save(outbox, add=True), conn) for f in outbox_fields]
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        return bool(cursor.fetchall())


_FILE_FIELDS = ("status", "storage_path", "size", "sha256", "segment_count", "updated_at")


def _file_finish_orm(
    *, file_id: uuid.UUID, fields: dict[str, Any], now: datetime, outbox: OutboxMessage
) -> bool:
    # The conditional UPDATE locks the row and tells whether we still own the file.
    if not OutboundFile.objects.filter(pk=file_id, status=OutboundFileStatus.ASSEMBLING).update(
        **fields
    ):
        return False
    ProcessingOutcome.objects.filter(outbound_file_id=file_id).update(
        status=OutcomeStatus.ASSEMBLED, assembled_at=now, failure_reason=""
    )
    outbox.save(force_insert=True)
    return True
