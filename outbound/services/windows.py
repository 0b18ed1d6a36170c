"""Batch windows: one row per response type, created from the responder's defaults.

Operators edit windows in the admin; :func:`batch_windows_ensure` (run after every
``migrate``) only creates the rows of response types that have none yet, so a new
responder module gets its window without a migration and an operator's edit is never undone.

:func:`windows_read` is what assembly's claim reads every time (so an edit counts from the
next claim, in every process): one prepared statement giving plain values, not model rows
(the ORM spent ~0.6 ms building the query and the models, a tenth of a real-time file).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection

from edi_platform.core.db import hot_cursor
from outbound.models import BatchWindow
from outbound.responders import specs

__all__ = ["WindowSettings", "batch_windows_ensure", "windows_read"]


@dataclass(frozen=True, slots=True)
class WindowSettings:
    """One batch window's settings as assembly uses them."""

    response_type: str
    window_minutes: int
    max_batch_size: int
    priority: int
    enabled: bool


_COLUMNS = ("response_type", "window_minutes", "max_batch_size", "priority", "enabled")


def windows_read() -> dict[str, WindowSettings]:
    """Every batch window by response type, read now."""
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(_windows_sql())
        return {row[0]: WindowSettings(*row) for row in cursor.fetchall()}


@cache
def _windows_sql() -> str:
    meta = BatchWindow._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _COLUMNS)
    return f"SELECT {columns} FROM {quote(meta.db_table)}"


def batch_windows_ensure() -> list[str]:
    """Create the missing batch windows from the responders' defaults; returns their types."""
    existing = set(BatchWindow.objects.values_list("response_type", flat=True))
    created = []
    for spec in specs():
        if spec.response_type in existing:
            continue
        _, made = BatchWindow.objects.get_or_create(
            response_type=spec.response_type,
            defaults={
                "window_minutes": spec.window_minutes,
                "max_batch_size": spec.max_batch_size,
                "priority": spec.priority,
                "sla_minutes": spec.sla_minutes,
            },
        )
        if made:
            created.append(spec.response_type)
    return created
