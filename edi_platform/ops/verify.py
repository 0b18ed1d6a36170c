"""Checks of a PostgreSQL database after it was filled (migration) or restored.

* :func:`sequences_reset` puts every sequence of the schema (identity and serial columns,
  many-to-many tables included — found in the catalog, not from the models) just above the
  highest value of its column; :func:`sequences_check` proves that the next value of each is
  above that maximum.
* :func:`triggers_list` names the schema's triggers (append-only guards, statement-level
  reference checks) and whether each is enabled.
* :func:`table_counts` counts rows, :func:`table_digests` hashes whole tables (backups).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .rowhash import MASK64, RowHasher
from .schema import Table

__all__ = [
    "SequenceState",
    "sequences_check",
    "sequences_reset",
    "table_counts",
    "table_digests",
    "triggers_list",
]

_SEQUENCES_SQL = """
SELECT c.relname, a.attname, s.seq
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
CROSS JOIN LATERAL (
    SELECT pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) AS seq
) s
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND s.seq IS NOT NULL
ORDER BY c.relname, a.attname
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class SequenceState:
    table: str
    column: str
    max_value: int
    next_value: int

    @property
    def ok(self) -> bool:
        return self.next_value > self.max_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "max": self.max_value,
            "next": self.next_value,
            "ok": self.ok,
        }


def sequences_reset(*, cursor: Any) -> int:
    """Every sequence's next value := max(column) + 1 (1 for an empty table)."""
    cursor.execute(_SEQUENCES_SQL)
    found = cursor.fetchall()
    for table, column, sequence in found:
        cursor.execute(
            f"SELECT setval(%s, COALESCE(MAX({_q(column)}), 0) + 1, false) FROM {_q(table)}",
            [sequence],
        )
    return len(found)


def sequences_check(*, cursor: Any) -> list[SequenceState]:
    """The next value each sequence will give, beside its column's maximum."""
    cursor.execute(_SEQUENCES_SQL)
    states = []
    for table, column, sequence in cursor.fetchall():
        cursor.execute(f"SELECT COALESCE(MAX({_q(column)}), 0) FROM {_q(table)}")
        highest = int(cursor.fetchone()[0])
        # sequence is schema-qualified and quoted by pg_get_serial_sequence
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        last_value, is_called = cursor.fetchone()
        states.append(
            SequenceState(
                table=table,
                column=column,
                max_value=highest,
                next_value=int(last_value) + (1 if is_called else 0),
            )
        )
    return states


def triggers_list(*, cursor: Any) -> list[dict[str, Any]]:
    """Every non-internal trigger of the schema: table, name, enabled."""
    cursor.execute(
        """
        SELECT c.relname, t.tgname, t.tgenabled <> 'D'
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname = current_schema()
        ORDER BY c.relname, t.tgname
        """
    )
    return [
        {"table": table, "trigger": name, "enabled": bool(enabled)}
        for table, name, enabled in cursor.fetchall()
    ]


def table_counts(*, cursor: Any, tables: Iterable[Table]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {_q(table.name)}")
        counts[table.name] = int(cursor.fetchone()[0])
    return counts


def table_digests(
    *,
    open_cursor: Callable[[], Any],
    tables: Iterable[Table],
    on_rows: Callable[[str, int], None] | None = None,
    batch_rows: int = 5000,
) -> dict[str, dict[str, Any]]:
    """Row count and order-independent digest of every row of each table (either engine).

    ``open_cursor()`` gives a streaming cursor per table (a psycopg server-side cursor, or
    an sqlite3 cursor), so a table is never held in memory; ``on_rows(table, rows so far)``
    feeds a progress line.
    """
    result = {}
    for table in tables:
        hasher = RowHasher(table)
        columns = ", ".join(_q(c.name) for c in table.columns)
        cursor = open_cursor()
        try:
            cursor.execute(f"SELECT {columns} FROM {_q(table.name)}")
            total = 0
            rows = 0
            while True:
                batch = cursor.fetchmany(batch_rows)
                if not batch:
                    break
                for row in batch:
                    total += hasher.digest(row)
                rows += len(batch)
                if on_rows is not None:
                    on_rows(table.name, rows)
        finally:
            cursor.close()
        result[table.name] = {"rows": rows, "digest": f"{total & MASK64:016x}"}
    return result
