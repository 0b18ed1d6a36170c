"""The inbox poller: files dropped in ``INBOUND_INBOX_DIR`` are ingested, then moved.

Steps per poll: list the complete files (old enough, no temporary names), ingest them (in
worker processes for a burst), move each to ``processed/`` or ``failed/`` once its batch is
registered. A crash leaves files in the inbox (ingested again: the same bytes are the same
batch) or already moved (their batch exists).

Scale-out (``INBOUND_INBOX_SHARDS`` = n > 1, with a Celery broker): :func:`inbox_run` does
not poll but enqueues n shard polls, which the Celery worker pool runs in parallel. Shard i
takes the files whose name hashes to i (a stable CRC-32), so shards never share a file; each
shard is polled by one process at a time (a PostgreSQL session advisory lock: a beat tick
that comes while the last poll of a shard still works through a backlog skips that shard
instead of ingesting its files a second time). A killed shard poll leaves its files in the
inbox and its lock released with its connection: the next tick takes them.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from edi_platform.core.tasking import task_named
from eventstore.inbound.hooks import inbox_folders
from eventstore.inbound.models import BatchChannel, BatchStatus
from eventstore.inbound.services.ingest_many import ingest_paths
from eventstore.inbound.services.sql import inbox_shard_lock

logger = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
FAILED_DIR = "failed"
# Files still being written (e.g. by an SFTP upload) are left for the next poll.
DEFAULT_MIN_AGE_SECONDS = 5
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")
# inbox_poll uses worker processes only for at least this many files per worker
MIN_FILES_PER_WORKER = 20


POLL_TASK = "eventstore.inbound.tasks.poll_inbox"


@dataclass(frozen=True)
class InboxPollResult:
    processed: int
    failed: int
    left: int
    # shard polls enqueued instead of polling here (inbox_run with INBOUND_INBOX_SHARDS > 1)
    dispatched: int = 0
    # this shard was skipped: another process is polling it right now
    busy: bool = False


def inbox_shards() -> int:
    """``INBOUND_INBOX_SHARDS`` (default 1): shard polls a beat tick fans out into."""
    return max(1, int(getattr(settings, "INBOUND_INBOX_SHARDS", 1)))


def inbox_run(*, shard: int | None = None, shards: int | None = None) -> InboxPollResult:
    """What the poll task does: poll shard ``shard`` of ``shards``; without a shard, poll the
    whole inbox, or, when ``INBOUND_INBOX_SHARDS`` > 1 and Celery has a broker, enqueue one
    shard poll per shard (eagerly run tasks would only poll them one after the other)."""
    if shard is not None:
        return inbox_poll(shard=(int(shard), max(1, int(shards or 1))))
    count = inbox_shards()
    if count > 1 and not getattr(settings, "CELERY_EAGER", True):
        task = task_named(POLL_TASK)
        for number in range(count):
            task.delay(shard=number, shards=count)  # numbers only: no path, no data
        return InboxPollResult(0, 0, 0, dispatched=count)
    return inbox_poll()


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether file ``name`` belongs to ``shard`` = (number, count); None: every file."""
    if shard is None or shard[1] <= 1:
        return True
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % shard[1] == shard[0]


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
    shard: tuple[int, int] | None = None,
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

    ``shard`` = (number, count): only the files of that shard (see :func:`in_shard`), in this
    process (the Celery pool runs the shards in parallel), and only when no other process
    polls that shard now (else ``busy``). Registered folders are polled by shard 0 only.
    """
    with inbox_shard_lock(shard[0] if shard else 0) as held:
        if not held:
            logger.info("inbox shard %s: polled by another process; skipped", shard)
            return InboxPollResult(0, 0, 0, busy=True)
        return _poll(inbox, min_age_seconds, workers, shard)


def _poll(
    inbox: Path | None,
    min_age_seconds: float | None,
    workers: int | None,
    shard: tuple[int, int] | None,
) -> InboxPollResult:
    inbox = Path(inbox or settings.INBOUND_INBOX_DIR)
    if min_age_seconds is None:
        min_age_seconds = float(
            getattr(settings, "INBOUND_INBOX_MIN_AGE_SECONDS", DEFAULT_MIN_AGE_SECONDS)
        )
    if workers is None:
        workers = int(getattr(settings, "INBOUND_INBOX_WORKERS", 1))
    candidates = [
        path
        for path in inbox_candidates(inbox, min_age_seconds=min_age_seconds)
        if in_shard(path.name, shard)
    ]
    # starting a worker costs about a second: only a burst is worth it; a shard poll runs
    # in a Celery pool process, whose pool is the parallelism
    workers = 1 if shard else max(1, min(workers, len(candidates) // MIN_FILES_PER_WORKER))
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
    for name, importer in sorted(inbox_folders().items() if not shard or shard[0] == 0 else ()):
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
