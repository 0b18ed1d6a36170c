"""The inbox poller: files dropped in ``INBOUND_INBOX_DIR`` are ingested, then moved.

Steps per poll: list the complete files (old enough, no temporary names), ingest them (in
worker processes for a burst), move each to ``processed/`` or ``failed/`` once its batch is
registered. A crash leaves files in the inbox (ingested again: the same bytes are the same
batch) or already moved (their batch exists).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from eventstore.inbound.hooks import inbox_folders
from eventstore.inbound.models import BatchChannel, BatchStatus
from eventstore.inbound.services.ingest_many import ingest_paths

logger = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
FAILED_DIR = "failed"
# Files still being written (e.g. by an SFTP upload) are left for the next poll.
DEFAULT_MIN_AGE_SECONDS = 5
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")
# inbox_poll uses worker processes only for at least this many files per worker
MIN_FILES_PER_WORKER = 20


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
    *,
    inbox: Path | None = None,
    min_age_seconds: float | None = None,
    workers: int | None = None,
) -> InboxPollResult:
    """Ingest every complete file in the inbox, then move it to processed/ or failed/.

    A file moves only after the ingest service has stored its raw copy and registered its
    batch and the batch is finished; when that fails (database or storage down) or the batch
    is still RECEIVED the file stays for the next poll.
    Accepted files go to ``processed/``, rejected, duplicate or unknown-partner ones to
    ``failed/`` (their batches say why; the raw copy is in the inbound storage either way).

    ``workers`` (default ``INBOUND_INBOX_WORKERS``, 1): a burst of files (at least
    ``MIN_FILES_PER_WORKER`` per worker) is ingested by that many worker processes; this
    process moves each file once its outcome is back.
    """
    inbox = Path(inbox or settings.INBOUND_INBOX_DIR)
    if min_age_seconds is None:
        min_age_seconds = float(
            getattr(settings, "INBOUND_INBOX_MIN_AGE_SECONDS", DEFAULT_MIN_AGE_SECONDS)
        )
    if workers is None:
        workers = int(getattr(settings, "INBOUND_INBOX_WORKERS", 1))
    candidates = inbox_candidates(inbox, min_age_seconds=min_age_seconds)
    # starting a worker costs about a second: only a burst is worth it
    workers = max(1, min(workers, len(candidates) // MIN_FILES_PER_WORKER))
    processed = failed = left = 0
    outcomes = ingest_paths(paths=candidates, channel=BatchChannel.INBOX, workers=workers)
    for path, outcome in zip(candidates, outcomes, strict=True):
        if outcome.vanished:
            continue  # another poller took it
        result = outcome.result
        if result is None:  # storage or database down: nothing was registered
            left += 1
            logger.warning("inbox file %s not ingested; it stays in the inbox", path.name)
            continue
        if result.status == BatchStatus.RECEIVED:
            # not finished (interrupted, or another worker is on it): the file waits for a
            # later poll, which finds the batch finished or takes it over
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
    for name, importer in sorted(inbox_folders().items()):
        done = _poll_folder(inbox / name, importer, min_age_seconds=min_age_seconds)
        processed, failed, left = processed + done[0], failed + done[1], left + done[2]
    return InboxPollResult(processed, failed, left)


def _poll_folder(folder: Path, importer, *, min_age_seconds: float) -> tuple[int, int, int]:
    """Hand each complete file of a registered inbox folder to its importer (see
    :func:`eventstore.inbound.hooks.register_inbox_folder`); a refused file goes to
    failed/ with ``<name>.reason.txt`` beside it."""
    processed = failed = left = 0
    for path in inbox_candidates(folder, min_age_seconds=min_age_seconds):
        try:
            ok, reasons = importer(path)
        except Exception as exc:  # database down: the file waits for the next poll
            logger.warning(
                "inbox file %s/%s not imported (%s); it stays", folder.name, path.name,
                type(exc).__name__,
            )  # fmt: skip
            left += 1
            continue
        if ok is None:
            left += 1
            continue
        try:
            moved = _move(path, folder / (PROCESSED_DIR if ok else FAILED_DIR))
        except FileNotFoundError:
            continue
        if ok:
            processed += 1
        else:
            failed += 1
            moved.with_name(moved.name + ".reason.txt").write_text("\n".join(reasons) + "\n")
        logger.info("inbox file %s/%s %s", folder.name, path.name, "imported" if ok else "refused")
    return processed, failed, left
