"""Batch windows: one row per response type, created from the responder's defaults.

Operators edit windows in the admin; :func:`batch_windows_ensure` (run after every
``migrate``) only creates the rows of response types that have none yet, so a new
responder module gets its window without a migration and an operator's edit is never undone.
"""

from __future__ import annotations

from outbound.models import BatchWindow
from outbound.responders import specs

__all__ = ["batch_windows_ensure"]


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
