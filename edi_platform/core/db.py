"""Plain SQL on Django's connection for the statements that run for every file or call.

Django's cursors bind parameters client-side (quoting them into the SQL text) and never
prepare. For the few statements that run once or more per inbound file, per allocation or
per routed set, :func:`hot_cursor` gives a psycopg cursor on the same connection (so the
same session and transaction) that binds server-side and, where wanted, prepares the
statement once per connection, with Django's error translation kept.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.types.json import Jsonb

__all__ = [
    "copy_insert_unless_exists",
    "db_connection",
    "field_param",
    "hot_cursor",
    "insert_unless_exists_sql",
    "iso_temporal",
    "prepared_statements",
]


def prepared_statements() -> bool:
    """``DATABASE_PREPARED_STATEMENTS`` (default True): prepare the hot statements.

    Planning a statement of the hot paths costs about as much server CPU as running it;
    preparing it once per connection saves that on every call. Turn it off behind a pooler
    that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    """
    return bool(getattr(settings, "DATABASE_PREPARED_STATEMENTS", True))


def db_connection() -> BaseDatabaseWrapper:
    """The default database connection itself, looked up once.

    ``django.db.connection`` is a proxy that looks the connection up again (a thread- and
    task-local read, 1-2 µs here) on every attribute it is asked for; the per-file, per-set
    and per-allocation paths asked it dozens of times per call, so they take the connection
    once per call with this and use it directly (never keep it beyond the call: each
    thread has its own).
    """
    return connections[DEFAULT_DB_ALIAS]


def field_param(f: models.Field, value: Any, conn: BaseDatabaseWrapper) -> Any:
    """A model field's value as a :func:`hot_cursor` parameter (``value`` from the field's
    ``pre_save``); JSON goes out encoded by orjson (bytes: encoded already).

    A 999 for a big group is megabytes of JSON: the stdlib encoder took about a second for
    10^5 sets, orjson a few hundredths.
    """
    if not isinstance(f, models.JSONField) or value is None:
        return f.get_db_prep_save(value, conn)
    if conn.vendor == "postgresql":
        return Jsonb(value, dumps=_json_bytes)
    return _json_bytes(value).decode()


def _json_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # what orjson refuses (e.g. integers beyond 64 bits), json accepts
        return json.dumps(value).encode()


@contextlib.contextmanager
def hot_cursor(*, prepare: bool = False) -> Iterator[Any]:
    """A cursor for a hot statement: server-side binding on PostgreSQL, Django's elsewhere.

    ``prepare=True``: every ``execute`` on it is prepared (per connection, cached by psycopg)
    unless :func:`prepared_statements` is off; use it only for SQL whose text repeats.

    On PostgreSQL the cursor is reused: one idle cursor of each kind is kept per connection
    and handed out again (a new psycopg cursor costs ~25 µs of CPU, as much as a third of a
    short prepared statement's client side, and the hot paths run several per file). A
    cursor in use is not shared: a nested ``hot_cursor`` gets a new one; a cursor whose block
    raised is closed, not kept.
    """
    conn = db_connection()
    if conn.vendor != "postgresql":
        with conn.cursor() as cursor:
            yield cursor
        return
    conn.ensure_connection()
    conn.validate_no_broken_transaction()
    raw = conn.connection
    cursor_class: type[psycopg.Cursor[Any]] = psycopg.Cursor
    if prepare and prepared_statements():
        if raw.prepare_threshold is None:
            # Django turns psycopg's preparation off (threshold None), which also ignores
            # an explicit prepare=True. A threshold no query reaches keeps every other
            # statement unprepared (Django's own cursors never prepare) while ours are.
            raw.prepare_threshold = 2**31 - 1
        cursor_class = _PreparingCursor
    idle: dict[type, psycopg.Cursor[Any]] = raw.__dict__.setdefault(_IDLE, {})
    cursor = idle.pop(cursor_class, None)
    if cursor is None:
        cursor = cursor_class(raw)
    with conn.wrap_database_errors:
        try:
            yield cursor
        except BaseException:
            cursor.close()
            raise
    if idle.setdefault(cursor_class, cursor) is not cursor:
        cursor.close()  # a nested block's cursor: one idle cursor of a kind is enough


_IDLE = "_edi_idle_hot_cursors"  # on the psycopg connection: its cursors die with it


class _PreparingCursor(psycopg.Cursor[Any]):
    """A psycopg cursor whose ``execute`` prepares unless told otherwise."""

    def execute(  # type: ignore[override]
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Any:
        return super().execute(
            query, params, prepare=True if prepare is None else prepare, binary=binary
        )


_insert_sql_cache: dict[tuple[type[models.Model], str, str], tuple[str, list[models.Field]]] = {}


def insert_unless_exists_sql(
    model: type[models.Model], unique_field: str
) -> tuple[str, list[models.Field]]:
    """``INSERT ... ON CONFLICT (unique_field) DO NOTHING RETURNING pk`` of one ``model`` row
    and the fields whose values it takes, in order (built once per model and vendor).

    The unique index decides, race-free, without aborting the caller's transaction: no row
    comes back when the value exists (an uncommitted one is waited for).
    """
    key = (model, unique_field, connection.vendor)
    cached = _insert_sql_cache.get(key)
    if cached is None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({quote(meta.get_field(unique_field).column)}) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}"
        )
        cached = _insert_sql_cache[key] = (sql, fields)
    return cached


def copy_insert_unless_exists(
    *,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    conflict: str,
    returning: str = "",
) -> list[tuple[Any, ...]]:
    """Many rows into ``table`` with ``INSERT ... ON CONFLICT (conflict) DO NOTHING``, at the
    speed of COPY (PostgreSQL only; call inside a transaction).

    The rows are COPied (values dumped by psycopg's C code, no statement text to build or
    parse) into a temporary table of the same column types, then moved with one
    ``INSERT ... SELECT``: a row whose ``conflict`` key exists is skipped, so the unique
    index decides, race-free, and the caller's transaction stays usable. ``returning``: the
    columns the ``RETURNING`` clause gives back for the inserted rows. The temporary table
    lives as long as the session and is emptied after each use.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    staging = quote(f"_copy_{table}")
    with hot_cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {quote(table)} WITH NO DATA"
        )
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} "
            f"ON CONFLICT ({conflict}) DO NOTHING"
            + (f" RETURNING {returning}" if returning else "")
        )
        out = cursor.fetchall() if returning else []
        # emptied now for the next use in this transaction (at commit anyway)
        cursor.execute(f"DELETE FROM {staging}")
    return out


def iso_temporal(rows: Iterable[Sequence[Any]], positions: Sequence[int]) -> Iterator[list[Any]]:
    """``rows`` for a COPY, with the dates and datetimes at ``positions`` as ISO 8601 text
    (None stays NULL), each distinct value formatted once.

    psycopg's dumpers for ``date`` and time-zone-aware ``datetime`` cost 1-2 µs a value: on a
    chunk of 75,000 claims with five such columns that was more than the rest of the COPY's
    formatting together, while these values repeat (one receipt time per file, a few
    service dates). PostgreSQL reads the text into the column's own type.
    """
    texts: dict[Any, str] = {}
    for row in rows:
        values = list(row)
        for at in positions:
            value = values[at]
            if value is not None:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = value.isoformat()
                values[at] = text
        yield values
