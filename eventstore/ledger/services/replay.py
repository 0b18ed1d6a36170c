"""Rebuild a projection from position 1 without taking the admin offline.

Method (documented in the README): the projector fills SHADOW tables (``MemberRebuild``,
``EnrollmentRebuild``) with their own checkpoint, batch by batch, each batch committed. The
live tables keep serving the admin and keep being projected meanwhile. Interrupting the
rebuild loses nothing: a re-run continues from the shadow checkpoint (``restart=True`` starts
over). When the shadow has caught up, one short transaction locks the live checkpoint (the
live projector waits), catches the shadow up to the head, replaces the live rows with the
shadow rows by difference (changed and stray live rows deleted, missing ones inserted, equal
rows untouched; readers keep seeing the old rows until the commit, thanks to MVCC), moves the
live checkpoint to the shadow's and empties the shadow. On PostgreSQL the shadow tables are
UNLOGGED (a rebuild writes them without WAL); a crash empties them, which a resumed rebuild
detects (checkpoint past 0, no rows) and then starts over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from eventstore.ledger.services.events import events_head
from eventstore.ledger.services.projections import (
    PROJECTIONS,
    ProjectionTarget,
    _lock_checkpoint_position,
    _store_checkpoint,
    checkpoint_position,
    project_batch,
)
from eventstore.models import ProjectionCheckpoint

logger = logging.getLogger(__name__)


@dataclass
class ReplayProgress:
    position: int
    head: int
    events: int
    events_per_second: float


@dataclass
class ReplayResult:
    projection: str
    events: int
    position: int
    seconds: float
    resumed_from: int

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _copy_columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column != "id"]


def _empty_shadow(shadow: ProjectionTarget) -> None:
    """Remove every shadow row (TRUNCATE on PostgreSQL: only the rebuild uses these tables)."""
    if connection.vendor == "postgresql":
        tables = f"{shadow.enrollment_model._meta.db_table}, {shadow.member_model._meta.db_table}"
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
        return
    shadow.enrollment_model.objects.all().delete()
    shadow.member_model.objects.all().delete()


def _reset_shadow(shadow: ProjectionTarget) -> None:
    with transaction.atomic():
        _empty_shadow(shadow)
        ProjectionCheckpoint.objects.update_or_create(
            name=shadow.checkpoint, defaults={"position": 0}
        )


def _shadow_lost(shadow: ProjectionTarget) -> bool:
    """True when the shadow checkpoint has progressed but its tables are empty.

    The shadow tables are UNLOGGED on PostgreSQL (no WAL: the rebuild writes them much
    faster); a server crash empties them while the checkpoint row survives. A resumed rebuild
    must then start over rather than swap in a partial projection.
    """
    return (
        checkpoint_position(shadow.checkpoint) > 0
        and not shadow.member_model.objects.exists()
        and not shadow.enrollment_model.objects.exists()
    )


def _replace_rows(live_model, shadow_model, key: tuple[str, ...]) -> None:
    """Make the live table hold exactly the shadow's rows (caller's transaction).

    PostgreSQL: by difference. Live rows without an identical shadow row are deleted, then
    the shadow rows missing from live are inserted; rows that did not change are not touched
    (usually nearly all of them), which makes the swap a fraction of a full rewrite. Readers
    keep seeing the old rows until the commit (MVCC).
    """
    live = live_model._meta.db_table
    shadow = shadow_model._meta.db_table
    cols = _copy_columns(live_model)
    col_list = ", ".join(cols)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"DELETE FROM {live}")
            cursor.execute(f"INSERT INTO {live} ({col_list}) SELECT {col_list} FROM {shadow}")
            return
        same_key = " AND ".join(f"s.{k} = l.{k}" for k in key)
        rows_equal = (
            f"({', '.join('s.' + c for c in cols)}) "
            f"IS NOT DISTINCT FROM ({', '.join('l.' + c for c in cols)})"
        )
        cursor.execute(
            f"DELETE FROM {live} l WHERE NOT EXISTS "
            f"(SELECT 1 FROM {shadow} s WHERE {same_key} AND {rows_equal})"
        )
        cursor.execute(
            f"INSERT INTO {live} ({col_list}) SELECT {', '.join('s.' + c for c in cols)} "
            f"FROM {shadow} s WHERE NOT EXISTS (SELECT 1 FROM {live} l WHERE {same_key})"
        )


def _swap(live: ProjectionTarget, shadow: ProjectionTarget, batch_size: int) -> int:
    """Catch up and make the live tables equal to the shadow in one transaction."""
    with transaction.atomic():
        _lock_checkpoint_position(live.checkpoint)  # the live projector waits
        while project_batch(shadow, batch_size=batch_size):
            pass
        position = _lock_checkpoint_position(shadow.checkpoint)
        _replace_rows(live.member_model, shadow.member_model, ("aggregate_id",))
        _replace_rows(live.enrollment_model, shadow.enrollment_model, ("member_id", "coverage_key"))
        _store_checkpoint(live.checkpoint, position)
        _empty_shadow(shadow)
        ProjectionCheckpoint.objects.filter(name=shadow.checkpoint).delete()
        return position


def replay_events(
    *,
    projection: str = "members",
    batch_size: int = 1000,
    restart: bool = False,
    progress: Callable[[ReplayProgress], None] | None = None,
    max_batches: int | None = None,
) -> ReplayResult | None:
    """Rebuild ``projection`` from position 1 into shadow tables, then swap them in.

    Resumes an interrupted rebuild unless ``restart``. With ``max_batches`` it stops after
    that many batches without swapping (returns None): a bounded, resumable step.
    """
    live, shadow = PROJECTIONS[projection]
    started = time.monotonic()
    exists = ProjectionCheckpoint.objects.filter(name=shadow.checkpoint).exists()
    if exists and not restart and _shadow_lost(shadow):
        logger.warning(
            "rebuild of %s: shadow tables were emptied (server crash); starting over", projection
        )
        restart = True
    if restart or not exists:
        _reset_shadow(shadow)
    resumed_from = checkpoint_position(shadow.checkpoint)
    events = 0
    batches = 0
    head = events_head()
    while max_batches is None or batches < max_batches:
        count = project_batch(shadow, batch_size=batch_size)
        if not count:
            break
        events += count
        batches += 1
        if progress is not None:
            elapsed = time.monotonic() - started
            progress(
                ReplayProgress(
                    position=checkpoint_position(shadow.checkpoint),
                    head=max(head, checkpoint_position(shadow.checkpoint)),
                    events=events,
                    events_per_second=events / elapsed if elapsed else 0.0,
                )
            )
    else:
        return None
    position = _swap(live, shadow, batch_size)
    return ReplayResult(
        projection=projection,
        events=events,
        position=position,
        seconds=time.monotonic() - started,
        resumed_from=resumed_from,
    )
