"""Routing: every accepted transaction set of a batch goes to the handler of its ST01.

The stored file is read again one transaction set at a time (bounded memory); each set
whose header is PENDING is handed to its handler as a :class:`~eventstore.inbound.hooks.RoutedSet`
and its header marked ROUTED in the same transaction (or savepoint). Who owns the rows
decides how:

* rows inserted by the caller's still open transaction (``fresh=True``): nobody else can see
  them, so no lock; inside a single-transaction ingest a failing handler aborts everything
  (:class:`HandlerFailed`: the caller rolls back and redoes the file in two phases);
  otherwise each set runs in a savepoint and a failure marks only that set FAILED;
* committed rows (a reprocess, the routing of a large file): each set is locked and
  re-checked PENDING before its handler runs, in its own transaction.

Sets whose ST01 has a :class:`~eventstore.inbound.hooks.BulkHandler` go through
:mod:`.bulk_routing` instead: many sets per call and per transaction, read as text.

A crash leaves sets PENDING (never half-routed: the handler's writes and the ROUTED status
commit together); Reprocess routes them.
"""

from __future__ import annotations

import gc
import logging
from typing import BinaryIO

from django.db import transaction

from edi_platform import x12
from edi_platform.core.crash import crash_point
from edi_platform.core.gc_pause import gc_paused
from eventstore.inbound.hooks import BulkHandler, Handler, RoutedSet, handler_for
from eventstore.inbound.models import RoutingStatus, TransactionBatch, TransactionHeader
from eventstore.inbound.storage import Opener, raw_open

from .bulk_routing import as_set_header, bulk_rows_route, set_headers
from .plan import NO_HANDLER
from .route_status import NOT_FOUND, HandlerFailed, failure_reason, mark_failed
from .sql import header_set_routing

__all__ = ["HandlerFailed", "batch_route_pending", "failure_reason", "rows_route"]

logger = logging.getLogger(__name__)


def batch_route_pending(*, batch: TransactionBatch, opener: Opener | None = None) -> int:
    """Hand every PENDING accepted set of ``batch`` (committed rows) to its handler; returns
    how many were routed. A failing handler marks only its set FAILED (retry: Reprocess)."""
    st01s = set(
        TransactionHeader.objects.filter(batch=batch, routing_status=RoutingStatus.PENDING)
        .values_list("st01", flat=True)
        .distinct()
    )
    bulk = {st01 for st01 in st01s if isinstance(handler_for(st01), BulkHandler)}
    routed = 0
    if bulk:
        # many small sets: their header values only, no model instance per set
        routed += bulk_rows_route(
            batch=batch,
            opener=_stored_opener(batch, opener),
            rows=set_headers(batch, st01s=bulk),
            fresh=False,
            isolated=True,
        )
    pending = list(
        TransactionHeader.objects.filter(batch=batch, routing_status=RoutingStatus.PENDING)
        .exclude(st01__in=bulk)
        .order_by("id")
    )
    return routed + rows_route(batch=batch, opener=opener, rows=pending, fresh=False, isolated=True)


def _stored_opener(batch: TransactionBatch, opener: Opener | None) -> Opener:
    if opener is not None:
        return opener
    stored = batch.storage_path

    def open_stored() -> BinaryIO:
        return raw_open(stored)

    return open_stored


def rows_route(
    *,
    batch: TransactionBatch,
    opener: Opener | None,
    rows: list[TransactionHeader],
    fresh: bool,
    isolated: bool,
) -> int:
    """Route ``rows`` (PENDING headers of ``batch``); returns how many were routed.

    ``fresh``: the rows were inserted by the caller's still open transaction. ``isolated``:
    each set in its own savepoint/transaction, a failure marks it FAILED; not isolated
    (only with ``fresh``): a failure raises :class:`HandlerFailed`.
    """
    opener = _stored_opener(batch, opener)
    bulk = [h for h in rows if isinstance(handler_for(h.st01), BulkHandler)]
    routed = 0
    if bulk:
        routed += bulk_rows_route(
            batch=batch,
            opener=opener,
            rows=[as_set_header(h, batch) for h in bulk],
            fresh=fresh,
            isolated=isolated,
        )
        taken = {h.pk for h in bulk}
        rows = [h for h in rows if h.pk not in taken]
    pending = {h.start_offset: h for h in rows}
    if not pending:
        return routed

    delimiters = {
        ic.get("offset", 0): ic.get("delimiters")
        for ic in (batch.report or {}).get("interchanges", [])
    }
    # The cyclic collector is paused while sets are read and handled (a large 834 set spent
    # more time in collections than in reading and mapping); the young generations are
    # collected between sets now and then, so the garbage of many small sets stays bounded
    # (a young collection only scans what was allocated since the last one).
    with opener() as stream, gc_paused():
        for count, (isa, _group, tset) in enumerate(x12.iter_transaction_sets(stream), 1):
            if count % 1000 == 0:
                gc.collect(1)
            header = pending.pop(tset.segments[0].offset, None)  # (a set starts with its ST)
            if header is None:
                continue
            d = delimiters.get(isa.offset) or {}
            routed += _route_one(
                header,
                tset.segments,
                x12.Delimiters(**d),
                batch=batch,
                fresh=fresh,
                isolated=isolated,
            )
            if not fresh:
                crash_point("INBOUND_CRASH_AT", "during_routing")
            if not pending:
                break
    for header in pending.values():
        TransactionHeader.objects.filter(pk=header.pk, routing_status=RoutingStatus.PENDING).update(
            routing_status=RoutingStatus.FAILED, routing_result=NOT_FOUND
        )
    return routed


def _route_one(
    header: TransactionHeader,
    segments: list[x12.Segment],
    delimiters: x12.Delimiters,
    *,
    batch: TransactionBatch,
    fresh: bool,
    isolated: bool,
) -> int:
    fn = handler_for(header.st01)
    if fn is None:
        header_set_routing(header.pk, RoutingStatus.NO_HANDLER, NO_HANDLER)
        return 0
    # handlers read the batch (stored path, partner): hand them the instance already in
    # memory instead of two lazy queries per set
    if not isolated:
        header.batch = batch
        try:
            result = _call(fn, header, segments, delimiters, fresh=True)
        except Exception as exc:
            raise HandlerFailed from exc
        _mark_routed(header, result)
        return 1
    try:
        # inside the caller's transaction this is a savepoint: a failure undoes this set only
        with transaction.atomic():
            if fresh:
                locked = header  # inserted by this transaction: nobody else can route it
            else:
                locked = TransactionHeader.objects.select_for_update().get(pk=header.pk)
                if locked.routing_status != RoutingStatus.PENDING:
                    return 0  # routed by a concurrent run
            locked.batch = batch
            result = _call(fn, locked, segments, delimiters, fresh=fresh)
            _mark_routed(locked, result)
        return 1
    except Exception as exc:
        mark_failed(header, exc)
    return 0


def _call(
    fn: Handler,
    header: TransactionHeader,
    segments: list[x12.Segment],
    delimiters: x12.Delimiters,
    *,
    fresh: bool,
) -> str:
    return fn(
        RoutedSet(header=header, segments=segments, delimiters=delimiters, fresh_header=fresh)
    )


def _mark_routed(header: TransactionHeader, result: str | None) -> None:
    header.routing_status = RoutingStatus.ROUTED
    header.routing_result = str(result or "routed")[:1000]
    header_set_routing(header.pk, header.routing_status, header.routing_result)
