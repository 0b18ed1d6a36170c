"""Epoch-aware gap detection, in SQL (window functions; portable to PostgreSQL and SQLite).

A *gap* is a run of numbers the partner never received within one counter epoch:

- **unexplained**: numbers with no audit row at all. Found with ``LAG(number)`` over the audit
  rows of a (counter, epoch) ordered by number: ``number - previous > 1``.
- **documented**: consecutive FAILED numbers (allocated, never sent). Found as "islands"
  (``number - ROW_NUMBER()`` is constant along a run) among FAILED rows only.

Epochs: every reset/rollover starts a new epoch (stored on each row), and the RESET row itself
carries the epoch's starting value, so the first number after it is not a gap and a rollover
999,999,999 -> 1 is neither a gap nor a negative one. Severity by run length: MINOR 1,
MODERATE 2–5, CRITICAL > 5.

Window: rows issued in the last ``days`` days. Each audit row also carries ``seq``, its
ordinal among its counter's rows; between two rows of one epoch the number difference equals
the seq difference exactly when no number in between is missing. On PostgreSQL the report
therefore probes the first and last row of each (counter, epoch) in the window (two index
look-ups) and runs the LAG pass only over the ranges where the differences disagree (or seq is
unknown): under a second at 10 million rows (bench/allocation.py). SQLite runs the plain form:
count / min / max per (counter, epoch), then LAG where the count falls short.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import ControlNumberAudit, ControlNumberCounter

COUNTER_TABLE = ControlNumberCounter._meta.db_table
AUDIT_TABLE = ControlNumberAudit._meta.db_table
DEFAULT_DAYS = 30
SEVERITIES = ("MINOR", "MODERATE", "CRITICAL")

# Portable form (SQLite, the embedded default): plain joins, window functions.
_GAP_SQL_PORTABLE = f"""
WITH scope AS (
    SELECT id, partner_code, transaction_type, counter_type
    FROM {COUNTER_TABLE}
    WHERE 1 = 1 {{scope_filter}}
),
win AS (
    SELECT a.counter_id, a.epoch, COUNT(*) AS cnt, MIN(a.number) AS lo, MAX(a.number) AS hi
    FROM {AUDIT_TABLE} a JOIN scope s ON s.id = a.counter_id
    WHERE a.issued_at >= %s
    GROUP BY a.counter_id, a.epoch
),
suspect AS (
    SELECT counter_id, epoch, lo, hi FROM win WHERE cnt < hi - lo + 1
),
seq AS (
    SELECT a.counter_id, a.epoch, a.number, a.issued_at,
           LAG(a.number) OVER (PARTITION BY a.counter_id, a.epoch ORDER BY a.number) AS prev
    FROM {AUDIT_TABLE} a
    JOIN suspect x ON a.counter_id = x.counter_id AND a.epoch = x.epoch
                  AND a.number BETWEEN x.lo AND x.hi
),
unexplained AS (
    SELECT counter_id, epoch, prev + 1 AS first_number, number - 1 AS last_number,
           number - prev - 1 AS size, issued_at AS seen_at, 'unexplained' AS kind
    FROM seq WHERE number - prev > 1
),
failed AS (
    SELECT a.counter_id, a.epoch, a.number, a.issued_at,
           a.number - ROW_NUMBER() OVER (PARTITION BY a.counter_id, a.epoch ORDER BY a.number)
               AS island
    FROM {AUDIT_TABLE} a JOIN scope s ON s.id = a.counter_id
    WHERE a.status = 'FAILED' AND a.issued_at >= %s
),
documented AS (
    SELECT counter_id, epoch, MIN(number) AS first_number, MAX(number) AS last_number,
           COUNT(*) AS size, MAX(issued_at) AS seen_at, 'documented' AS kind
    FROM failed GROUP BY counter_id, epoch, island
),
gaps AS (
    SELECT * FROM unexplained UNION ALL SELECT * FROM documented
)
SELECT g.counter_id, s.partner_code, s.transaction_type, s.counter_type, g.epoch,
       g.first_number, g.last_number, g.size, g.kind, g.seen_at,
       CASE WHEN g.size = 1 THEN 'MINOR' WHEN g.size <= 5 THEN 'MODERATE' ELSE 'CRITICAL' END
FROM gaps g JOIN scope s ON s.id = g.counter_id
ORDER BY s.partner_code, s.transaction_type, s.counter_type, g.epoch, g.first_number, g.kind
"""


# PostgreSQL: per (counter, epoch) with rows in the window, two index probes find the first
# and the last row of the window (index (counter, epoch, issued_at, number, seq), index-only).
# Their number difference equals their seq difference exactly when no number in between is
# missing, so only ranges where it does not (or where seq is unknown) are read, with LAG over
# the (counter, number, epoch) index in number order. The work no longer grows with the rows in
# the window, only with the counters, their epochs, and the ranges that do hold a gap.
_GAP_SQL_POSTGRESQL = f"""
WITH scope AS MATERIALIZED (
    SELECT id, partner_code, transaction_type, counter_type, epoch
    FROM {COUNTER_TABLE}
    WHERE 1 = 1 {{scope_filter}}
),
ends AS (
    SELECT s.id AS counter_id, e.epoch, lo.number AS lo, lo.seq AS lo_seq,
           hi.number AS hi, hi.seq AS hi_seq
    FROM scope s
    CROSS JOIN LATERAL generate_series(1, s.epoch) AS e(epoch)
    CROSS JOIN LATERAL (
        SELECT a.number, a.seq FROM {AUDIT_TABLE} a
        WHERE a.counter_id = s.id AND a.epoch = e.epoch AND a.issued_at >= %s
        ORDER BY a.issued_at, a.number LIMIT 1
    ) lo
    CROSS JOIN LATERAL (
        SELECT a.number, a.seq FROM {AUDIT_TABLE} a
        WHERE a.counter_id = s.id AND a.epoch = e.epoch AND a.issued_at >= %s
        ORDER BY a.issued_at DESC, a.number DESC LIMIT 1
    ) hi
),
suspect AS (
    SELECT counter_id, epoch, LEAST(lo, hi) AS lo, GREATEST(lo, hi) AS hi FROM ends
    WHERE lo_seq IS NULL OR hi_seq IS NULL OR hi - lo <> hi_seq - lo_seq
),
seq AS (
    SELECT x.counter_id, x.epoch, l.number, l.prev
    FROM suspect x
    CROSS JOIN LATERAL (
        -- "epoch + 0": keep the planner on the (counter, number, epoch) index, read as a
        -- number range in number order, rather than a whole (counter, epoch) of another one.
        SELECT a.number, LAG(a.number) OVER (ORDER BY a.number) AS prev
        FROM {AUDIT_TABLE} a
        WHERE a.counter_id = x.counter_id AND a.number BETWEEN x.lo AND x.hi
          AND a.epoch + 0 = x.epoch
    ) l
),
unexplained AS (
    SELECT q.counter_id, q.epoch, q.prev + 1 AS first_number, q.number - 1 AS last_number,
           q.number - q.prev - 1 AS size,
           (SELECT a.issued_at FROM {AUDIT_TABLE} a
             WHERE a.counter_id = q.counter_id AND a.number = q.number AND a.epoch = q.epoch)
               AS seen_at,
           'unexplained' AS kind
    FROM seq q WHERE q.number - q.prev > 1
),
failed AS (
    SELECT a.counter_id, a.epoch, a.number, a.issued_at,
           a.number - ROW_NUMBER() OVER (PARTITION BY a.counter_id, a.epoch ORDER BY a.number)
               AS island
    FROM {AUDIT_TABLE} a JOIN scope s ON s.id = a.counter_id
    WHERE a.status = 'FAILED' AND a.issued_at >= %s
),
documented AS (
    SELECT counter_id, epoch, MIN(number) AS first_number, MAX(number) AS last_number,
           COUNT(*) AS size, MAX(issued_at) AS seen_at, 'documented' AS kind
    FROM failed GROUP BY counter_id, epoch, island
),
gaps AS (
    SELECT * FROM unexplained UNION ALL SELECT * FROM documented
)
SELECT g.counter_id, s.partner_code, s.transaction_type, s.counter_type, g.epoch,
       g.first_number, g.last_number, g.size, g.kind, g.seen_at,
       CASE WHEN g.size = 1 THEN 'MINOR' WHEN g.size <= 5 THEN 'MODERATE' ELSE 'CRITICAL' END
FROM gaps g JOIN scope s ON s.id = g.counter_id
ORDER BY s.partner_code, s.transaction_type, s.counter_type, g.epoch, g.first_number, g.kind
"""


@dataclass(frozen=True)
class Gap:
    counter_id: int
    partner_code: str
    transaction_type: str
    counter_type: str
    epoch: int
    first_number: int
    last_number: int
    size: int
    kind: str  # "documented" | "unexplained"
    severity: str  # "MINOR" | "MODERATE" | "CRITICAL"
    seen_at: datetime | None  # issued_at of the number after an unexplained gap / last FAILED

    @property
    def counter_label(self) -> str:
        return f"{self.partner_code}/{self.transaction_type}/{self.counter_type}"

    def as_dict(self) -> dict:
        return {
            "partner": self.partner_code,
            "transaction_type": self.transaction_type,
            "counter_type": self.counter_type,
            "epoch": self.epoch,
            "first_number": self.first_number,
            "last_number": self.last_number,
            "size": self.size,
            "kind": self.kind,
            "severity": self.severity,
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
        }


CSV_FIELDS = [
    "partner",
    "transaction_type",
    "counter_type",
    "epoch",
    "first_number",
    "last_number",
    "size",
    "kind",
    "severity",
    "seen_at",
]


@dataclass
class GapReport:
    gaps: list[Gap] = field(default_factory=list)
    days: int = DEFAULT_DAYS

    @property
    def totals(self) -> dict[str, dict[str, int]]:
        """Counts and missing-number sums per kind and severity (for the admin footer)."""
        out: dict[str, dict[str, int]] = {}
        for kind in ("documented", "unexplained"):
            gaps = [g for g in self.gaps if g.kind == kind]
            row = {"gaps": len(gaps), "numbers": sum(g.size for g in gaps)}
            for sev in SEVERITIES:
                row[sev] = sum(1 for g in gaps if g.severity == sev)
            out[kind] = row
        return out

    @property
    def has_critical_unexplained(self) -> bool:
        return any(g.kind == "unexplained" and g.severity == "CRITICAL" for g in self.gaps)

    def csv_rows(self) -> list[list[Any]]:
        """One row per gap, in the order of :data:`CSV_FIELDS`."""
        return [[gap.as_dict()[name] for name in CSV_FIELDS] for gap in self.gaps]

    def to_csv(self) -> str:
        """The CSV text (``detect_gaps --format csv``); the admin streams the same rows."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        writer.writerows(self.csv_rows())
        return buf.getvalue()


def gap_report(
    *,
    partner_code: str | None = None,
    transaction_type: str | None = None,
    counter_type: str | None = None,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> GapReport:
    """Documented and unexplained gaps of the last ``days`` days, per counter and epoch."""
    if days < 1:
        raise ValueError("days must be >= 1")
    scope_filter = ""
    scope_params: list[object] = []
    for column, value in (
        ("partner_code", partner_code),
        ("transaction_type", transaction_type),
        ("counter_type", counter_type),
    ):
        if value:
            scope_filter += f" AND {column} = %s"
            scope_params.append(value)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    cutoff_db = connection.ops.adapt_datetimefield_value(cutoff)
    template = _GAP_SQL_POSTGRESQL if connection.vendor == "postgresql" else _GAP_SQL_PORTABLE
    sql = template.format(scope_filter=scope_filter)
    # The scope CTE is written once but its parameters bind once per textual occurrence.
    cutoffs = [cutoff_db] * (3 if connection.vendor == "postgresql" else 2)
    params = [*scope_params, *cutoffs]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The LATERAL loops make the planner's cost estimate large (it assumes 1,000 epochs
            # per counter), which triggers JIT compilation: ~1.5 s spent to save nothing on a
            # query that reads a few thousand index entries.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    gaps = []
    for row in rows:
        seen_at = row[9]
        if isinstance(seen_at, str):  # SQLite returns text
            seen_at = datetime.fromisoformat(seen_at)
        if seen_at is not None and timezone.is_naive(seen_at):
            seen_at = timezone.make_aware(seen_at, UTC)
        gaps.append(
            Gap(
                counter_id=row[0],
                partner_code=row[1],
                transaction_type=row[2],
                counter_type=row[3],
                epoch=row[4],
                first_number=int(row[5]),
                last_number=int(row[6]),
                size=int(row[7]),
                kind=row[8],
                severity=row[10],
                seen_at=seen_at,
            )
        )
    return GapReport(gaps=gaps, days=days)
