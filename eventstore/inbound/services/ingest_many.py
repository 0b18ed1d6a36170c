"""Ingest many files, optionally in several worker processes (``manage.py ingest --workers N``).

Every file still goes through :func:`eventstore.inbound.services.ingest.ingest_path`, one file per
call, so every guarantee of the single-file service holds per file: same bytes -> one batch
(the sha256 unique index arbitrates between workers), same ISA13 -> one processed and the
other a duplicate (the ISA13 lock), raw copy stored before any row. Workers are separate
processes (CPU-bound Python does not run in parallel in threads); they overlap each other's
waits on the disk and on PostgreSQL, whose group commit flushes several commits at once.

Workers are started with the ``spawn`` method (a fresh interpreter that sets Django up), so
no database connection, pool thread or lock of the parent is ever shared with a child.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .result import IngestResult

# Nothing here imports Django models at import time: a worker process imports this module
# (to find _worker_setup and _ingest_one) before Django is set up.

__all__ = ["FileOutcome", "ingest_paths"]

logger = logging.getLogger(__name__)

# Files handed to a worker at a time: enough to amortise the inter-process round trip,
# small enough that the workers finish together.
CHUNK_SIZE = 8


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: an :class:`IngestResult`, or why it was not registered.

    ``error`` is set (and ``result`` None) when the raw copy or the batch row could not be
    written (storage or database down): nothing was registered, the caller keeps its file.
    The text names the failure class or the OS error only (never file content).
    """

    path: str
    result: IngestResult | None = None
    error: str = ""
    vanished: bool = False  # the file was gone when its turn came (e.g. another poller took it)


def ingest_paths(
    *, paths: Sequence[str | Path], channel: str, workers: int = 1
) -> Iterator[FileOutcome]:
    """Ingest ``paths`` (in ``workers`` processes when > 1); yields outcomes in input order.

    ``workers=1`` runs in this process, on this process's database connection.
    """
    names = [str(p) for p in paths]
    workers = max(1, min(int(workers), len(names) or 1))
    if workers == 1:
        for name in names:
            yield _ingest_one(name, channel)
        return
    # spawn, not fork: the children set Django up afresh and open their own connections
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_setup
    ) as pool:
        yield from pool.map(
            _ingest_one, names, [channel] * len(names), chunksize=_chunk_size(len(names), workers)
        )


def _chunk_size(count: int, workers: int) -> int:
    return max(1, min(CHUNK_SIZE, count // (workers * 4) or 1))


def _worker_setup() -> None:
    """Runs once in each worker process: Django with the parent's settings module."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edi_platform.settings")
    import django

    django.setup()


def _ingest_one(path: str, channel: str) -> FileOutcome:
    """One file, as ``manage.py ingest`` reports it (errors become an outcome, not a raise)."""
    from .ingest import ingest_path

    try:
        return FileOutcome(path=path, result=ingest_path(path=path, channel=channel))
    except FileNotFoundError:
        return FileOutcome(path=path, error="the file is gone", vanished=True)
    except OSError as exc:
        return FileOutcome(
            path=path, error=f"cannot read or store the file: {exc.strerror or 'I/O error'}"
        )
    except Exception as exc:  # storage or database down: nothing was registered
        # the class only: a database error's text may quote values from the file
        logger.warning("inbound file %s not registered (%s)", Path(path).name, type(exc).__name__)
        return FileOutcome(
            path=path, error=f"not registered ({type(exc).__name__}); try again later"
        )
