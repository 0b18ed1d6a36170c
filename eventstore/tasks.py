"""Celery tasks of the eventstore app: inbound inbox polling."""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from eventstore.models import BatchChannel
from eventstore.services.ingest import ingest_path

logger = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
FAILED_DIR = "failed"
# Files still being written (e.g. by an SFTP upload) are left for the next poll.
DEFAULT_MIN_AGE_SECONDS = 5
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")


@dataclass(frozen=True)
class InboxPollResult:
    processed: int
    failed: int
    left: int


def inbox_candidates(inbox: Path, *, min_age_seconds: float) -> list[Path]:
    """Regular files directly in ``inbox`` that are complete enough to ingest (oldest first)."""
    if not inbox.is_dir():
        return []
    now = time.time()
    found = []
    for entry in os.scandir(inbox):
        if not entry.is_file(follow_symlinks=False):
            continue
        name = entry.name
        if name.startswith(".") or name.lower().endswith(_TEMP_SUFFIXES):
            continue
        stat = entry.stat(follow_symlinks=False)
        if now - stat.st_mtime < min_age_seconds:
            continue
        found.append((stat.st_mtime, name, Path(entry.path)))
    return [path for _, _, path in sorted(found)]


def _move(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder/YYYY-MM-DD/``, never overwriting an earlier file."""
    target_dir = folder / f"{timezone.now():%Y-%m-%d}"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():
        n += 1
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
    shutil.move(str(path), str(target))
    return target


def inbox_poll(
    *, inbox: Path | None = None, min_age_seconds: float | None = None
) -> InboxPollResult:
    """Ingest every complete file in the inbox, then move it to processed/ or failed/.

    A file moves only after the ingest service has stored its raw copy and registered its
    batch; when that fails (database or storage down) the file stays for the next poll.
    Accepted files go to ``processed/``, rejected, duplicate or unknown-partner ones to
    ``failed/`` (their batches say why; the raw copy is in the inbound storage either way).
    """
    inbox = Path(inbox or settings.INBOUND_INBOX_DIR)
    if min_age_seconds is None:
        min_age_seconds = float(
            getattr(settings, "INBOUND_INBOX_MIN_AGE_SECONDS", DEFAULT_MIN_AGE_SECONDS)
        )
    processed = failed = left = 0
    for path in inbox_candidates(inbox, min_age_seconds=min_age_seconds):
        try:
            result = ingest_path(path=path, channel=BatchChannel.INBOX)
        except FileNotFoundError:
            continue  # another poller took it
        except Exception:
            left += 1
            logger.exception("inbox file %s not ingested; it stays in the inbox", path.name)
            continue
        if result.batch is None:  # pragma: no cover - ingest_path always registers or raises
            left += 1
            continue
        try:
            _move(path, inbox / (PROCESSED_DIR if result.ok else FAILED_DIR))
        except FileNotFoundError:
            continue  # moved by a concurrent poller (same bytes -> same batch)
        if result.ok:
            processed += 1
        else:
            failed += 1
        logger.info("inbox file %s -> batch %s (%s)", path.name, result.batch, result.status)
    return InboxPollResult(processed, failed, left)


@shared_task(name="eventstore.tasks.inbound_poll_inbox", ignore_result=True)
def inbound_poll_inbox() -> dict[str, int]:
    """Beat task: poll ``INBOUND_INBOX_DIR`` (no arguments: paths and ids only, never data)."""
    result = inbox_poll()
    return {"processed": result.processed, "failed": result.failed, "left": result.left}
