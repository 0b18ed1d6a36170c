"""Invariants the data must keep across a migration or a restore: a registry apps fill.

Operations sit below the domain apps and cannot know their rules, so each app registers the
invariants that matter most for it from its ``AppConfig.ready()`` (controlnumbers: every
counter at or above its highest issued number; eventstore: event positions gap-free from 1,
the position counter at the head, every checkpoint at or below the head). An invariant is
one portable SQL query (SQLite and PostgreSQL) returning the number of violations, so the
same text runs on the source and on the target.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Invariant",
    "InvariantResult",
    "invariants_check",
    "register_invariant",
    "registered_invariants",
]


@dataclass(frozen=True)
class Invariant:
    """``sql`` returns one integer: how many rows break the rule (0 = it holds)."""

    name: str
    description: str
    sql: str
    tables: tuple[str, ...] = ()  # skipped when one of these is missing (an older schema)


@dataclass(frozen=True)
class InvariantResult:
    name: str
    description: str
    violations: int | None  # None: not checked (its tables are missing)

    @property
    def holds(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "violations": self.violations}


_lock = threading.Lock()
_invariants: dict[str, Invariant] = {}


def register_invariant(invariant: Invariant) -> Invariant:
    """Add (or replace, by name) an invariant; returns it (usable as a module constant)."""
    with _lock:
        _invariants[invariant.name] = invariant
    return invariant


def registered_invariants() -> list[Invariant]:
    with _lock:
        return sorted(_invariants.values(), key=lambda i: i.name)


def invariants_check(*, cursor: Any, tables: Iterable[str]) -> list[InvariantResult]:
    """Run every registered invariant through ``cursor`` (a DB-API cursor of either engine).

    ``tables``: the tables the database has; an invariant over a missing table is skipped.
    """
    present = set(tables)
    results = []
    for invariant in registered_invariants():
        if not set(invariant.tables) <= present:
            results.append(InvariantResult(invariant.name, invariant.description, None))
            continue
        cursor.execute(invariant.sql)
        row = cursor.fetchone()
        results.append(InvariantResult(invariant.name, invariant.description, int(row[0] or 0)))
    return results
