"""Plain SQL on Django's connection for the statements that run for every file or call.

Django's cursors bind parameters client-side (quoting them into the SQL text) and never
prepare. For the few statements that run once or more per inbound file, per allocation or
per routed set, :func:`hot_cursor` gives a psycopg cursor on the same connection (so the
same session and transaction) that binds server-side and, where wanted, prepares the
statement once per connection, with Django's error translation kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

__all__ = ["hot_cursor", "prepared_statements"]


def prepared_statements() -> bool:
    """``DATABASE_PREPARED_STATEMENTS`` (default True): prepare the hot statements.

    Planning a statement of the hot paths costs about as much server CPU as running it;
    preparing it once per connection saves that on every call. Turn it off behind a pooler
    that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    """
    return bool(getattr(settings, "DATABASE_PREPARED_STATEMENTS", True))


@contextlib.contextmanager
def hot_cursor(*, prepare: bool = False) -> Iterator[Any]:
    """A cursor for a hot statement: server-side binding on PostgreSQL, Django's elsewhere.

    ``prepare=True``: every ``execute`` on it is prepared (per connection, cached by psycopg)
    unless :func:`prepared_statements` is off; use it only for SQL whose text repeats.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    cursor_class: type[psycopg.Cursor[Any]] = psycopg.Cursor
    if prepare and prepared_statements():
        if raw.prepare_threshold is None:
            # Django turns psycopg's preparation off (threshold None), which also ignores
            # an explicit prepare=True. A threshold no query reaches keeps every other
            # statement unprepared (Django's own cursors never prepare) while ours are.
            raw.prepare_threshold = 2**31 - 1
        cursor_class = _PreparingCursor
    with connection.wrap_database_errors, cursor_class(raw) as cursor:
        yield cursor


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
