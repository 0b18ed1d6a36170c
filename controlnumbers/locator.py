"""Where is the file of an outbound file id? A question controlnumbers asks, outbound answers.

Closing a documented gap needs to know whether the file that numbers were allocated for
really is in outbound storage. That is outbound's knowledge (its storage layout, its file
rows), and controlnumbers sits below outbound, so outbound registers a *file locator* at
start-up (the same inversion as inbound's outcome sink) instead of controlnumbers copying
its layout.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

__all__ = ["FileLocator", "LocatorMissing", "file_locate", "register_file_locator"]

# outbound file id -> the storage path of its file when it is stored (not quarantined), else None
FileLocator = Callable[[uuid.UUID], str | None]

_lock = threading.Lock()
_locator: FileLocator | None = None


class LocatorMissing(RuntimeError):
    """No app registered a file locator (is ``outbound`` installed?)."""


def register_file_locator(fn: FileLocator) -> None:
    """Register the function that finds an outbound file's stored copy (replaces any)."""
    global _locator
    with _lock:
        _locator = fn


def file_locate(*, outbound_file_id: uuid.UUID) -> str | None:
    """The storage path of the outbound file's stored copy, or None when it is not stored."""
    if _locator is None:
        raise LocatorMissing("no file locator registered: outbound files cannot be found")
    return _locator(outbound_file_id)
