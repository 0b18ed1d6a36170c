"""Snapshots of the Member aggregate: loading = latest snapshot + later events.

A snapshot stores the folded state at an aggregate version with its ``state_version``
(format); loading upcasts it (``upcasting.upcast_state``) and folds the later events onto it.
When a later event reverses an event already inside the snapshot, the snapshot cannot be
used and the whole stream is folded (``NeedsFullFold``): the result is always equal to a
full fold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Max

from eventstore.ledger.events.aggregate import NeedsFullFold, fold
from eventstore.ledger.events.upcasting import STATE_VERSION, upcast_state
from eventstore.models import DomainEvent, EventSnapshot

DEFAULT_EVERY = 50
# aggregates folded before their snapshots are written (bounds memory on a full pass)
WRITE_BATCH = 500


def snapshot_every() -> int:
    """Events between automatic snapshots (``settings.EVENTSTORE_SNAPSHOT_EVERY``)."""
    return int(getattr(settings, "EVENTSTORE_SNAPSHOT_EVERY", DEFAULT_EVERY))


def latest_snapshot(aggregate_id: str) -> tuple[int, dict[str, Any]] | None:
    """(version, upcast state) of the newest snapshot of an aggregate, or None."""
    snap = (
        EventSnapshot.objects.filter(aggregate_id=aggregate_id)
        .order_by("-aggregate_version")
        .values_list("aggregate_version", "state_version", "state")
        .first()
    )
    if snap is None:
        return None
    version, state_version, state = snap
    return version, upcast_state(state_version, state)


def aggregate_load(aggregate_id: str, *, use_snapshot: bool = True) -> dict[str, Any]:
    """The current state of a member aggregate (snapshot + tail, or a full fold)."""
    from eventstore.ledger.services.events import aggregate_events

    snap = latest_snapshot(aggregate_id) if use_snapshot else None
    if snap is not None:
        version, state = snap
        try:
            return fold(aggregate_events(aggregate_id, after_version=version), state)
        except NeedsFullFold:
            pass
    return fold(aggregate_events(aggregate_id))


def snapshots_write(states: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Store snapshots of already-folded states (idempotent per aggregate version)."""
    objs = [
        EventSnapshot(
            aggregate_id=aggregate_id,
            aggregate_version=state["version"],
            position=state["last_position"],
            state_version=STATE_VERSION,
            state=state,
        )
        for aggregate_id, state in states
        if state["version"] > 0
    ]
    EventSnapshot.objects.bulk_create(objs, ignore_conflicts=True, batch_size=500)
    return len(objs)


def snapshots_create(*, aggregate_ids: Sequence[str] | None = None, min_new_events: int = 1) -> int:
    """Snapshot aggregates on demand: the given ones, or every aggregate with at least
    ``min_new_events`` events since its last snapshot. Returns the number written."""
    if aggregate_ids is None:
        heads = dict(
            DomainEvent.objects.values_list("aggregate_id").annotate(v=Max("aggregate_version"))
        )
        snapped = dict(
            EventSnapshot.objects.values_list("aggregate_id").annotate(v=Max("aggregate_version"))
        )
        aggregate_ids = [a for a, v in heads.items() if v - snapped.get(a, 0) >= min_new_events]
    written = 0
    batch: list[tuple[str, dict[str, Any]]] = []
    for aggregate_id in aggregate_ids:
        batch.append((aggregate_id, aggregate_load(aggregate_id)))
        if len(batch) >= WRITE_BATCH:
            written += snapshots_write(batch)
            batch = []
    written += snapshots_write(batch)
    return written


def crossed_snapshot_boundary(old_version: int, new_version: int, every: int) -> bool:
    """True when a snapshot is due: the version passed a multiple of ``every``."""
    return every > 0 and new_version // every > old_version // every


__all__ = [
    "aggregate_load",
    "crossed_snapshot_boundary",
    "latest_snapshot",
    "snapshot_every",
    "snapshots_create",
    "snapshots_write",
]
