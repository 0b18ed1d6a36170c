"""Logging an unexpected exception without its message.

An exception's text may quote the data that caused it (``int("DOE")`` says ``'DOE'``; a
database error quotes the row or the JSON it refused), and inbound data carries PHI. Where
such an exception is logged, log :func:`exception_summary` instead of the traceback: the
class and the frames (file, line, function) that raised it, which is what a developer needs
to find the bug, and never the message.
"""

from __future__ import annotations

import traceback
from pathlib import Path

__all__ = ["exception_summary"]

MAX_FRAMES = 8


def exception_summary(exc: BaseException) -> str:
    """``"ValueError at walker.py:412 in _element <- walker.py:380 in run ..."``: the class
    and the innermost frames (innermost first), without the exception's message."""
    frames = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames))
    cause = exc.__cause__ or exc.__context__
    text = f"{type(exc).__name__} at {where}" if where else type(exc).__name__
    if cause is not None and cause is not exc:
        text += f" (from {type(cause).__name__})"
    return text
