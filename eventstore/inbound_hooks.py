"""Inbound extension points (minimal stand-in written on the ``events`` branch).

The inbound helper owns this module; this version only exists so the 834 handler can register
before the ``inbound`` branch lands, and matches the contract: ``register_outcome_sink``,
``register_handler``, ``handler_for`` (plus ``RoutingError`` for PHI-free failure messages).
At merge the inbound branch's version wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_sink: Callable[..., Any] | None = None
_handlers: dict[str, Callable[..., str]] = {}


class RoutingError(Exception):
    """Raised by a handler with a message safe to store and show (no PHI)."""


def register_outcome_sink(fn: Callable[..., None]) -> None:
    """Register where owed responses are staged (called by outbound at start-up)."""
    global _sink
    _sink = fn


def register_handler(st01: str, fn: Callable[..., str]) -> None:
    """Route accepted transaction sets with this ST01 to ``fn(*, header, segments, delimiters)``."""
    _handlers[str(st01)] = fn


def handler_for(st01: str) -> Callable[..., str] | None:
    """The handler registered for ``st01``, or None."""
    return _handlers.get(st01)
