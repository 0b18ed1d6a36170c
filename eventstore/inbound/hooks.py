"""Extension points of inbound processing: where owed responses go, who handles which set.

eventstore must not import outbound (dependency direction ``eventstore <- outbound``), so the
outbound app registers an *outcome sink* at start-up, and the rooms that consume transaction
sets (834 -> the ledger, 270 -> the 271 responder, 837 -> claims) register *handlers* by
ST01. Both registries are process-wide and filled from ``AppConfig.ready()``.

A handler receives one :class:`RoutedSet` and returns a short result text (no PHI). A
:class:`BulkHandler` (e.g. the 837 claim registry) receives many sets of one batch at once
as :class:`SetText` (the set's text as stored, split by the handler itself) and returns one
result per set: a 100 MB file of 10^5 small sets is routed in a few hundred transactions
instead of 10^5, and without building the engine's segment objects a second time. A bulk
handler may also ask for the sets the 999 rejected (``rejected_sets``), to record them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edi_platform.x12.reader import PADDING
from edi_platform.x12.segments import Delimiters, Segment

if TYPE_CHECKING:
    from eventstore.inbound.models import TransactionBatch, TransactionHeader

__all__ = [
    "BulkHandler",
    "OutcomeSinkMissing",
    "RoutedSet",
    "RoutingError",
    "SetHeader",
    "SetText",
    "handler_for",
    "inbox_folders",
    "outcome_sink",
    "register_handler",
    "register_inbox_folder",
    "register_outcome_sink",
    "unregister_handler",
    "wants_rejected_sets",
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


@dataclass(frozen=True, slots=True)
class SetHeader:
    """The header row of a set handed to a :class:`BulkHandler`: its values, read in bulk
    (10^5 model instances cost more than the handler's own work on a large file)."""

    pk: int
    batch: TransactionBatch
    isa13: str
    gs06: str
    gs08: str
    st01: str
    st02: str
    st03: str
    verdict: str
    error_summary: list[dict[str, Any]]
    start_offset: int

    @property
    def batch_id(self) -> int:
        return self.batch.pk


@dataclass(frozen=True, slots=True)
class SetText:
    """One transaction set handed to a :class:`BulkHandler`: its header's values, its text
    as stored (ST up to and including the SE terminator, decoded like the engine reads it:
    latin-1, one character per byte) and its interchange's delimiters.

    ``accepted``: False when the 999 rejected the set or its functional group (only
    handlers that asked for ``rejected_sets`` get those).
    """

    header: SetHeader
    text: str
    delimiters: Delimiters
    accepted: bool = True

    def segments(self) -> list[list[str]]:
        """The set's segments as element lists (index 0 is the ST, position 1), with the
        line breaks and padding between segments skipped as the engine's reader does."""
        d = self.delimiters
        out = []
        for raw in self.text.split(d.segment):
            seg = raw.lstrip(PADDING)
            if seg:
                out.append(seg.split(d.element))
        return out


@dataclass(frozen=True)
class BulkHandler:
    """A handler of many sets of one batch at once.

    ``handle(sets) -> results`` gets a chunk of at most ``chunk_sets`` sets (and about
    ``chunk_bytes`` of text) of one batch, in file order, inside one transaction with
    their headers' ROUTED status, and returns one short result (no PHI) per set, in order.
    When it raises, the chunk is rolled back and its sets are handed over again one at a
    time, so only a failing set is marked FAILED (its retry: Reprocess). ``rejected_sets``:
    also route the sets the 999 rejected (``SetText.accepted`` False), e.g. to record them.
    """

    handle: Callable[[Sequence[SetText]], list[str]]
    rejected_sets: bool = False
    chunk_sets: int = 2000
    chunk_bytes: int = 4 << 20


Handler = Callable[[RoutedSet], str]

_lock = threading.Lock()
_sink: Callable[..., Any] | None = None
_handlers: dict[str, Handler | BulkHandler] = {}


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


def register_handler(st01: str, fn: Handler | BulkHandler) -> None:
    """Route ACCEPTED transaction sets with this ST01 (e.g. ``"834"``) to ``fn``.

    ``fn(routed: RoutedSet) -> str`` returns a short routing result (no PHI) and raises on
    failure (:class:`RoutingError` with a message safe to store; anything else is recorded
    by its class only); it runs inside a transaction together with the header's ROUTED
    status. A :class:`BulkHandler` gets many sets at once (see there). Registering again
    replaces it.
    """
    with _lock:
        _handlers[str(st01)] = fn


def unregister_handler(st01: str) -> None:
    """Remove the handler for ``st01`` (tests, and apps that are switched off)."""
    with _lock:
        _handlers.pop(str(st01), None)


def handler_for(st01: str) -> Handler | BulkHandler | None:
    """The handler registered for ``st01``, or None ("accepted, no handler")."""
    return _handlers.get(st01)


def wants_rejected_sets(st01: str) -> bool:
    """Whether the handler of ``st01`` also takes the sets the 999 rejected."""
    handler = _handlers.get(st01)
    return isinstance(handler, BulkHandler) and handler.rejected_sets


# -- inbox folders of non-X12 files ---------------------------------------------------------
# A sub-folder of the inbox whose files an upper app imports itself (e.g. the payer's
# adjudication results, ``remittance/``): name -> fn(path) -> (ok, reasons). ``ok`` True
# moves the file to the folder's processed/, False to failed/ with the reasons beside it
# (texts without data), None leaves it for the next poll (e.g. a pair still incomplete).
InboxImporter = Callable[[Any], tuple[bool | None, list[str]]]
_inbox_folders: dict[str, InboxImporter] = {}


def register_inbox_folder(name: str, fn: InboxImporter) -> None:
    """Files dropped in ``INBOUND_INBOX_DIR/<name>/`` are handed to ``fn`` by the poller."""
    with _lock:
        _inbox_folders[name] = fn


def inbox_folders() -> dict[str, InboxImporter]:
    return dict(_inbox_folders)
