"""Stream one table from SQLite into PostgreSQL with COPY, sampling rows to prove it later.

Rows are read in primary-key order ``BATCH_ROWS`` at a time and written to one ``COPY ...
FROM STDIN`` as they come: a table is never held in memory. SQLite's raw values go to COPY's
text format unchanged (PostgreSQL parses ``1``/``0`` as booleans, naive UTC timestamps in
the session's UTC, 32-digit UUIDs, JSON text); only durations (bigint microseconds in
SQLite) are converted.

While streaming, a random sample of at least ``percent`` of the rows (selection sampling:
exactly ``ceil(n * percent / 100)`` rows, each equally likely) plus the first and the last
row are hashed (:mod:`.rowhash`); :func:`sample_verify` later reads the same rows back from
the target and compares digests row by row.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sqlite3
from array import array
from dataclasses import dataclass, field
from typing import Any

from .rowhash import MASK64, RowHasher
from .schema import Table

__all__ = ["BATCH_ROWS", "CopyState", "TableSample", "sample_verify", "table_copy"]

BATCH_ROWS = 5000
VERIFY_CHUNK = 5000


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class CopyState:
    """Counters the progress ticker reads while the main thread copies (plain values)."""

    phase: str = "starting"
    table: str = ""
    table_rows: int = 0
    table_total: int = 0
    rows_done: int = 0
    rows_total: int = 0


@dataclass
class TableSample:
    """The sampled rows of one table: canonical keys and digests, in reading order."""

    keys: list[str] = field(default_factory=list)
    digests: array = field(default_factory=lambda: array("Q"))

    def add(self, key: str, digest: int) -> None:
        self.keys.append(key)
        self.digests.append(digest)

    @property
    def total(self) -> int:
        """The order-independent digest of the sample (sum modulo 2**64)."""
        return sum(self.digests) & MASK64


def select_sql(table: Table) -> str:
    columns = ", ".join(_q(c.name) for c in table.columns)
    return f"SELECT {columns} FROM {_q(table.name)} ORDER BY {_q(table.pk)}"


def copy_sql(table: Table) -> str:
    columns = ", ".join(_q(c.name) for c in table.columns)
    return f"COPY {_q(table.name)} ({columns}) FROM STDIN"


def _converter(table: Table) -> Any:
    """A per-row conversion for the few values COPY cannot take raw, or None."""
    durations = [i for i, c in enumerate(table.columns) if c.kind == "duration"]
    if not durations:
        return None

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i in durations:
            if values[i] is not None:
                values[i] = dt.timedelta(microseconds=int(values[i]))
        return tuple(values)

    return convert


def table_copy(
    *,
    table: Table,
    source: sqlite3.Connection,
    target: Any,
    expected_rows: int,
    percent: float,
    rng: random.Random,
    state: CopyState,
) -> tuple[int, TableSample]:
    """Copy ``table`` through the psycopg cursor ``target``; return (rows, sample)."""
    hasher = RowHasher(table)
    sample = TableSample()
    wanted = min(expected_rows, math.ceil(expected_rows * percent / 100)) if expected_rows else 0
    convert = _converter(table)
    state.table, state.table_rows, state.table_total = table.name, 0, expected_rows
    seen = 0
    chosen = 0
    reader = source.execute(select_sql(table))
    with target.copy(copy_sql(table)) as copy:
        while True:
            rows = reader.fetchmany(BATCH_ROWS)
            if not rows:
                break
            for row in rows:
                remaining = expected_rows - seen
                pick = remaining > 0 and rng.random() * remaining < wanted - chosen
                if pick:
                    chosen += 1
                if pick or seen == 0 or seen == expected_rows - 1:
                    sample.add(hasher.key(row), hasher.digest(row))
                copy.write_row(convert(row) if convert else row)
                seen += 1
            state.table_rows = seen
            state.rows_done += len(rows)
    return seen, sample


def sample_verify(*, table: Table, sample: TableSample, target: Any) -> tuple[int, list[str]]:
    """Read the sampled rows from the target; return (target digest total, differing keys).

    A key is "differing" when the row is missing on the target or its digest differs. Keys
    are primary-key values (ids, never row content).
    """
    hasher = RowHasher(table)
    columns = ", ".join(_q(c.name) for c in table.columns)
    sql = f"SELECT {columns} FROM {_q(table.name)} WHERE {_q(table.pk)} = ANY(%s)"
    total = 0
    differing: list[str] = []
    for start in range(0, len(sample.keys), VERIFY_CHUNK):
        keys = sample.keys[start : start + VERIFY_CHUNK]
        wanted = dict(zip(keys, sample.digests[start : start + VERIFY_CHUNK], strict=True))
        target.execute(sql, [list({hasher.pk_value(k) for k in keys})])
        found: dict[str, int] = {}
        for row in target.fetchall():
            found[hasher.key(row)] = hasher.digest(row)
        for key in keys:
            digest = found.get(key)
            if digest is not None:
                total += digest
            if digest is None or digest != wanted[key]:
                differing.append(key)
    return total & MASK64, differing
