"""Rebuild a projection from position 1 without taking the admin offline.

Method (documented in the README): the projector fills SHADOW tables (``MemberRebuild``,
``EnrollmentRebuild``) with their own checkpoint, batch by batch, each batch committed. The
live tables keep serving the admin and keep being projected meanwhile. Interrupting the
rebuild loses nothing: a re-run continues from the shadow checkpoint (``restart=True`` starts
over). When the shadow has caught up, one short transaction locks the live checkpoint (the
live projector waits), catches the shadow up to the head, replaces the live rows with the
shadow rows (``DELETE`` + ``INSERT ... SELECT``: readers keep seeing the old rows until the
commit, thanks to MVCC), moves the live checkpoint to the shadow's and empties the shadow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from eventstore.models import ProjectionCheckpoint
from eventstore.services.events import events_head
from eventstore.services.projections import (
    PROJECTIONS,
    ProjectionTarget,
    _locked_checkpoint,
    _save_checkpoint,
    checkpoint_position,
    project_batch,
)


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


def _reset_shadow(shadow: ProjectionTarget) -> None:
    with transaction.atomic():
        shadow.enrollment_model.objects.all().delete()
        shadow.member_model.objects.all().delete()
        ProjectionCheckpoint.objects.update_or_create(
            name=shadow.checkpoint, defaults={"position": 0}
        )


def _swap(live: ProjectionTarget, shadow: ProjectionTarget, batch_size: int) -> int:
    """Catch up and copy the shadow into the live tables in one transaction."""
    with transaction.atomic():
        live_checkpoint = _locked_checkpoint(live.checkpoint)  # the live projector waits
        while project_batch(shadow, batch_size=batch_size):
            pass
        shadow_checkpoint = _locked_checkpoint(shadow.checkpoint)
        with connection.cursor() as cursor:
            live.enrollment_model.objects.all().delete()
            live.member_model.objects.all().delete()
            for live_model, shadow_model in (
                (live.member_model, shadow.member_model),
                (live.enrollment_model, shadow.enrollment_model),
            ):
                cols = ", ".join(_copy_columns(live_model))
                cursor.execute(
                    f"INSERT INTO {live_model._meta.db_table} ({cols}) "
                    f"SELECT {cols} FROM {shadow_model._meta.db_table}"
                )
        _save_checkpoint(live_checkpoint, shadow_checkpoint.position)
        shadow.enrollment_model.objects.all().delete()
        shadow.member_model.objects.all().delete()
        shadow_checkpoint.delete()
        return live_checkpoint.position


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
