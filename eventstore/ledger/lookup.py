"""Member lookups against the projections, set-based, for answering inquiries (the 270/271).

Reads only: the Member and Enrollment projection rows (PHI: callers decide what leaves) and
how far the projector is behind the log. Every function takes many keys at once and costs a
fixed number of queries whatever their count (one per kind of key, plus one for the
enrollments of the members found), so a batch inquiry of thousands of people is answered
without a query per person.

* :func:`members_by_identifier` — members whose subscriber id (REF*0F) or member-level
  reference (REF*23) is one of the given identifiers; a subscriber id brings the whole
  family (every person of a family shares it).
* :func:`members_by_name` — members by (last name, birth date), last names compared in
  upper case (index ``member_name_birth``); the caller narrows by first name.
* :func:`projection_freshness` / :func:`aggregates_changed_after` — the projector's lag and
  the members whose events it has not applied yet (their rows may be stale).

Results are :class:`MemberFacts` (frozen, with their :class:`CoverageFacts`): plain values,
no model instances, so a caller can hold thousands cheaply.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from eventstore.ledger.models import (
    DomainEvent,
    Enrollment,
    Member,
    ProjectionCheckpoint,
    status_for,
)

__all__ = [
    "CoverageFacts",
    "MemberFacts",
    "aggregates_changed_after",
    "members_by_identifier",
    "members_by_name",
    "name_key",
    "projection_freshness",
]

PROJECTION = "members"
# SQLite's default limit on bound variables is 999 (older builds): chunk IN lists below it.
_SQLITE_CHUNK = 400


@dataclass(frozen=True, slots=True)
class CoverageFacts:
    """One coverage (834 HD insurance line) of a member, as projected."""

    coverage_key: str
    plan: str
    coverage_level: str
    benefit_begin: dt.date | None
    benefit_end: dt.date | None
    terminated: bool

    def active_on(self, day: dt.date) -> bool:
        return status_for(self.benefit_begin, self.benefit_end, day) == "ACTIVE"


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """One member row of the projection with its coverages."""

    aggregate_id: str
    partner_code: str
    subscriber_id: str
    member_ref: str
    is_subscriber: bool
    relationship: str
    last_name: str
    first_name: str
    middle_name: str
    birth_date: dt.date | None
    gender: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    group_policy: str
    terminated: bool
    eligibility_begin: dt.date | None
    eligibility_end: dt.date | None
    coverage_begin: dt.date | None
    coverage_end: dt.date | None
    last_position: int
    coverages: tuple[CoverageFacts, ...] = ()

    def eligible_on(self, day: dt.date) -> bool:
        """Member-level eligibility (DTP 356/357, else the coverage span) on ``day``."""
        begin = self.eligibility_begin or self.coverage_begin
        end = self.eligibility_end or self.coverage_end
        return status_for(begin, end, day) == "ACTIVE"


_MEMBER_COLS = (
    "aggregate_id",
    "partner_code",
    "subscriber_id",
    "member_ref",
    "is_subscriber",
    "relationship",
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "gender",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "group_policy",
    "terminated",
    "eligibility_begin",
    "eligibility_end",
    "coverage_begin",
    "coverage_end",
    "last_position",
)
_ENROLLMENT_COLS = (
    "member_id",
    "coverage_key",
    "plan",
    "coverage_level",
    "benefit_begin",
    "benefit_end",
    "terminated",
)


def name_key(last_name: str) -> str:
    """How last names are compared by :func:`members_by_name` (and its index): upper case,
    surrounding blanks removed."""
    return last_name.strip().upper()


def _date(value: object) -> dt.date | None:
    # SQLite returns ISO text for raw queries; PostgreSQL returns dates.
    if value is None or isinstance(value, dt.date):
        return value  # type: ignore[return-value]
    return dt.date.fromisoformat(str(value))


def _facts(rows: Iterable[Sequence], partner_codes: Collection[str]) -> dict[str, MemberFacts]:
    """Member rows (in ``_MEMBER_COLS`` order) plus their enrollments, by aggregate id."""
    wanted = set(partner_codes)
    members: dict[str, tuple] = {}
    for row in rows:
        if wanted and row[1] not in wanted:
            continue
        members[row[0]] = tuple(row)
    coverages: dict[str, list[CoverageFacts]] = defaultdict(list)
    # PostgreSQL hands back dates and booleans; SQLite's raw rows hold ISO text and 0/1.
    typed = connection.vendor == "postgresql"
    if members:
        for row in _select_in(Enrollment._meta.db_table, "member_id", _ENROLLMENT_COLS, members):
            if not typed:
                row = (*row[:4], _date(row[4]), _date(row[5]), bool(row[6]))
            coverages[row[0]].append(CoverageFacts(*row[1:]))
    out = {}
    for aggregate_id, row in members.items():
        if not typed:
            row = tuple(_sqlite_value(i, v) for i, v in enumerate(row))
        # Positional: _MEMBER_COLS follows the field order of MemberFacts (thousands per
        # batch inquiry: keyword construction showed up in its profile).
        out[aggregate_id] = MemberFacts(
            *row, coverages=tuple(sorted(coverages.get(aggregate_id, ()), key=_coverage_key))
        )
    return out


def _coverage_key(coverage: CoverageFacts) -> str:
    return coverage.coverage_key


_DATE_POSITIONS = frozenset(
    i for i, c in enumerate(_MEMBER_COLS) if c.endswith(("_date", "_begin", "_end"))
)
_BOOL_POSITIONS = frozenset(_MEMBER_COLS.index(c) for c in ("is_subscriber", "terminated"))


def _sqlite_value(index: int, value: object) -> object:
    if index in _DATE_POSITIONS:
        return _date(value)
    if index in _BOOL_POSITIONS:
        return bool(value)
    return value


def _select_in_any(
    table: str, probes: Sequence[tuple[str, str]], cols: Sequence[str], keys: Collection[str]
) -> list[tuple]:
    """PostgreSQL: rows of ``table`` where any probe's column is one of ``keys`` (with the
    probe's extra condition), in ONE statement: per key, one index lookup per probe (as in
    :func:`_select_in`), joined by UNION ALL (a row matching two probes comes twice)."""
    select = ", ".join(f"t.{c}" for c in cols)
    arms = " UNION ALL ".join(
        f"(SELECT * FROM {table} t WHERE t.{column} = k.v{f' AND {also}' if also else ''} OFFSET 0)"
        for column, also in probes
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM unnest(%s::varchar[]) AS k(v) CROSS JOIN LATERAL ({arms}) t",
            [list(keys)],
        )
        return cursor.fetchall()


def _select_in(
    table: str, column: str, cols: Sequence[str], keys: Collection[str], *, also: str = ""
) -> list[tuple]:
    """Rows of ``table`` whose ``column`` is one of ``keys`` (one statement on PostgreSQL).

    ``also``: an extra condition on the row (``t.``), e.g. the predicate of a partial index,
    which the planner must see to use that index for a parameter it cannot inspect.
    """
    keys = list(keys)
    if not keys:
        return []
    select = ", ".join(f"t.{c}" for c in cols)
    extra = f" AND {also}" if also else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array parameter, and a LATERAL probe per key (OFFSET 0 keeps it from being
            # flattened into a join): one index lookup per key even when the planner's
            # statistics lag a bulk load, where "= ANY" may become a sequential scan.
            cursor.execute(
                f"SELECT {select} FROM unnest(%s::varchar[]) AS k(v) CROSS JOIN LATERAL "
                f"(SELECT * FROM {table} t WHERE t.{column} = k.v{extra} OFFSET 0) t",
                [keys],
            )
            return cursor.fetchall()
        rows: list[tuple] = []
        for start in range(0, len(keys), _SQLITE_CHUNK):
            chunk = keys[start : start + _SQLITE_CHUNK]
            cursor.execute(
                f"SELECT {select} FROM {table} t WHERE t.{column} IN "
                f"({', '.join(['%s'] * len(chunk))}){extra}",
                chunk,
            )
            rows.extend(cursor.fetchall())
        return rows


def members_by_identifier(
    *, identifiers: Collection[str], partner_codes: Collection[str] = ()
) -> dict[str, list[MemberFacts]]:
    """For each identifier, the members whose subscriber id or member reference it is.

    A subscriber id matches every person of the family (they all carry it); a member
    reference (REF*23) matches that person. ``partner_codes`` (the 834 senders) limits the
    members considered; empty = every partner. One query for the members (subscriber ids and
    member references; two on SQLite) and one for their enrollments, whatever the number of
    identifiers.
    """
    ids = {i for i in identifiers if i}
    if not ids:
        return {}
    table = Member._meta.db_table
    # member_ref is blank for most members: the partial index member_ref_set holds the rest
    # (its predicate repeated, or the planner cannot use it for a parameter).
    probes = (("subscriber_id", ""), ("member_ref", "t.member_ref <> ''"))
    if connection.vendor == "postgresql":
        rows = _select_in_any(table, probes, _MEMBER_COLS, ids)
    else:
        rows = [r for c, also in probes for r in _select_in(table, c, _MEMBER_COLS, ids, also=also)]
    facts = _facts(rows, partner_codes)
    out: dict[str, list[MemberFacts]] = defaultdict(list)
    for member in facts.values():
        if member.subscriber_id in ids:
            out[member.subscriber_id].append(member)
        if member.member_ref in ids and member.member_ref != member.subscriber_id:
            out[member.member_ref].append(member)
    return dict(out)


def members_by_name(
    *, keys: Collection[tuple[str, dt.date]], partner_codes: Collection[str] = ()
) -> dict[tuple[str, dt.date], list[MemberFacts]]:
    """For each (last name, birth date), the members with that last name (compared by
    :func:`name_key`) and birth date. One query for the members, one for their enrollments."""
    wanted = {(name_key(last), born) for last, born in keys if last and born}
    if not wanted:
        return {}
    table = Member._meta.db_table
    select = ", ".join(f"m.{c}" for c in _MEMBER_COLS)
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lasts = [k[0] for k in wanted]
            births = [k[1] for k in wanted]
            cursor.execute(
                f"SELECT {select} FROM unnest(%s::text[], %s::date[]) AS k(last, born) "
                f"CROSS JOIN LATERAL (SELECT * FROM {table} m WHERE UPPER(m.last_name) = k.last "
                "AND m.birth_date = k.born OFFSET 0) m",
                [lasts, births],
            )
            rows = cursor.fetchall()
        else:
            pairs = sorted(wanted)
            for start in range(0, len(pairs), _SQLITE_CHUNK // 2):
                chunk = pairs[start : start + _SQLITE_CHUNK // 2]
                where = " OR ".join(
                    ["(UPPER(m.last_name) = %s AND m.birth_date = %s)"] * len(chunk)
                )
                params: list = []
                for last, born in chunk:
                    params += [last, born.isoformat()]
                cursor.execute(f"SELECT {select} FROM {table} m WHERE {where}", params)
                rows.extend(cursor.fetchall())
    out: dict[tuple[str, dt.date], list[MemberFacts]] = defaultdict(list)
    for member in _facts(rows, partner_codes).values():
        key = (name_key(member.last_name), member.birth_date)
        if key in wanted:
            out[key].append(member)  # type: ignore[index]
    return dict(out)


def projection_freshness() -> tuple[int, int]:
    """(head position of the log, position the member projection has applied)."""
    events, checkpoints = DomainEvent._meta.db_table, ProjectionCheckpoint._meta.db_table
    with connection.cursor() as cursor:  # one round trip (it runs for every lookup)
        cursor.execute(
            f"SELECT (SELECT MAX(position) FROM {events}), "
            f"(SELECT position FROM {checkpoints} WHERE name = %s)",
            [PROJECTION],
        )
        head, applied = cursor.fetchone()
    return head or 0, applied or 0


def aggregates_changed_after(*, position: int, limit: int) -> set[str] | None:
    """Members with events after ``position`` (not projected yet), or None when there are
    more than ``limit`` such events (too many to list: the caller treats all as stale)."""
    rows = list(
        DomainEvent.objects.filter(position__gt=position)
        .order_by("position")
        .values_list("aggregate_id", flat=True)[: limit + 1]
    )
    if len(rows) > limit:
        return None
    return set(rows)
