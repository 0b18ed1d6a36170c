"""Live progress for long operations (database migration, backups, ingestion runs).

A :class:`ProgressTicker` prints the line its ``render`` callback returns every ``interval``
seconds from a background thread, so a line appears on time even while the main thread
waits on one long statement (an index build at commit, a large COPY batch). The main thread
only updates plain counters that ``render`` reads. Lines carry names, counts and rates only
(never row values). :func:`rate_and_eta` and :func:`format_seconds` shape the numbers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

__all__ = ["ProgressTicker", "format_seconds", "rate_and_eta"]


def rate_and_eta(*, done: float, total: float | None, elapsed: float) -> tuple[float, float | None]:
    """Units per second so far and the seconds left at that rate (None when unknown)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    if total is None or rate <= 0:
        return rate, None
    return rate, max(0.0, (total - done) / rate)


def format_seconds(seconds: float | None) -> str:
    """``"?"``, ``"42s"``, ``"3m05s"``, ``"1h02m"``."""
    if seconds is None:
        return "?"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


class ProgressTicker:
    """Calls ``write(render())`` every ``interval`` seconds while the block runs.

    ``interval <= 0`` disables it (tests, ``--quiet``). ``tick_now()`` prints at once (an
    error, a phase change). A failing ``render`` or ``write`` stops the ticker, never the
    operation.
    """

    def __init__(
        self,
        *,
        render: Callable[[], str],
        write: Callable[[str], None],
        interval: float = 5.0,
    ) -> None:
        self._render = render
        self._write = write
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def tick_now(self) -> None:
        if self._interval <= 0:
            return
        with self._lock:
            try:
                self._write(self._render())
            except Exception:
                self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.tick_now()

    def __enter__(self) -> ProgressTicker:
        self.started = time.monotonic()
        if self._interval > 0:
            self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 1)
