"""Every hand-written statement and lock of inbound processing (the hot paths).

The statements here run once or more per received file or routed set, so they are plain
SQL on Django's connection through :func:`~edi_platform.core.db.hot_cursor` (server-side
binding, prepared once per connection), with the models' own converters; this is the only
module of inbound that uses it. Other database access of inbound goes through the ORM.

Locks: the (partner, ISA13) advisory lock makes whoever checks a partner's ISA13 for a
duplicate wait for a transaction that holds an uncommitted batch with that ISA13 (see
:func:`isa13_lock_key`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from edi_platform import x12
from edi_platform.core.db import db_connection, hot_cursor, insert_unless_exists_sql
from edi_platform.partners.models import TradingPartner
from edi_platform.x12.peek import IsaHead, is_isa13
from edi_platform.x12.summary import set_errors, set_errors_json
from eventstore.inbound.models import (
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)
from eventstore.inbound.storage import raw_path

from .plan import NO_HANDLER, HeaderSpec, SetHeaders

__all__ = [
    "HEADER_RETURNING_MAX",
    "batch_id_for",
    "batch_update_if_received",
    "duplicate_window_days",
    "find_duplicate",
    "header_set_routing",
    "headers_insert",
    "inbox_shard_lock",
    "isa13_lock",
    "isa13_lock_key",
    "registered_and_partner",
    "single_transaction_batch_insert",
    "status_update_and_headers_insert",
]

logger = logging.getLogger(__name__)

HEADER_BULK_SIZE = 2000
# Up to this many sets, headers go in with one INSERT ... RETURNING (ids known: routing skips
# a SELECT); above it COPY is faster and routing selects the PENDING rows back.
HEADER_RETURNING_MAX = 50

_SQL_CACHE: dict[tuple[str, str], Any] = {}


# -- partners and batches ------------------------------------------------------------------


def registered_and_partner(
    sha256: str, head: IsaHead | None
) -> tuple[int | None, TradingPartner | None]:
    """(id of the batch with these bytes or None, the sender's partner or None).

    One round trip in the usual case (a known sender): the sha256 check rides on the partner
    query as a subquery. Same lookup as ``partner_by_sender`` (ISA06 padding ignored; the
    pair is unique). An unknown or unidentified sender costs a second, plain query. Plain
    SQL with the model's own converters: this runs for every file and the ORM's query
    compilation cost more than the query.
    """
    if head is None or not head.sender_identified:
        return batch_id_for(sha256), None
    sql, load = _partner_lookup()
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, [sha256, head.sender_qualifier.strip(), head.sender_id.strip()])
        row = cursor.fetchone()
    if row is None:
        return batch_id_for(sha256), None
    return row[0], load(row[1:])


def _partner_lookup() -> tuple[str, Callable[[Iterable[Any]], TradingPartner]]:
    """(SQL, row loader) of the partner + sha256 lookup, built once per database vendor."""
    key = ("partner", connection.vendor)
    cached = _SQL_CACHE.get(key)
    if cached is None:
        meta = TradingPartner._meta
        quote = connection.ops.quote_name
        fields = list(meta.concrete_fields)
        columns = ", ".join(f"p.{quote(f.column)}" for f in fields)
        batches = quote(TransactionBatch._meta.db_table)
        sql = (
            f"SELECT (SELECT b.id FROM {batches} b WHERE b.sha256 = %s), {columns} "
            f"FROM {quote(meta.db_table)} p "
            f"WHERE p.{quote(meta.get_field('their_isa_qualifier').column)} = %s "
            f"AND p.{quote(meta.get_field('their_isa_id').column)} = %s LIMIT 1"
        )
        cached = _SQL_CACHE[key] = (sql, _row_loader(TradingPartner, fields))
    return cached


def _row_loader(model: Any, fields: list[Any]) -> Callable[[Iterable[Any]], Any]:
    """A function turning a row of ``fields`` columns into a model instance (as the ORM would:
    the backend's and the fields' converters applied, ``from_db`` called)."""
    attnames = [f.attname for f in fields]
    converting = []
    for index, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if converters:
            converting.append((index, converters, col))

    def load(row: Iterable[Any]) -> Any:
        conn = db_connection()
        values = list(row)
        for index, converters, col in converting:
            for convert in converters:
                values[index] = convert(values[index], col, conn)
        return model.from_db(DEFAULT_DB_ALIAS, attnames, values)

    return load


def batch_id_for(sha256: str) -> int | None:
    """The id of the batch with these bytes (plain SQL: this runs for every file)."""
    table = connection.ops.quote_name(TransactionBatch._meta.db_table)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE sha256 = %s", [sha256])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _mark_inserted(batch: TransactionBatch, pk: int) -> None:
    batch.pk = pk
    batch._state.adding = False
    batch._state.db = DEFAULT_DB_ALIAS


def single_transaction_batch_insert(
    batch: TransactionBatch, head: IsaHead | None
) -> tuple[bool, TradingPartner | None]:
    """Insert the RECEIVED row of the single-transaction path; returns (inserted, partner).

    A known sender costs ONE statement: the partner lookup (ISA05/ISA06, as
    ``partner_by_sender``), the INSERT (``partner_id`` and the storage path's
    ``partner=<code>`` taken from the partner row), ``ON CONFLICT (sha256) DO NOTHING``
    (False: these bytes are registered, maybe by a concurrent process that was waited for)
    and the (partner, ISA13) lock once the row is in. Without a partner: a plain INSERT.
    Sets ``batch.partner``, ``batch.storage_path`` and, when inserted, ``batch.pk``.
    """
    marker = "\x00"
    template = raw_path(
        partner_code=marker,
        received_at=batch.received_at,
        sha256=batch.sha256,
        name=batch.original_name,
    )
    prefix, suffix = template.split(marker)
    if head is not None and head.sender_identified:
        conn = db_connection()
        sql, fields, load = _sender_insert_sql(conn)
        params: list[Any] = [head.sender_qualifier.strip(), head.sender_id.strip()]
        for f in fields:
            if f.attname == "storage_path":
                params += [prefix, suffix]
            elif f.attname != "partner_id":
                params.append(f.get_db_prep_save(f.pre_save(batch, add=True), conn))
        valid = is_isa13(batch.isa13)
        params += [valid, int(batch.isa13) if valid else 0]
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None:
            partner = load(row[2:])
            batch.partner = partner
            batch.storage_path = f"{prefix}{partner.code}{suffix}"
            if row[0] is None:
                return False, partner
            _mark_inserted(batch, row[0])
            return True, partner
    batch.storage_path = raw_path(
        partner_code=None,
        received_at=batch.received_at,
        sha256=batch.sha256,
        name=batch.original_name,
    )
    return _insert_batch(batch), None


def _sender_insert_sql(
    conn: BaseDatabaseWrapper,
) -> tuple[str, list[Any], Callable[[Iterable[Any]], TradingPartner]]:
    """SQL, batch fields and partner row loader of :func:`single_transaction_batch_insert`."""
    key = ("sender-insert", conn.vendor)
    cached = _SQL_CACHE.get(key)
    if cached is None:
        quote = conn.ops.quote_name
        pmeta, bmeta = TradingPartner._meta, TransactionBatch._meta
        pfields = list(pmeta.concrete_fields)
        fields = [f for f in bmeta.concrete_fields if not f.primary_key]
        values = []
        for f in fields:
            if f.attname == "partner_id":
                values.append("p.id")
            elif f.attname == "storage_path":
                values.append("CAST(%s AS text) || p.code || CAST(%s AS text)")
            else:  # typed: a NULL parameter must not arrive as text
                values.append(f"CAST(%s AS {f.cast_db_type(connection)})")
        pcols = ", ".join(quote(f.column) for f in pfields)
        sql = (
            f"WITH p AS (SELECT {pcols} FROM {quote(pmeta.db_table)} "
            f"WHERE {quote(pmeta.get_field('their_isa_qualifier').column)} = %s "
            f"AND {quote(pmeta.get_field('their_isa_id').column)} = %s LIMIT 1), "
            f"ins AS (INSERT INTO {quote(bmeta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) SELECT {', '.join(values)} FROM p "
            f"ON CONFLICT ({quote(bmeta.get_field('sha256').column)}) DO NOTHING "
            f"RETURNING {quote(bmeta.pk.column)}) "
            # the lock (see isa13_lock_key) once the row is in: EXISTS reads the INSERT
            "SELECT (SELECT id FROM ins), CASE WHEN %s AND p.active AND EXISTS "
            "(SELECT 1 FROM ins) THEN pg_advisory_xact_lock(p.id * 1000000000 + %s) END IS NULL, "
            f"{', '.join('p.' + quote(f.column) for f in pfields)} FROM p"
        )
        cached = _SQL_CACHE[key] = (sql, fields, _row_loader(TradingPartner, pfields))
    return cached


def _insert_batch(batch: TransactionBatch) -> bool:
    """``INSERT ... ON CONFLICT (sha256) DO NOTHING RETURNING id``.

    Returns False when a batch with these bytes exists (committed by another process; an
    uncommitted one is waited for). Sets ``batch.pk`` when inserted.
    """
    sql, fields = insert_unless_exists_sql(TransactionBatch, "sha256")
    conn = db_connection()
    params = [f.get_db_prep_save(f.pre_save(batch, add=True), conn) for f in fields]
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    _mark_inserted(batch, row[0])
    return True


# -- the ISA13 lock and the duplicate check ------------------------------------------------


def isa13_lock_key(partner: TradingPartner | None, isa13: str) -> int | None:
    """Advisory-lock key of (partner, ISA13): partner id * 10^9 + ISA13 (9 digits), or None
    when no duplicate check will run (no active partner, no valid ISA13, not PostgreSQL).

    The holder is a transaction whose batch with this ISA13 is not committed yet; whoever
    checks the same pair for duplicates takes the lock first, so it waits for that commit
    and then sees the batch (READ COMMITTED: each statement sees what committed before it).
    """
    if (
        partner is None
        or not partner.active
        or not is_isa13(isa13)
        or connection.vendor != "postgresql"
    ):
        return None
    return partner.pk * 1_000_000_000 + int(isa13)


def isa13_lock(key: int) -> None:
    """Wait for (and take, until this transaction ends) the ISA13 lock of ``key``."""
    with hot_cursor(prepare=True) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# First key of the two-key advisory locks of inbox shards (the second is the shard number);
# two-key locks never collide with the one-key (bigint) ISA13 locks.
INBOX_LOCK_CLASS = 834_001


@contextlib.contextmanager
def inbox_shard_lock(shard: int) -> Iterator[bool]:
    """Try to take the session lock of inbox shard ``shard``; yields whether this process
    holds it (False: another poller is working through that shard right now).

    A session lock, not a transaction lock: the poll commits once per file. It is released
    at the end, and by PostgreSQL when the connection ends (a killed worker leaves no lock
    behind). Elsewhere (SQLite: one process) always True.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with hot_cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", [INBOX_LOCK_CLASS, shard])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            try:
                with hot_cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s::int, %s::int)", [INBOX_LOCK_CLASS, shard]
                    )
            except Exception as exc:  # connection gone: the server released the lock with it
                logger.warning("inbox shard %d: lock not released (%s)", shard, type(exc).__name__)


def duplicate_window_days() -> int:
    """``INBOUND_DUPLICATE_WINDOW_DAYS`` (default 365): how far back an ISA13 counts."""
    return int(settings.INBOUND_DUPLICATE_WINDOW_DAYS)


def find_duplicate(
    *, partner_id: int, isa13: str, exclude_batch_id: int | None, now: datetime
) -> TransactionBatch | None:
    """The batch of this partner that already brought this ISA13 (inside the window), if any.

    Originals are other batches that were answered or are being answered: not DUPLICATE
    (those point at their original) and not UNKNOWN_PARTNER (never processed). A batch still
    RECEIVED counts only when it is older (lower id): of two files with the same ISA13
    registered at the same moment, the first is processed and the second is the duplicate,
    never both.
    """
    if not isa13:
        return None
    sql, params = _duplicate_query(
        partner_id=partner_id, isa13=isa13, exclude_batch_id=exclude_batch_id, now=now
    )
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else TransactionBatch.objects.get(pk=row[0])


def _duplicate_query(
    *, partner_id: int, isa13: str, exclude_batch_id: int | None, now: datetime
) -> tuple[str, list[Any]]:
    """SQL and parameters of :func:`find_duplicate` (plain SQL: it runs for every file)."""
    since = now - timedelta(days=duplicate_window_days())
    table = connection.ops.quote_name(TransactionBatch._meta.db_table)
    sql = (
        f"SELECT id FROM {table} WHERE partner_id = %s AND isa13 = %s AND received_at >= %s "
        "AND status NOT IN (%s, %s)"
    )
    params: list[Any] = [
        partner_id,
        isa13,
        since,
        BatchStatus.DUPLICATE.value,
        BatchStatus.UNKNOWN_PARTNER.value,
    ]
    if exclude_batch_id is not None:
        sql += " AND id <> %s AND (id < %s OR status <> %s)"
        params += [exclude_batch_id, exclude_batch_id, BatchStatus.RECEIVED.value]
    return sql + " ORDER BY received_at, id LIMIT 1", params


# -- the final status and the header rows ---------------------------------------------------


def batch_update_if_received(batch_id: int, fields: dict[str, Any]) -> bool:
    """``UPDATE ... WHERE id = %s AND status = 'RECEIVED'`` (plain SQL: it runs per file).

    ``fields`` by attribute name (foreign keys as ``<name>_id`` with the id)."""
    sql, params = _batch_update(batch_id, fields)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _batch_update(batch_id: int, fields: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL and parameters of :func:`batch_update_if_received`."""
    meta = TransactionBatch._meta
    conn = db_connection()
    quote = conn.ops.quote_name
    assignments, params = [], []
    for name, value in fields.items():
        f = meta.get_field(name)
        assignments.append(f"{quote(f.column)} = %s")
        params.append(f.get_db_prep_save(value, conn))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE id = %s AND status = %s"
    )
    return sql, [*params, batch_id, BatchStatus.RECEIVED.value]


def _header_row(
    batch: TransactionBatch, isa13: str, gh: x12.GroupHeader, s: x12.SetReport, status: str
) -> TransactionHeader:
    return TransactionHeader(
        batch=batch,
        isa13=isa13,
        gs01=gh.functional_id[:2],
        gs06=gh.control_number[:9],
        gs08=gh.version[:12],
        st01=s.id[:3],
        st02=s.control_number[:9],
        st03=s.implementation_reference[:35],
        segment_count=s.segment_count,
        start_offset=s.offset,
        first_line=s.line,
        verdict=s.ack_code if s.ack_code in ("A", "E", "R") else "",
        error_summary=set_errors(s),
        routing_status=status,
        routing_result=NO_HANDLER if status == RoutingStatus.NO_HANDLER else "",
    )


_HEADER_VALUES = (
    "batch_id",
    "isa13",
    "gs01",
    "gs06",
    "gs08",
    "st01",
    "st02",
    "st03",
    "segment_count",
    "start_offset",
    "first_line",
    "verdict",
    "error_summary",
    "routing_status",
    "routing_result",
    "created_at",
)


def headers_insert(batch: TransactionBatch, specs: SetHeaders) -> list[TransactionHeader] | None:
    """Insert the set headers: COPY on PostgreSQL (10^5 rows in about a second), else ORM.

    A few headers (the usual small file) go in with one INSERT ... RETURNING: the rows, with
    their ids, are returned. Otherwise returns None.
    """
    if not specs:
        return []
    if len(specs) <= HEADER_RETURNING_MAX and connection.vendor == "postgresql":
        sql, params, rows = _header_insert(batch, specs)
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(sql, params)
            return _with_ids(rows, cursor.fetchall())
    if len(specs) <= HEADER_RETURNING_MAX and connection.features.can_return_rows_from_bulk_insert:
        return TransactionHeader.objects.bulk_create([_header_row(batch, *spec) for spec in specs])
    if connection.vendor != "postgresql":
        remaining = iter(specs)
        while chunk := list(itertools.islice(remaining, HEADER_BULK_SIZE)):
            TransactionHeader.objects.bulk_create([_header_row(batch, *spec) for spec in chunk])
        return None
    # every other column gets its model default (computed once, not per row)
    others = [
        f
        for f in TransactionHeader._meta.concrete_fields
        if not f.primary_key and f.attname not in _HEADER_VALUES
    ]
    columns = [*_HEADER_VALUES, *(f.column for f in others)]
    extra = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    now = timezone.now()
    table = connection.ops.quote_name(TransactionHeader._meta.db_table)
    sql = f"COPY {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for isa13, gh, s, status in specs:
            copy.write_row(
                (
                    batch.pk,
                    isa13,
                    gh.functional_id[:2],
                    gh.control_number[:9],
                    gh.version[:12],
                    s.id[:3],
                    s.control_number[:9],
                    s.implementation_reference[:35],
                    s.segment_count,
                    s.offset,
                    s.line,
                    s.ack_code if s.ack_code in ("A", "E", "R") else "",
                    set_errors_json(s),
                    status,
                    NO_HANDLER if status == RoutingStatus.NO_HANDLER else "",
                    now,
                    *extra,
                )
            )
    return None


def _header_insert(
    batch: TransactionBatch, specs: Iterable[HeaderSpec]
) -> tuple[str, list[Any], list[TransactionHeader]]:
    """``INSERT ... VALUES (...), (...) RETURNING id`` of a few header rows (PostgreSQL
    returns the ids in the order of the VALUES rows, as ``bulk_create`` relies on too)."""
    rows = [_header_row(batch, *spec) for spec in specs]
    conn = db_connection()
    key = ("header-insert", conn.vendor)
    fields = _SQL_CACHE.get(key)
    if fields is None:
        fields = _SQL_CACHE[key] = [
            f for f in TransactionHeader._meta.concrete_fields if not f.primary_key
        ]
    quote = conn.ops.quote_name
    one = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {quote(TransactionHeader._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([one] * len(rows))} "
        f"RETURNING {quote(TransactionHeader._meta.pk.column)}"
    )
    params = [f.get_db_prep_save(f.pre_save(row, add=True), conn) for row in rows for f in fields]
    return sql, params, rows


def _with_ids(rows: list[TransactionHeader], ids: list[tuple[int]]) -> list[TransactionHeader]:
    for row, (pk,) in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = DEFAULT_DB_ALIAS
    return rows


def status_update_and_headers_insert(
    batch: TransactionBatch,
    headers: SetHeaders,
    fields: dict[str, Any],
    duplicate_check: tuple[int, str, datetime] | None,
) -> tuple[int | None, list[TransactionHeader]]:
    """One statement (single-transaction path, a few headers): the deferred duplicate check
    of the first ISA13 (``(partner id, ISA13, now)``), the final-status UPDATE (only when no
    duplicate was found) and the header INSERT. Returns (the original batch's id when this
    one is a duplicate, the inserted header rows; a duplicate's rows are deleted again).

    The statement starts after this transaction took the ISA13 lock (with the batch
    INSERT), so its snapshot includes every batch whose transaction held that lock before.
    """
    update_sql, params = _batch_update(batch.pk, fields)
    ctes = []
    if duplicate_check is not None:
        partner_id, isa13, now = duplicate_check
        dup_sql, dup_params = _duplicate_query(
            partner_id=partner_id, isa13=isa13, exclude_batch_id=batch.pk, now=now
        )
        ctes.append(f"dup AS ({dup_sql})")
        update_sql += " AND NOT EXISTS (SELECT 1 FROM dup)"
        params = [*dup_params, *params]
        original = "(SELECT id FROM dup)"
    else:
        original = "NULL::bigint"
    ctes.append(f"upd AS ({update_sql})")
    rows: list[TransactionHeader] = []
    if headers:
        insert_sql, insert_params, rows = _header_insert(batch, headers)
        sql = f"WITH {', '.join(ctes)} {insert_sql}, {original}"
        params += insert_params
    else:
        sql = f"WITH {', '.join(ctes)} SELECT NULL::bigint, {original}"
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    original_id = results[0][1] if results else None
    if original_id is not None:
        if rows:
            TransactionHeader.objects.filter(batch_id=batch.pk).delete()
        return original_id, []
    return None, _with_ids(rows, [(r[0],) for r in results]) if rows else []


# -- routing ---------------------------------------------------------------------------------


def header_set_routing(header_id: int, status: str, result: str) -> None:
    """``UPDATE ... SET routing_status, routing_result`` (plain SQL: it runs per set)."""
    table = connection.ops.quote_name(TransactionHeader._meta.db_table)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(
            f"UPDATE {table} SET routing_status = %s, routing_result = %s WHERE id = %s",
            [status, result, header_id],
        )


def headers_set_routed(
    header_ids: list[int], results: list[str], *, only_pending: bool = False
) -> int:
    """Mark many headers ROUTED with their results in one statement (a bulk handler's
    chunk): ``UPDATE ... FROM unnest(ids, results)`` on PostgreSQL, one UPDATE each
    elsewhere. ``only_pending``: only rows still PENDING. Returns how many were marked."""
    if not header_ids:
        return 0
    table = connection.ops.quote_name(TransactionHeader._meta.db_table)
    routed = RoutingStatus.ROUTED.value
    if connection.vendor != "postgresql":
        marked = 0
        for header_id, result in zip(header_ids, results, strict=True):
            rows = TransactionHeader.objects.filter(pk=header_id)
            if only_pending:
                rows = rows.filter(routing_status=RoutingStatus.PENDING)
            marked += rows.update(routing_status=routed, routing_result=result)
        return marked
    pending = " AND h.routing_status = %s" if only_pending else ""
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(
            f"UPDATE {table} AS h SET routing_status = %s, routing_result = v.result "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, result) WHERE h.id = v.id" + pending,
            [routed, header_ids, results] + ([RoutingStatus.PENDING.value] if only_pending else []),
            binary=True,  # arrays in binary: no per-element quoting in Python
        )
        return cursor.rowcount
