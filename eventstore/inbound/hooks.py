"""Extension points of inbound processing: where owed responses go, who handles which set.

eventstore must not import outbound (dependency direction ``eventstore <- outbound``), so the
outbound app registers an *outcome sink* at start-up, and the rooms that consume transaction
sets (834 -> the ledger, 270 -> the 271 responder, 837 -> claims) register *handlers* by
ST01. Both registries are process-wide and filled from ``AppConfig.ready()``.

A handler receives one :class:`RoutedSet` and returns a short result text (no PHI).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edi_platform.x12.segments import Delimiters, Segment

if TYPE_CHECKING:
    from eventstore.inbound.models import TransactionBatch, TransactionHeader

__all__ = [
    "OutcomeSinkMissing",
    "RoutedSet",
    "RoutingError",
    "handler_for",
    "outcome_sink",
    "register_handler",
    "register_outcome_sink",
    "unregister_handler",
]


@dataclass(frozen=True, slots=True)
class RoutedSet:
    """One accepted transaction set handed to its handler.

    ``fresh_header``: the header row was inserted by the caller's still open transaction
    (nobody else can see it, so the handler need not lock it, and nothing was done for it
    yet); False when it was committed earlier (a reprocess, a large file's routing).
    """

    header: TransactionHeader
    segments: list[Segment]
    delimiters: Delimiters
    fresh_header: bool = False

    @property
    def batch(self) -> TransactionBatch:
        return self.header.batch


Handler = Callable[[RoutedSet], str]

_lock = threading.Lock()
_sink: Callable[..., Any] | None = None
_handlers: dict[str, Handler] = {}


class OutcomeSinkMissing(RuntimeError):
    """No app registered where owed TA1/999 responses go (is ``outbound`` installed?)."""


class RoutingError(Exception):
    """Raised by a handler with a message that is safe to show and store (no PHI).

    Any other exception from a handler is recorded by its class name only, because its text
    may quote data from the transaction set.
    """


def register_outcome_sink(fn: Callable[..., Any]) -> None:
    """Register where owed responses go.

    ``fn(*, batch, partner, response_type, payload, dedupe_key, isa13, gs06, st02s) -> None``
    (``payload``: a JSON-safe dict, or ``bytes`` of JSON already encoded) is called INSIDE
    the transaction that records the batch's final status, so the outcome rows commit (or
    roll back) together with it. Registering again replaces the sink.
    """
    global _sink
    with _lock:
        _sink = fn


def outcome_sink() -> Callable[..., Any]:
    """The registered sink; raises :class:`OutcomeSinkMissing` when there is none."""
    if _sink is None:
        raise OutcomeSinkMissing("no outcome sink registered: owed responses cannot be staged")
    return _sink


def register_handler(st01: str, fn: Handler) -> None:
    """Route ACCEPTED transaction sets with this ST01 (e.g. ``"834"``) to ``fn``.

    ``fn(routed: RoutedSet) -> str`` returns a short routing result (no PHI) and raises on
    failure (:class:`RoutingError` with a message safe to store; anything else is recorded
    by its class only); it runs inside a transaction together with the header's ROUTED
    status. Registering again replaces it.
    """
    with _lock:
        _handlers[str(st01)] = fn


def unregister_handler(st01: str) -> None:
    """Remove the handler for ``st01`` (tests, and apps that are switched off)."""
    with _lock:
        _handlers.pop(str(st01), None)


def handler_for(st01: str) -> Handler | None:
    """The handler registered for ``st01``, or None ("accepted, no handler")."""
    return _handlers.get(st01)
