"""Routing to bulk handlers: many sets of one batch per call and per transaction.

A 100 MB 837 holds 10^5 small transaction sets. Routed one set per transaction (lock, call,
status update, commit) that is 10^5 round trips and commits, and reading the file again
with the engine builds 4·10^6 segment objects the handler does not need. For ST01s whose
handler is a :class:`~eventstore.inbound.hooks.BulkHandler`:

1. the stored file is read once, sequentially, in 4 MiB blocks decoded like the engine
   reads them (latin-1); each pending set is cut out as text from its ``start_offset`` to
   the terminator of its SE (or to the next envelope segment when its SE is missing, as in
   some rejected sets), with the delimiters of its interchange (the batch's report);
2. sets are gathered into chunks (the handler's ``chunk_sets`` / ``chunk_bytes``);
3. each chunk is one transaction (a savepoint inside the caller's): the handler gets the
   chunk, then the headers still PENDING are marked ROUTED with their results in one
   statement (a chunk of which a concurrent run routed a set is undone; the batch lease
   keeps that rare, and the handlers' writes are idempotent); when the handler raises,
   the chunk is rolled back and its sets are routed again one at a time, so only a failing
   set is FAILED (reason without data, see :mod:`.route_status`). Inside a
   single-transaction ingest (``isolated`` False) a failure raises
   :class:`~.route_status.HandlerFailed` instead (the caller rolls back and redoes the file
   in two phases).

A crash leaves the sets of unfinished chunks PENDING, never half-routed (a chunk's writes
and its ROUTED statuses commit together): recovery or Reprocess routes them. A set whose
text is not found at its offset is FAILED ("not found"), as in per-set routing.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from django.db import connection, transaction

from edi_platform.core.crash import crash_point
from edi_platform.core.db import hot_cursor
from edi_platform.core.gc_pause import gc_paused
from edi_platform.x12.reader import decode
from edi_platform.x12.segments import Delimiters
from eventstore.inbound.hooks import BulkHandler, SetHeader, SetText, handler_for
from eventstore.inbound.models import RoutingStatus, TransactionBatch, TransactionHeader
from eventstore.inbound.storage import Opener

from .route_status import NOT_FOUND, HandlerFailed, mark_failed
from .sql import headers_set_routed

__all__ = ["as_set_header", "bulk_rows_route", "iter_set_texts", "set_headers"]

logger = logging.getLogger(__name__)

READ_BLOCK = 1 << 22
_ROUTABLE = ("A", "E")
# the header values a bulk handler gets (SetHeader), in its field order after the batch
HEADER_FIELDS = ("isa13", "gs06", "gs08", "st01", "st02", "st03", "verdict", "error_summary")


def set_headers(batch: TransactionBatch, *, st01s: Iterable[str]) -> list[SetHeader]:
    """The PENDING headers of ``batch`` with these ST01s, as values (no model instances).

    Read with a plain cursor (10^5 rows through the ORM cost more than routing them), and
    the error summaries (JSON) only for the sets that have findings (verdict not "A")."""
    pending = TransactionHeader.objects.filter(
        batch=batch, routing_status=RoutingStatus.PENDING, st01__in=sorted(st01s)
    ).order_by("start_offset")
    fields = ("pk", *HEADER_FIELDS[:-1], "start_offset")
    if connection.vendor == "postgresql":
        sql, params = pending.values_list(*fields).query.sql_with_params()
        with hot_cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        rows = list(pending.values_list(*fields))
    flagged = [row[0] for row in rows if row[7] != "A"]
    errors = (
        dict(TransactionHeader.objects.filter(pk__in=flagged).values_list("pk", "error_summary"))
        if flagged
        else {}
    )
    return [
        SetHeader(row[0], batch, *row[1:-1], errors.get(row[0], []), start_offset=row[-1])
        for row in rows
    ]


def as_set_header(header: TransactionHeader, batch: TransactionBatch) -> SetHeader:
    return SetHeader(
        header.pk,
        batch,
        *(getattr(header, name) for name in HEADER_FIELDS),
        start_offset=header.start_offset,
    )


def bulk_rows_route(
    *,
    batch: TransactionBatch,
    opener: Opener,
    rows: Sequence[SetHeader],
    fresh: bool,
    isolated: bool,
) -> int:
    """Route PENDING headers whose ST01 has a bulk handler; returns how many were routed."""
    rows = sorted(rows, key=lambda h: h.start_offset)
    rejected_groups = _rejected_groups(batch)
    pending: dict[str, list[SetText]] = {}
    sizes: dict[str, int] = {}
    routed = 0
    found: set[int] = set()

    def flush(st01: str) -> int:
        chunk = pending.pop(st01, [])
        sizes.pop(st01, None)
        if not chunk:
            return 0
        handler = handler_for(st01)
        assert isinstance(handler, BulkHandler)
        done = _route_chunk(handler, chunk, fresh=fresh, isolated=isolated)
        gc.collect(1)
        if not fresh:
            crash_point("INBOUND_CRASH_AT", "during_routing")
        return done

    # the cyclic collector is paused while chunks are read and handled (the per-set path
    # does the same); young generations are collected between chunks
    with opener() as stream, gc_paused():
        for header, text, delimiters in iter_set_texts(stream, rows, batch.report or {}):
            if text is None:
                continue
            found.add(header.pk)
            handler = handler_for(header.st01)
            if not isinstance(handler, BulkHandler):
                continue  # unregistered meanwhile: left PENDING for the next run
            accepted = header.verdict in _ROUTABLE and (
                (header.isa13, header.gs06) not in rejected_groups
            )
            st01 = header.st01
            pending.setdefault(st01, []).append(
                SetText(header=header, text=text, delimiters=delimiters, accepted=accepted)
            )
            sizes[st01] = sizes.get(st01, 0) + len(text)
            if len(pending[st01]) >= handler.chunk_sets or sizes[st01] >= handler.chunk_bytes:
                routed += flush(st01)
        for st01 in list(pending):  # (the last chunks too: a small file's only chunk)
            routed += flush(st01)
    for header in rows:
        if header.pk not in found:
            TransactionHeader.objects.filter(
                pk=header.pk, routing_status=RoutingStatus.PENDING
            ).update(routing_status=RoutingStatus.FAILED, routing_result=NOT_FOUND)
    return routed


def _route_chunk(handler: BulkHandler, chunk: list[SetText], *, fresh: bool, isolated: bool) -> int:
    if not isolated:
        try:
            results = _call(handler, chunk)
        except Exception as exc:
            raise HandlerFailed from exc
        headers_set_routed([s.header.pk for s in chunk], results)
        return len(chunk)
    try:
        # inside the caller's transaction this is a savepoint: a failure undoes this chunk
        with transaction.atomic():
            if not fresh and len(chunk) == 1:
                chunk = _lock_pending(chunk)  # (a set on its own: locked first, as per set)
                if not chunk:
                    return 0  # routed by a concurrent run
            results = _call(handler, chunk)
            # committed rows: only those still PENDING are marked, and a chunk of which a
            # concurrent run routed any is undone (the batch lease makes that rare)
            marked = headers_set_routed([s.header.pk for s in chunk], results, only_pending=True)
            if marked != len(chunk):
                raise _RoutedMeanwhile(f"{len(chunk) - marked} set(s) routed meanwhile")
        return len(chunk)
    except _RoutedMeanwhile:
        return 0
    except Exception as exc:
        if len(chunk) == 1:
            mark_failed(chunk[0].header, exc)
            return 0
        logger.warning(
            "inbound headers %s..%s (ST01 %s): a chunk of %d sets failed; routing them one by one",
            chunk[0].header.pk,
            chunk[-1].header.pk,
            chunk[0].header.st01,
            len(chunk),
        )
    return sum(_route_chunk(handler, [one], fresh=fresh, isolated=True) for one in chunk)


class _RoutedMeanwhile(Exception):
    pass


def _call(handler: BulkHandler, chunk: Sequence[SetText]) -> list[str]:
    results = [str(r or "routed")[:1000] for r in handler.handle(chunk)]
    if len(results) != len(chunk):
        raise RuntimeError(f"bulk handler returned {len(results)} results for {len(chunk)} sets")
    return results


def _lock_pending(chunk: list[SetText]) -> list[SetText]:
    """The sets of ``chunk`` still PENDING, their header rows locked (one statement)."""
    ids = set(
        TransactionHeader.objects.select_for_update()
        .filter(pk__in=[s.header.pk for s in chunk], routing_status=RoutingStatus.PENDING)
        .values_list("pk", flat=True)
    )
    return [s for s in chunk if s.header.pk in ids]


def _rejected_groups(batch: TransactionBatch) -> set[tuple[str, str]]:
    """(ISA13, GS06) of the functional groups the 999 rejects: a set can be accepted
    (IK5 A) in a group rejected for a group-level reason (AK9 R), and is rejected then."""
    return {
        (str(ic.get("isa13", ""))[:9], str(g.get("gs06", ""))[:9])
        for ic in (batch.report or {}).get("interchanges", [])
        for g in ic.get("groups", [])
        if g.get("ack_code") == "R"
    }


# -- reading the sets' text -------------------------------------------------------------------


def _delimiters_by_offset(report: dict) -> list[tuple[int, Delimiters]]:
    out = []
    for ic in report.get("interchanges", []):
        d = ic.get("delimiters")
        if d:
            out.append((int(ic.get("offset", 0)), Delimiters(**d)))
    return sorted(out, key=lambda pair: pair[0])


_ENDERS: dict[tuple[str, str], re.Pattern[str]] = {}


def _ender(d: Delimiters) -> re.Pattern[str]:
    """Where a set ends: its SE segment with the terminator (group 1), or - when the SE is
    missing - the next envelope segment (the set then ends at the terminator before it)."""
    key = (d.segment, d.element)
    pattern = _ENDERS.get(key)
    if pattern is None:
        t, e = re.escape(d.segment), re.escape(d.element)
        pattern = _ENDERS[key] = re.compile(
            f"{t}[ \\t\\r\\n\\x00]*(?:(SE{e}[^{t}]*{t})|(?:ST|GS|GE|IEA|ISA){e})"
        )
    return pattern


def iter_set_texts(
    stream: BinaryIO,
    headers: Sequence[SetHeader],
    report: dict,
    *,
    block_size: int = READ_BLOCK,
) -> Iterator[tuple[SetHeader, str | None, Delimiters]]:
    """``(header, set text, delimiters)`` for ``headers`` (sorted by ``start_offset``),
    reading ``stream`` once, ``block_size`` bytes at a time; the text is None when no set
    starts at the header's offset (or no interchange precedes it).

    The buffer is never re-sliced per set (a set's text is the only copy made): it is
    compacted only when a new block is read.
    """
    by_offset = _delimiters_by_offset(report)
    buf = ""
    base = 0  # file offset of buf[0]
    eof = False

    def more() -> bool:
        nonlocal buf, base, eof
        if eof:
            return False
        block = stream.read(block_size)
        if not block:
            eof = True
            return False
        buf += decode(block)
        return True

    for header in headers:
        d = _delimiters_for(by_offset, header.start_offset)
        start = header.start_offset
        if d is None:
            yield header, None, Delimiters()
            continue
        if start < base:  # inside a set already cut out (headers are sorted): no set there
            yield header, None, d
            continue
        while base + len(buf) < start + 2:
            if base + len(buf) <= start:  # nothing before this set is needed any more
                base, buf = base + len(buf), ""
            if not more():
                break
        pos = start - base
        if buf[pos : pos + 2] != "ST":
            yield header, None, d
            continue
        pattern = _ender(d)
        search_from = pos
        while True:
            m = pattern.search(buf, search_from)
            if m is not None:
                end = m.end() if m.group(1) else m.start() + len(d.segment)
                break
            # an SE segment is short: a match cut by the block's end starts in its last bytes
            search_from = max(pos, len(buf) - 64)
            if not more():
                end = len(buf)
                break
        yield header, buf[pos:end], d
        if end > block_size:
            # compact once per block consumed (the text before this set's end is done)
            buf, base = buf[end:], base + end


def _delimiters_for(by_offset: list[tuple[int, Delimiters]], offset: int) -> Delimiters | None:
    found = None
    for ic_offset, d in by_offset:
        if ic_offset <= offset:
            found = d
        else:
            break
    return found
