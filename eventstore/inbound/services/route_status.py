"""How a routed set's failure is recorded (shared by per-set and bulk routing).

A handler's exception never reaches the header as text unless it is a
:class:`~eventstore.inbound.hooks.RoutingError` (written to be safe to store): any other
exception's text may quote the set's data (PHI), so only its class is kept.
"""

from __future__ import annotations

import logging

from eventstore.inbound.hooks import RoutingError, SetHeader
from eventstore.inbound.models import RoutingStatus, TransactionHeader

from .sql import header_set_routing

__all__ = ["NOT_FOUND", "HandlerFailed", "failure_reason", "mark_failed"]

logger = logging.getLogger("eventstore.inbound.services.routing")

NOT_FOUND = "the transaction set was not found when re-reading the stored file"


class HandlerFailed(Exception):
    """A handler failed inside a single-transaction ingest (which is then rolled back)."""


def failure_reason(exc: Exception) -> str:
    """What a set's FAILED routing says: a :class:`RoutingError`'s own (PHI-free) text,
    else only the exception's class."""
    if isinstance(exc, RoutingError):
        return f"handler failed: {exc}"[:1000]
    return f"handler failed ({type(exc).__name__}); retry with Reprocess"


def mark_failed(header: TransactionHeader | SetHeader, exc: Exception) -> None:
    """Record a set's routing failure (ids in the log, the reason on the header)."""
    logger.warning("inbound header %s (ST01 %s): routing failed", header.pk, header.st01)
    header_set_routing(header.pk, RoutingStatus.FAILED, failure_reason(exc))
