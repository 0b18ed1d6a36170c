"""The one ingest service: register a received file, validate it, stage acks, route its sets.

Used by ``manage.py ingest``, the admin upload form and the inbox polling task (and by
``batch_reprocess``). Steps, each in its own short transaction or none:

1. one streaming pass: sha256, size and the first bytes (ISA: sender, ISA13);
2. the raw bytes are stored (``inbound`` storage) BEFORE any row exists, so a registered batch
   always has its file; the name embeds the sha256, so a second copy is never written;
3. the batch row is inserted; ``sha256`` is unique, so of two processes ingesting the same
   bytes at once exactly one inserts, the other gets the existing batch ("already received");
4. sender identification (ISA05/06 -> partner), duplicate ISA13 check, validation with the
   x12 engine (streaming, outside any transaction);
5. ONE transaction: transaction headers, owed TA1/999 outcomes (through the outcome sink
   registered by outbound) and the batch's final status;
6. routing of accepted sets to handlers by ST01, one short transaction per set.

Nothing here raises on bad input: bad files end as REJECTED batches with an operator-readable
reason. Logs and stored reasons carry ids, codes and positions only (never PHI).
"""

from __future__ import annotations

import functools
import gc
import inspect
import io
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from edi_platform import x12
from edi_platform.core.db import hot_cursor, insert_unless_exists_sql
from edi_platform.core.gc_pause import gc_paused
from edi_platform.core.logsafe import exception_summary
from edi_platform.partners.models import Ta1Policy, TradingPartner
from edi_platform.partners.selectors import our_isa_ids, partner_by_sender
from edi_platform.x12 import codes as x12_codes
from edi_platform.x12 import reader as x12_reader
from edi_platform.x12.report import SetList
from eventstore.inbound_hooks import RoutingError, handler_for, outcome_sink
from eventstore.models import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)

from .storage import Fingerprint, Opener, fingerprint, raw_open, raw_path, raw_store

__all__ = [
    "NOT_OK_STATUSES",
    "IngestResult",
    "batch_process",
    "batch_route_pending",
    "ingest_bytes",
    "ingest_path",
    "ingest_stream",
    "ingest_upload",
]

logger = logging.getLogger(__name__)

DEFAULT_DUPLICATE_WINDOW_DAYS = 365
MAX_ERRORS_PER_SET = 50  # the 999 payload has them all; the admin shows the first ones
MAX_REPORT_ISSUES = 50
HEADER_BULK_SIZE = 2000
# Up to this many sets, headers go in with one INSERT ... RETURNING (ids known: routing skips
# a SELECT); above it COPY is faster and routing selects the PENDING rows back.
HEADER_RETURNING_MAX = 50
# Files up to this size are registered and processed in one transaction (PostgreSQL); see
# single_transaction_max_bytes().
DEFAULT_SINGLE_TRANSACTION_MAX_BYTES = 1 << 20
# A file that ends in one of these was not accepted: the command exits with 1 (RECEIVED only
# when this call's processing was interrupted; see IngestResult.ok).
NOT_OK_STATUSES = frozenset(
    {
        BatchStatus.RECEIVED,
        BatchStatus.REJECTED,
        BatchStatus.DUPLICATE,
        BatchStatus.UNKNOWN_PARTNER,
    }
)
_ROUTABLE_SET_CODES = ("A", "E")
_LOOKUP = object()  # batch_process: "find the partner from the ISA" (None means "no partner")


@dataclass(frozen=True)
class IngestResult:
    """The outcome of ingesting one file (what the command prints, per file)."""

    file: str
    batch: int | None
    status: str
    already_received: bool = False
    reason: str = ""
    partner: str = ""
    sets_accepted: int = 0
    sets_rejected: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was registered and not rejected.

        A batch RECEIVED by *this* call means its processing was interrupted (not ok); one
        found RECEIVED as already received is being processed by another process (ok).
        """
        if self.batch is None:
            return False
        if self.status == BatchStatus.RECEIVED:
            return self.already_received
        return self.status not in NOT_OK_STATUSES

    @property
    def message(self) -> str:
        """One line for people: "accepted as batch 12", "already received as batch 12"."""
        if self.batch is None:
            return f"not registered: {self.reason}"
        label = BatchStatus(self.status).label if self.status in BatchStatus else self.status
        if self.status == BatchStatus.RECEIVED:
            label = "Still being processed" if self.already_received else "Interrupted"
        if self.already_received:
            text = f"already received as batch {self.batch} ({label.lower()})"
        else:
            text = f"{label.lower()} as batch {self.batch}"
        return f"{text}: {self.reason}" if self.reason and not self.ok else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (``manage.py ingest --format json``)."""
        return asdict(self)

    @classmethod
    def from_batch(cls, batch: TransactionBatch, *, file: str, already: bool) -> IngestResult:
        return cls(
            file=file,
            batch=batch.pk,
            status=batch.status,
            already_received=already,
            reason=batch.status_reason,
            partner=batch.partner.code if batch.partner_id else "",
            sets_accepted=batch.sets_accepted,
            sets_rejected=batch.sets_rejected,
        )


# -- entry points --------------------------------------------------------------------------


def ingest_path(
    *, path: str | Path, channel: str = BatchChannel.COMMAND, original_name: str | None = None
) -> IngestResult:
    """Ingest one file from the local file system (command, inbox)."""
    file_path = Path(path)
    return ingest_stream(
        opener=lambda: open(file_path, "rb"),
        original_name=original_name or file_path.name,
        channel=channel,
        display_name=str(path),
    )


def ingest_bytes(
    *, data: bytes, original_name: str, channel: str = BatchChannel.UPLOAD
) -> IngestResult:
    """Ingest bytes already in memory (small uploads, tests)."""
    return ingest_stream(
        opener=lambda: io.BytesIO(data), original_name=original_name, channel=channel
    )


def ingest_upload(*, upload: Any, channel: str = BatchChannel.UPLOAD) -> IngestResult:
    """Ingest a Django ``UploadedFile`` (admin upload form); large uploads stay on disk."""
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        path = temporary_path()
        return ingest_stream(
            opener=lambda: open(path, "rb"), original_name=upload.name, channel=channel
        )
    upload.seek(0)
    data = upload.read()
    return ingest_bytes(data=data, original_name=upload.name, channel=channel)


def ingest_stream(
    *, opener: Opener, original_name: str, channel: str, display_name: str | None = None
) -> IngestResult:
    """Ingest a source that ``opener()`` opens afresh as a binary stream for each pass.

    Returns the existing batch (``already_received=True``) when the same bytes were received
    before. Raises only when the raw copy or the batch row cannot be written (storage or
    database down): then nothing was registered and the caller keeps its file.
    """
    started = time.monotonic()
    shown = display_name or original_name
    print_name = original_name.replace("\x00", "")[:255] or "unnamed"
    fp = fingerprint(opener)
    head = peek_isa(fp.head)
    if fp.size <= single_transaction_max_bytes() and connection.vendor == "postgresql":
        result = _ingest_in_one_transaction(
            opener=opener,
            fp=fp,
            head=head,
            name=print_name,
            shown=shown,
            channel=channel,
            started=started,
        )
        if result is not None:
            return result
    registered_id, partner = _registered_and_partner(fp.sha256, head)
    if registered_id is not None:
        existing = TransactionBatch.objects.select_related("partner").get(sha256=fp.sha256)
        return IngestResult.from_batch(existing, file=shown, already=True)

    received_at = timezone.now()
    path = raw_path(
        partner_code=partner.code if partner else None,
        received_at=received_at,
        sha256=fp.sha256,
        name=print_name,
    )
    raw_store(opener=opener, path=path)  # before the row: a batch always has its file

    batch = TransactionBatch(
        original_name=print_name,
        partner=partner,
        sha256=fp.sha256,
        size=fp.size,
        storage_path=path,
        received_at=received_at,
        channel=channel if channel in BatchChannel.values else BatchChannel.SYSTEM,
        status=BatchStatus.RECEIVED,
        **(head.batch_fields() if head else {}),
    )
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint keeps the caller's transaction usable
                batch.save(force_insert=True)
        else:
            batch.save(force_insert=True)  # one statement: atomic on its own
    except IntegrityError:
        # another process registered the same bytes a moment ago: it owns the processing
        winner = TransactionBatch.objects.select_related("partner").get(sha256=fp.sha256)
        return IngestResult.from_batch(winner, file=shown, already=True)
    logger.info("inbound batch %s registered (channel %s, %d bytes)", batch.pk, channel, fp.size)

    batch = batch_process(batch=batch, opener=opener, head=head, partner=partner, started=started)
    return IngestResult.from_batch(batch, file=shown, already=False)


def _registered_and_partner(
    sha256: str, head: IsaHead | None
) -> tuple[int | None, TradingPartner | None]:
    """(id of the batch with these bytes or None, the sender's partner or None).

    One round trip in the usual case (a known sender): the sha256 check rides on the partner
    query as a subquery. Same lookup as ``partner_by_sender`` (ISA06 padding ignored; the
    pair is unique). An unknown or unidentified sender costs a second, plain query. Plain
    SQL with the model's own converters: this runs for every file and the ORM's query
    compilation cost more than the query.
    """
    if head is None or not head.sender_identified:
        return _batch_id_for(sha256), None
    sql, load = _partner_lookup()
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, [sha256, head.sender_qualifier.strip(), head.sender_id.strip()])
        row = cursor.fetchone()
    if row is None:
        return _batch_id_for(sha256), None
    return row[0], load(row[1:])


_SQL_CACHE: dict[tuple[str, str], Any] = {}


def _partner_lookup() -> tuple[str, Callable[[Iterable[Any]], TradingPartner]]:
    """(SQL, row loader) of the partner + sha256 lookup, built once per database vendor."""
    key = ("partner", connection.vendor)
    cached = _SQL_CACHE.get(key)
    if cached is None:
        meta = TradingPartner._meta
        quote = connection.ops.quote_name
        fields = list(meta.concrete_fields)
        columns = ", ".join(f"p.{quote(f.column)}" for f in fields)
        batches = quote(TransactionBatch._meta.db_table)
        sql = (
            f"SELECT (SELECT b.id FROM {batches} b WHERE b.sha256 = %s), {columns} "
            f"FROM {quote(meta.db_table)} p "
            f"WHERE p.{quote(meta.get_field('their_isa_qualifier').column)} = %s "
            f"AND p.{quote(meta.get_field('their_isa_id').column)} = %s LIMIT 1"
        )
        cached = _SQL_CACHE[key] = (sql, _row_loader(TradingPartner, fields))
    return cached


def _row_loader(model: Any, fields: list[Any]) -> Callable[[Iterable[Any]], Any]:
    """A function turning a row of ``fields`` columns into a model instance (as the ORM would:
    the backend's and the fields' converters applied, ``from_db`` called)."""
    attnames = [f.attname for f in fields]
    converting = []
    for index, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if converters:
            converting.append((index, converters, col))

    def load(row: Iterable[Any]) -> Any:
        values = list(row)
        for index, converters, col in converting:
            for convert in converters:
                values[index] = convert(values[index], col, connection)
        return model.from_db(connection.alias, attnames, values)

    return load


def _batch_id_for(sha256: str) -> int | None:
    """The id of the batch with these bytes (plain SQL: this runs for every file)."""
    table = connection.ops.quote_name(TransactionBatch._meta.db_table)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE sha256 = %s", [sha256])
        row = cursor.fetchone()
    return None if row is None else row[0]


# -- one transaction per small file -------------------------------------------------------


def single_transaction_max_bytes() -> int:
    """``INBOUND_SINGLE_TRANSACTION_MAX_BYTES`` (default 1 MiB; 0 turns the path off).

    Files up to this size are registered and processed in ONE transaction (PostgreSQL);
    larger ones commit their RECEIVED batch first, so it is visible while they are processed.
    """
    return int(
        getattr(
            settings, "INBOUND_SINGLE_TRANSACTION_MAX_BYTES", DEFAULT_SINGLE_TRANSACTION_MAX_BYTES
        )
    )


class _HandlerFailed(Exception):
    """A routing handler failed inside the single transaction (which is then rolled back)."""


def _ingest_in_one_transaction(
    *,
    opener: Opener,
    fp: Fingerprint,
    head: IsaHead | None,
    name: str,
    shown: str,
    channel: str,
    started: float,
) -> IngestResult | None:
    """Register, validate, stage the acks, record the final status and route, all in ONE
    transaction: one commit (one WAL flush) per small file instead of two or three.

    Crash semantics: the raw copy is stored (fsynced) before the transaction commits (a
    helper thread writes it while this one works; the commit waits for it), so a committed
    batch always has its file; a crash before the commit leaves at most the stored copy and
    no row, so the caller still has its file and ingesting it again (the same day) finds the
    copy, stores nothing new and registers it. The batch INSERT uses
    ``ON CONFLICT (sha256) DO NOTHING``: a second process ingesting the same bytes waits on
    the unique index until the first commits and then reports "already received". The
    partner + ISA13 lock taken with the INSERT (see :func:`_isa13_lock_key`) makes a file
    with the same ISA13 wait for this transaction before its duplicate check, since it cannot
    see this uncommitted batch.

    Returns None when the attempt was rolled back (a handler failed, the outcome sink is
    missing, anything unexpected): nothing of it is committed and the caller runs the
    two-phase path, which records handler failures (set FAILED, batch committed) and
    interruptions (batch RECEIVED with the reason) as before.
    """
    batch: TransactionBatch | None = None
    try:
        with transaction.atomic():
            candidate = TransactionBatch(
                original_name=name,
                sha256=fp.sha256,
                size=fp.size,
                received_at=timezone.now(),
                channel=channel if channel in BatchChannel.values else BatchChannel.SYSTEM,
                status=BatchStatus.RECEIVED,
                **(head.batch_fields() if head else {}),
            )
            inserted, partner = _insert_fresh_batch(candidate, head)
            if inserted:
                # The copy is written (and fsynced) by a helper thread while this one
                # processes the file; it is waited for before the commit, so the raw copy
                # is durable before the row is visible, and a storage error rolls
                # everything back. Nothing is stored for bytes already registered.
                stored = _in_background(raw_store, opener=opener, path=candidate.storage_path)
                try:
                    locked = _isa13_lock_key(partner, candidate.isa13) is not None
                    plan = _plan(
                        batch=candidate,
                        opener=opener,
                        head=head,
                        partner=partner,
                        isa13_locked=locked,
                        defer_duplicate_check=locked,
                    )
                    batch = _finish(
                        batch=candidate, plan=plan, started=started, opener=opener, fresh=True
                    )
                finally:
                    stored.result()  # raises the storage error, if any: nothing commits
    except _HandlerFailed:
        logger.info("inbound file: a handler failed; processing it again in two phases")
        return None
    except Exception as exc:
        logger.warning(
            "inbound file: single-transaction processing rolled back (%s); two phases",
            type(exc).__name__,
        )
        return None
    if batch is None:  # already registered, maybe by a concurrent process a moment ago
        existing = TransactionBatch.objects.select_related("partner").get(sha256=fp.sha256)
        return IngestResult.from_batch(existing, file=shown, already=True)
    logger.info(
        "inbound batch %s registered and processed (channel %s, %d bytes)",
        batch.pk,
        channel,
        fp.size,
    )
    return IngestResult.from_batch(batch, file=shown, already=False)


_background: tuple[int, ThreadPoolExecutor] | None = None


def _in_background(fn: Callable[..., Any], **kwargs: Any) -> Future[Any]:
    """Run ``fn(**kwargs)`` in this process's helper thread (created on first use, and again
    after a fork: a forked child does not inherit the parent's threads)."""
    global _background
    pid = os.getpid()
    if _background is None or _background[0] != pid:
        _background = (pid, ThreadPoolExecutor(max_workers=2, thread_name_prefix="raw-store"))
    return _background[1].submit(fn, **kwargs)


def _insert_fresh_batch(
    batch: TransactionBatch, head: IsaHead | None
) -> tuple[bool, TradingPartner | None]:
    """Insert the RECEIVED row of the single-transaction path; returns (inserted, partner).

    A known sender costs ONE statement: the partner lookup (ISA05/ISA06, as
    ``partner_by_sender``), the INSERT (``partner_id`` and the storage path's
    ``partner=<code>`` taken from the partner row), ``ON CONFLICT (sha256) DO NOTHING``
    (False: these bytes are registered, maybe by a concurrent process that was waited for)
    and the (partner, ISA13) lock once the row is in. Without a partner: a plain INSERT.
    Sets ``batch.partner``, ``batch.storage_path`` and, when inserted, ``batch.pk``.
    """
    marker = "\x00"
    template = raw_path(
        partner_code=marker,
        received_at=batch.received_at,
        sha256=batch.sha256,
        name=batch.original_name,
    )
    prefix, suffix = template.split(marker)
    if head is not None and head.sender_identified:
        sql, fields, load = _sender_insert_sql()
        params: list[Any] = [head.sender_qualifier.strip(), head.sender_id.strip()]
        for f in fields:
            if f.attname == "storage_path":
                params += [prefix, suffix]
            elif f.attname != "partner_id":
                params.append(f.get_db_prep_save(f.pre_save(batch, add=True), connection))
        valid = _is_isa13(batch.isa13)
        params += [valid, int(batch.isa13) if valid else 0]
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None:
            partner = load(row[2:])
            batch.partner = partner
            batch.storage_path = f"{prefix}{partner.code}{suffix}"
            if row[0] is None:
                return False, partner
            batch.pk = row[0]
            batch._state.adding = False
            batch._state.db = connection.alias
            return True, partner
    batch.storage_path = raw_path(
        partner_code=None,
        received_at=batch.received_at,
        sha256=batch.sha256,
        name=batch.original_name,
    )
    return _insert_batch(batch, lock_key=None), None


def _sender_insert_sql() -> tuple[str, list[Any], Callable[[Iterable[Any]], TradingPartner]]:
    """SQL, batch fields and partner row loader of :func:`_insert_fresh_batch`."""
    key = ("sender-insert", connection.vendor)
    cached = _SQL_CACHE.get(key)
    if cached is None:
        quote = connection.ops.quote_name
        pmeta, bmeta = TradingPartner._meta, TransactionBatch._meta
        pfields = list(pmeta.concrete_fields)
        fields = [f for f in bmeta.concrete_fields if not f.primary_key]
        values = []
        for f in fields:
            if f.attname == "partner_id":
                values.append("p.id")
            elif f.attname == "storage_path":
                values.append("CAST(%s AS text) || p.code || CAST(%s AS text)")
            else:  # typed: a NULL parameter must not arrive as text
                values.append(f"CAST(%s AS {f.cast_db_type(connection)})")
        pcols = ", ".join(quote(f.column) for f in pfields)
        sql = (
            f"WITH p AS (SELECT {pcols} FROM {quote(pmeta.db_table)} "
            f"WHERE {quote(pmeta.get_field('their_isa_qualifier').column)} = %s "
            f"AND {quote(pmeta.get_field('their_isa_id').column)} = %s LIMIT 1), "
            f"ins AS (INSERT INTO {quote(bmeta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) SELECT {', '.join(values)} FROM p "
            f"ON CONFLICT ({quote(bmeta.get_field('sha256').column)}) DO NOTHING "
            f"RETURNING {quote(bmeta.pk.column)}) "
            # the lock (see _isa13_lock_key) once the row is in: EXISTS reads the INSERT
            "SELECT (SELECT id FROM ins), CASE WHEN %s AND p.active AND EXISTS "
            "(SELECT 1 FROM ins) THEN pg_advisory_xact_lock(p.id * 1000000000 + %s) END IS NULL, "
            f"{', '.join('p.' + quote(f.column) for f in pfields)} FROM p"
        )
        cached = _SQL_CACHE[key] = (sql, fields, _row_loader(TradingPartner, pfields))
    return cached


def _isa13_lock_key(partner: TradingPartner | None, isa13: str) -> int | None:
    """Advisory-lock key of (partner, ISA13): partner id * 10^9 + ISA13 (9 digits), or None
    when no duplicate check will run (no active partner, no valid ISA13, not PostgreSQL).

    The holder is a transaction whose batch with this ISA13 is not committed yet; whoever
    checks the same pair for duplicates takes the lock first, so it waits for that commit
    and then sees the batch (READ COMMITTED: each statement sees what committed before it).
    """
    if (
        partner is None
        or not partner.active
        or not _is_isa13(isa13)
        or connection.vendor != "postgresql"
    ):
        return None
    return partner.pk * 1_000_000_000 + int(isa13)


def _lock_isa13(key: int) -> None:
    """Wait for (and take, until this transaction ends) the ISA13 lock of ``key``."""
    with hot_cursor(prepare=True) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _insert_batch(batch: TransactionBatch, *, lock_key: int | None) -> bool:
    """``INSERT ... ON CONFLICT (sha256) DO NOTHING RETURNING id`` (+ the ISA13 lock).

    Returns False when a batch with these bytes exists (committed by another process; an
    uncommitted one is waited for). Sets ``batch.pk`` when inserted.
    """
    sql, fields = _batch_insert_sql(with_lock=lock_key is not None)
    params = [f.get_db_prep_save(f.pre_save(batch, add=True), connection) for f in fields]
    if lock_key is not None:
        params.append(lock_key)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    batch.pk = row[0]
    batch._state.adding = False
    batch._state.db = connection.alias
    return True


def _batch_insert_sql(*, with_lock: bool) -> tuple[str, list[Any]]:
    sql, fields = insert_unless_exists_sql(TransactionBatch, "sha256")
    if with_lock:
        # the lock is taken right after the row is in (a data-modifying CTE runs whatever
        # the outer query reads; the outer SELECT calls the lock once per row)
        sql = f"WITH ins AS ({sql}) SELECT ins.id, pg_advisory_xact_lock(%s) FROM ins"
    return sql, fields


# -- the ISA head --------------------------------------------------------------------------


@dataclass(frozen=True)
class IsaHead:
    """ISA fields read tolerantly from the first bytes (also from an ISA of the wrong width)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    control_number: str
    usage: str

    @property
    def sender_identified(self) -> bool:
        return bool(self.sender_qualifier and self.sender_id)

    def batch_fields(self) -> dict[str, str]:
        """Values for the batch row, cut to the column widths (a broken ISA may be longer)."""
        isa13 = self.control_number if _is_isa13(self.control_number) else ""
        return {
            "sender_qualifier": self.sender_qualifier[:2],
            "sender_id": self.sender_id[:15],
            "receiver_qualifier": self.receiver_qualifier[:2],
            "receiver_id": self.receiver_id[:15],
            "isa13": isa13,
            "isa09": self.date[:6],
            "isa10": self.time[:4],
            "usage_indicator": self.usage[:1],
        }


def _is_isa13(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value.isdigit()


def peek_isa(head: bytes) -> IsaHead | None:
    """The sender and control facts of the first ISA, or None when there is no usable ISA.

    Splits on the element separator (the 4th character) rather than fixed columns, so an ISA
    with a wrong element width still names its sender (the TA1 can then be addressed).
    """
    text = x12_reader.decode(head).lstrip(x12_reader.PADDING)
    if not text.startswith("ISA") or len(text) < 4:
        return None
    sep = text[3]
    if sep.isalnum() or sep in " \r\n":
        return None
    parts = text[:600].split(sep, 16)
    if len(parts) < 8:
        return None  # ISA06 is complete only when the separator after it was received
    values = [p.strip() for p in parts[1:16]]
    if any("\n" in v or "\r" in v for v in values[:6]):
        return None  # a segment break inside the ISA: not a usable header
    values += [""] * (15 - len(values))  # a cut-off ISA: what is missing stays empty
    if len(parts) < 16:
        values[-1] = ""  # ISA15 and anything after a cut are not trustworthy
    return IsaHead(
        sender_qualifier=values[4],
        sender_id=values[5],
        receiver_qualifier=values[6],
        receiver_id=values[7],
        date=values[8],
        time=values[9],
        control_number=values[12],
        usage=values[14],
    )


def _partner_for(head: IsaHead | None) -> TradingPartner | None:
    if head is None or not head.sender_identified:
        return None
    return partner_by_sender(qualifier=head.sender_qualifier, sender_id=head.sender_id)


# -- processing ----------------------------------------------------------------------------


_HeaderSpec = tuple[str, x12.GroupHeader, x12.SetReport, str]


class _SetHeaders:
    """The transaction-set headers a plan writes, kept per functional group.

    Each group keeps the engine's compact set list (about 100 bytes per clean set); the
    (ISA13, group header, set report, routing status) of a set is built when iterated. A
    100 MB 837 with 10^5 sets held 10^5 report objects and tuples here (about 45 MB).
    """

    __slots__ = ("_count", "_groups", "_handlers")

    def __init__(self) -> None:
        self._groups: list[tuple[str, x12.GroupHeader, SetList, bool]] = []
        self._count = 0
        self._handlers: dict[str, bool] = {}

    def add(self, isa13: str, gh: x12.GroupHeader, sets: SetList, accepted: bool) -> None:
        """Add a group's sets; ``accepted``: the group is, so its accepted sets are routed."""
        self._groups.append((isa13, gh, sets, accepted))
        self._count += len(sets)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[_HeaderSpec]:
        status = self._status
        for isa13, gh, sets, accepted in self._groups:
            for s in sets:
                yield isa13, gh, s, status(accepted, s)

    def any_pending(self) -> bool:
        """Whether some set is accepted and has a handler (is routed)."""
        return any(
            accepted
            and any(self._has_handler(st01) for st01 in sets.ids())
            and any(self._status(True, s) == RoutingStatus.PENDING for s in sets)
            for _, _, sets, accepted in self._groups
        )

    def _status(self, accepted: bool, s: x12.SetReport) -> str:
        if not accepted or s.ack_code not in _ROUTABLE_SET_CODES:
            return RoutingStatus.NOT_ROUTED
        return RoutingStatus.PENDING if self._has_handler(s.id) else RoutingStatus.NO_HANDLER

    def _has_handler(self, st01: str) -> bool:
        known = self._handlers.get(st01)
        if known is None:
            known = self._handlers[st01] = handler_for(st01) is not None
        return known


@dataclass
class _Outcome:
    partner: TradingPartner
    response_type: str
    payload: dict[str, Any] | bytes  # bytes: JSON already encoded (a 999, see ack_999_json)
    dedupe_key: str
    isa13: str
    gs06: str = ""
    st02s: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """Everything the final transaction writes."""

    status: str
    reason: str = ""
    # the header rows to write (iterated as (ISA13, group header, set report, routing
    # status)): built while they are written, so 10^5 sets never become 10^5 objects at once
    headers: _SetHeaders = field(default_factory=lambda: _SetHeaders())
    outcomes: list[_Outcome] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    groups_accepted: int = 0
    groups_rejected: int = 0
    sets_accepted: int = 0
    sets_rejected: int = 0
    segment_count: int = 0
    partner: TradingPartner | None = None
    duplicate_of: TransactionBatch | None = None
    # the PENDING header rows _finish inserted with their ids (small files only), so routing
    # need not select them again; None: routing looks them up
    pending_rows: list[TransactionHeader] | None = None
    routed: bool = False  # the pending sets were routed inside the final transaction
    # (partner, ISA13, now) when _plan left the duplicate check of the first ISA13 to
    # _finish (single-transaction path); None when it was done
    duplicate_check: tuple[TradingPartner, str, datetime] | None = None


def duplicate_window_days() -> int:
    """``INBOUND_DUPLICATE_WINDOW_DAYS`` (default 365): how far back an ISA13 counts."""
    return int(getattr(settings, "INBOUND_DUPLICATE_WINDOW_DAYS", DEFAULT_DUPLICATE_WINDOW_DAYS))


def find_duplicate(
    *, partner: TradingPartner, isa13: str, exclude_batch_id: int | None, now: datetime
) -> TransactionBatch | None:
    """The batch of this partner that already brought this ISA13 (inside the window), if any.

    Originals are other batches that were answered or are being answered: not DUPLICATE
    (those point at their original) and not UNKNOWN_PARTNER (never processed). A batch still
    RECEIVED counts only when it is older (lower id): of two files with the same ISA13
    registered at the same moment, the first is processed and the second is the duplicate,
    never both.
    """
    if not isa13:
        return None
    sql, params = _duplicate_query(
        partner_id=partner.pk, isa13=isa13, exclude_batch_id=exclude_batch_id, now=now
    )
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else TransactionBatch.objects.get(pk=row[0])


def _duplicate_query(
    *, partner_id: int, isa13: str, exclude_batch_id: int | None, now: datetime
) -> tuple[str, list[Any]]:
    """SQL and parameters of :func:`find_duplicate` (plain SQL: it runs for every file)."""
    since = now - timedelta(days=duplicate_window_days())
    table = connection.ops.quote_name(TransactionBatch._meta.db_table)
    sql = (
        f"SELECT id FROM {table} WHERE partner_id = %s AND isa13 = %s AND received_at >= %s "
        "AND status NOT IN (%s, %s)"
    )
    params: list[Any] = [
        partner_id,
        isa13,
        since,
        BatchStatus.DUPLICATE.value,
        BatchStatus.UNKNOWN_PARTNER.value,
    ]
    if exclude_batch_id is not None:
        sql += " AND id <> %s AND (id < %s OR status <> %s)"
        params += [exclude_batch_id, exclude_batch_id, BatchStatus.RECEIVED.value]
    return sql + " ORDER BY received_at, id LIMIT 1", params


def batch_process(
    *,
    batch: TransactionBatch,
    opener: Opener | None = None,
    head: IsaHead | None = None,
    partner: TradingPartner | object | None = _LOOKUP,
    started: float | None = None,
) -> TransactionBatch:
    """Validate a RECEIVED batch, stage its acks, record its final status, route its sets.

    ``opener`` defaults to the stored raw copy. Any unexpected error (database, storage, a
    missing outcome sink) leaves the batch RECEIVED with the reason, for "Reprocess".
    """
    started = time.monotonic() if started is None else started
    if opener is None:
        stored = batch.storage_path

        def opener() -> BinaryIO:
            return raw_open(stored)

    try:
        if head is None:
            with opener() as stream:
                head = peek_isa(stream.read(4096))
        if partner is _LOOKUP:
            partner = _partner_for(head)
        # the plan of a big file is ~10^5 small objects that all stay alive until written:
        # the cyclic collector would only re-scan them (a second on a 100 MB 837)
        with gc_paused():
            plan = _plan(batch=batch, opener=opener, head=head, partner=partner)  # type: ignore[arg-type]
            batch = _finish(batch=batch, plan=plan, started=started, opener=opener)
    except Exception as exc:  # never a traceback to the user: the batch says what happened
        # the class and frames only: the message may quote the file's data
        logger.error(
            "inbound batch %s: processing interrupted: %s", batch.pk, exception_summary(exc)
        )
        reason = (
            f"Processing was interrupted ({type(exc).__name__}); the raw file is stored. "
            "Use Reprocess once the cause is fixed."
        )
        try:
            TransactionBatch.objects.filter(pk=batch.pk, status=BatchStatus.RECEIVED).update(
                status_reason=reason
            )
            batch.refresh_from_db()
        except Exception as down:  # the database itself is down: the caller still gets a result
            logger.error(
                "inbound batch %s: could not record the interruption: %s",
                batch.pk,
                exception_summary(down),
            )
            batch.status, batch.status_reason = BatchStatus.RECEIVED, reason
        return batch
    if not plan.routed and plan.headers.any_pending():
        batch_route_pending(batch=batch, opener=opener, pending_rows=plan.pending_rows)
    return batch


def _plan(
    *,
    batch: TransactionBatch,
    opener: Opener,
    head: IsaHead | None,
    partner: TradingPartner | None,
    isa13_locked: bool = False,
    defer_duplicate_check: bool = False,
) -> _Plan:
    """What to write for this batch. ``isa13_locked``: the caller holds the ISA13 lock.

    ``defer_duplicate_check`` (single-transaction path): the first ISA13 is not checked
    here; the plan assumes it is new and carries the check (``plan.duplicate_check``) for
    :func:`_finish`, which runs it in the same statement as the status update.
    """
    now = timezone.now()
    if head is None or not head.sender_identified:
        with opener() as stream:
            report = x12.validate(stream)
        return _plan_without_partner(report)

    if partner is None or not partner.active:
        who = f"{head.sender_qualifier}/{head.sender_id}"
        why = "is not a trading partner" if partner is None else "is an inactive partner"
        return _Plan(
            status=BatchStatus.UNKNOWN_PARTNER,
            reason=(
                f"Sender {who} (ISA05/ISA06) {why}. No acknowledgment was sent. Onboard the "
                "partner, then use Reprocess."
            ),
            partner=partner,
        )

    isa13 = head.control_number if _is_isa13(head.control_number) else ""
    lock_key = None if isa13_locked else _isa13_lock_key(partner, isa13)
    if lock_key is not None:
        # a single-transaction ingest of the same ISA13 may hold an uncommitted batch:
        # wait for it (held until this statement's or the caller's transaction ends)
        _lock_isa13(lock_key)
    deferred = defer_duplicate_check and bool(isa13)
    original = None
    if not deferred:
        original = find_duplicate(partner=partner, isa13=isa13, exclude_batch_id=batch.pk, now=now)
    if original is not None:
        return _plan_duplicate(batch=batch, partner=partner, original=original, opener=opener)

    first_key = (head.sender_qualifier, head.sender_id, isa13)
    seen: set[tuple[str, str, str]] = set()
    partners: dict[tuple[str, str], TradingPartner | None] = {
        (head.sender_qualifier, head.sender_id): partner
    }

    def lookup(qualifier: str, sender_id: str) -> TradingPartner | None:
        key = (qualifier, sender_id)
        if key not in partners:
            found = partner_by_sender(qualifier=qualifier, sender_id=sender_id)
            partners[key] = found if found is not None and found.active else None
        return partners[key]

    def is_duplicate(h: x12.InterchangeHeader) -> bool:
        key = (h.sender_qualifier, h.sender_id, h.control_number)
        if key in seen:
            return True  # the same ISA13 twice in this file
        seen.add(key)
        if key == first_key:
            return False  # checked above, before validating
        other = lookup(h.sender_qualifier, h.sender_id)
        return other is not None and (
            find_duplicate(
                partner=other, isa13=h.control_number, exclude_batch_id=batch.pk, now=now
            )
            is not None
        )

    ours: set[tuple[str, str]] = set()

    def is_known_receiver(qualifier: str, receiver_id: str) -> bool:
        key = (qualifier.strip(), receiver_id.strip())
        if key == (partner.our_isa_qualifier, partner.our_isa_id):
            return True  # the usual case: no query
        if not ours:
            ours.update(our_isa_ids())
        return key in ours

    with opener() as stream:
        report = x12.validate(
            stream,
            is_duplicate=is_duplicate,
            version_fallback=partner.version_fallback,
            is_known_receiver=is_known_receiver,
        )
    plan = _plan_from_report(batch=batch, report=report, partner=partner, lookup=lookup)
    if deferred:
        plan.duplicate_check = (partner, isa13, now)
    return plan


def _plan_without_partner(report: x12.ValidationReport) -> _Plan:
    """No sender to address: REJECTED with the reason, no acknowledgment possible."""
    if report.interchanges:
        first = report.interchanges[0]
        detail = first.issues[0].message if first.issues else "the ISA has no sender"
        reason = f"The sender cannot be identified from ISA05/ISA06 ({detail}); no TA1 possible."
    else:
        reason = f"Not a usable X12 file: {report.error or 'no interchange found'}."
    return _Plan(
        status=BatchStatus.REJECTED,
        reason=reason,
        report=_report_summary(report),
        segment_count=report.segment_count,
    )


def _plan_duplicate(
    *,
    batch: TransactionBatch,
    partner: TradingPartner,
    original: TransactionBatch,
    opener: Opener,
) -> _Plan:
    """Same partner and ISA13 already received: TA1 R 025, nothing else is processed."""
    with opener() as stream:
        # only the ISA is needed for the TA1: validate the first bytes, not the whole file
        report = x12.validate(stream.read(4096))
    plan = _Plan(
        status=BatchStatus.DUPLICATE,
        reason=(
            f"Duplicate interchange: ISA13 {original.isa13} was already received from "
            f"{partner.code} as batch {original.pk}; answered with TA1 R 025, nothing processed."
        ),
        partner=partner,
        duplicate_of=original,
    )
    if report.interchanges and partner.ta1_policy != Ta1Policy.NEVER:
        ic = report.interchanges[0]
        ic.ta1_code, ic.ta1_note = "R", "025"
        plan.outcomes.append(
            _Outcome(
                partner=partner,
                response_type="TA1",
                payload=x12.ta1_content(ic),
                dedupe_key=f"{batch.pk}:TA1:{original.isa13}",
                isa13=original.isa13,
            )
        )
    plan.report = {
        "verdict": "duplicate",
        "duplicate_of": original.pk,
        "interchanges": [
            {
                "isa13": original.isa13,
                "ta1_code": "R",
                "ta1_note": "025",
                "ta1_meaning": x12_codes.TA1_NOTE_CODES["025"],
                "groups": [],
            }
        ],
    }
    return plan


def _ta1_owed(ic: x12.InterchangeReport, policy: str) -> bool:
    """TA1 per the partner's policy; a rejected interchange is answered unless policy=never."""
    if policy == Ta1Policy.NEVER or not ic.sender_identified:
        return False
    if ic.ta1_code != "A":
        return True  # otherwise the sender never learns the interchange was rejected
    return x12.ta1_wanted(ic, policy)


def _plan_from_report(
    *,
    batch: TransactionBatch,
    report: x12.ValidationReport,
    partner: TradingPartner,
    lookup: Callable[[str, str], TradingPartner | None],
) -> _Plan:
    plan = _Plan(
        status=BatchStatus.RECEIVED,
        partner=partner,
        report=_report_summary(report),
        segment_count=report.segment_count,
    )
    if not report.interchanges:
        plan.status = BatchStatus.REJECTED
        plan.reason = f"Not a usable X12 file: {report.error or 'no interchange found'}."
        return plan

    reasons: list[str] = []
    dedupe_used: set[str] = set()
    for ic in report.interchanges:
        h = ic.header
        ic_partner = lookup(h.sender_qualifier, h.sender_id) if ic.sender_identified else None
        isa13 = h.control_number[:9]
        if ic_partner is not None and _ta1_owed(ic, ic_partner.ta1_policy):
            plan.outcomes.append(
                _Outcome(
                    partner=ic_partner,
                    response_type="TA1",
                    payload=x12.ta1_content(ic),
                    dedupe_key=_unique(f"{batch.pk}:TA1:{isa13}", dedupe_used),
                    isa13=isa13,
                )
            )
        ic_rejected = ic.ta1_code == "R" or ic_partner is None
        if ic.ta1_code == "R":
            first = ic.issues[0] if ic.issues else None
            where = f" at line {first.line}" if first and first.line else ""
            text = first.message if first else x12_codes.TA1_NOTE_CODES.get(ic.ta1_note, "")
            reasons.append(
                f"Interchange ISA13 {isa13 or '?'} rejected (TA1 R {ic.ta1_note}){where}: {text}"
            )
        elif ic_partner is None:
            reasons.append(
                f"Interchange ISA13 {isa13 or '?'} is from an unknown sender "
                f"{h.sender_qualifier}/{h.sender_id}: not processed"
            )
        for group in ic.groups:
            gh = group.header
            group_ok = not ic_rejected and group.ack_code != "R"
            if group_ok:
                plan.groups_accepted += 1
            else:
                plan.groups_rejected += 1
            if not ic_rejected and not group.is_acknowledgment:
                plan.outcomes.append(
                    _Outcome(
                        partner=ic_partner,  # type: ignore[arg-type]
                        response_type="999",
                        payload=x12.ack_999_json(group),
                        dedupe_key=_unique(
                            f"{batch.pk}:999:{isa13}:{gh.control_number[:9]}", dedupe_used
                        ),
                        isa13=isa13,
                        gs06=gh.control_number[:9],
                        st02s=[st02[:9] for st02 in group.sets.control_numbers()],
                    )
                )
            if not ic_rejected and group.ack_code == "R" and group.codes:
                meanings = ", ".join(
                    f"{c} {x12_codes.AK9_ERROR_CODES.get(c, 'group error')}" for c in group.codes
                )
                reasons.append(
                    f"Functional group GS06 {gh.control_number or '?'} rejected (AK9 R: {meanings})"
                )
            # only flagged sets (a finding, or not accepted) need looking at one by one
            flagged = group.sets.flagged()
            not_routable = sum(s.ack_code not in _ROUTABLE_SET_CODES for s in flagged)
            if group_ok:
                plan.sets_accepted += len(group.sets) - not_routable
                plan.sets_rejected += not_routable
            else:
                plan.sets_rejected += len(group.sets)
            if not ic_rejected:
                reasons.extend(_set_reason(s) for s in flagged if s.ack_code == "R")
            plan.headers.add(isa13, gh, group.sets, group_ok)

    any_rejected = (
        plan.sets_rejected
        or plan.groups_rejected
        or any(ic.ta1_code == "R" for ic in report.interchanges)
    )
    if plan.sets_accepted and not any_rejected:
        plan.status = BatchStatus.ACCEPTED
    elif plan.sets_accepted:
        plan.status = BatchStatus.PARTIALLY_ACCEPTED
    elif any_rejected:
        plan.status = BatchStatus.REJECTED
    else:
        plan.status = BatchStatus.ACCEPTED  # interchanges without transaction sets
        reasons.append("no transaction sets in the file")
    if reasons:
        shown = reasons[:5]
        more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
        plan.reason = "; ".join(shown) + more + "."
    return plan


def _header_row(
    batch: TransactionBatch, isa13: str, gh: x12.GroupHeader, s: x12.SetReport, status: str
) -> TransactionHeader:
    return TransactionHeader(
        batch=batch,
        isa13=isa13,
        gs01=gh.functional_id[:2],
        gs06=gh.control_number[:9],
        gs08=gh.version[:12],
        st01=s.id[:3],
        st02=s.control_number[:9],
        st03=s.implementation_reference[:35],
        segment_count=s.segment_count,
        start_offset=s.offset,
        first_line=s.line,
        verdict=s.ack_code if s.ack_code in ("A", "E", "R") else "",
        error_summary=_set_errors(s),
        routing_status=status,
        routing_result=(
            "accepted, no handler for this transaction type yet"
            if status == RoutingStatus.NO_HANDLER
            else ""
        ),
    )


_HEADER_VALUES = (
    "batch_id",
    "isa13",
    "gs01",
    "gs06",
    "gs08",
    "st01",
    "st02",
    "st03",
    "segment_count",
    "start_offset",
    "first_line",
    "verdict",
    "error_summary",
    "routing_status",
    "routing_result",
    "created_at",
)


def _insert_headers(batch: TransactionBatch, specs: _SetHeaders) -> list[TransactionHeader] | None:
    """Insert the set headers: COPY on PostgreSQL (10^5 rows in about a second), else ORM.

    A few headers (the usual small file) go in with one INSERT ... RETURNING: the rows, with
    their ids, are returned. Otherwise returns None.
    """
    if not specs:
        return []
    if len(specs) <= HEADER_RETURNING_MAX and connection.vendor == "postgresql":
        sql, params, rows = _header_insert(batch, specs)
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(sql, params)
            return _with_ids(rows, cursor.fetchall())
    if len(specs) <= HEADER_RETURNING_MAX and connection.features.can_return_rows_from_bulk_insert:
        return TransactionHeader.objects.bulk_create([_header_row(batch, *spec) for spec in specs])
    if connection.vendor != "postgresql":
        remaining = iter(specs)
        while chunk := list(itertools.islice(remaining, HEADER_BULK_SIZE)):
            TransactionHeader.objects.bulk_create([_header_row(batch, *spec) for spec in chunk])
        return None
    # every other column gets its model default (computed once, not per row)
    others = [
        f
        for f in TransactionHeader._meta.concrete_fields
        if not f.primary_key and f.attname not in _HEADER_VALUES
    ]
    columns = [*_HEADER_VALUES, *(f.column for f in others)]
    extra = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    now = timezone.now()
    no_handler = "accepted, no handler for this transaction type yet"
    table = connection.ops.quote_name(TransactionHeader._meta.db_table)
    sql = f"COPY {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for isa13, gh, s, status in specs:
            copy.write_row(
                (
                    batch.pk,
                    isa13,
                    gh.functional_id[:2],
                    gh.control_number[:9],
                    gh.version[:12],
                    s.id[:3],
                    s.control_number[:9],
                    s.implementation_reference[:35],
                    s.segment_count,
                    s.offset,
                    s.line,
                    s.ack_code if s.ack_code in ("A", "E", "R") else "",
                    _errors_json(s),
                    status,
                    no_handler if status == RoutingStatus.NO_HANDLER else "",
                    now,
                    *extra,
                )
            )


def _errors_json(s: x12.SetReport) -> str:
    """:func:`_set_errors` as JSON text ("[]" for a clean set, without building anything)."""
    if not s.codes and not s.issues and not s.issues_dropped:
        return "[]"
    return orjson.dumps(_set_errors(s)).decode()


def _unique(key: str, used: set[str]) -> str:
    """Keep dedupe keys distinct inside one batch (e.g. two groups with the same GS06)."""
    candidate, n = key, 1
    while candidate in used:
        n += 1
        candidate = f"{key}:{n}"
    used.add(candidate)
    return candidate


def _set_reason(s: x12.SetReport) -> str:
    codes = ", ".join(f"{c} {x12_codes.IK5_ERROR_CODES.get(c, 'set error')}" for c in s.codes)
    first = s.issues[0] if s.issues else None
    where = ""
    if first is not None:
        where = f"; first: {first.segment_id} at line {first.line} (position {first.position})"
    return f"Transaction set {s.id} ST02 {s.control_number} rejected (IK5 R: {codes}){where}"


def _set_errors(s: x12.SetReport) -> list[dict[str, Any]]:
    """Codes, positions and meanings of a set's findings; never the bad values (PHI)."""
    errors: list[dict[str, Any]] = []
    for code in s.codes:
        errors.append(
            {
                "level": "set",
                "code": code,
                "meaning": x12_codes.IK5_ERROR_CODES.get(code, "set error"),
                "line": s.line,
            }
        )
    for issue in s.issues[:MAX_ERRORS_PER_SET]:
        errors.append(
            {
                "level": "segment",
                "segment": issue.segment_id,
                "position": issue.position,
                "line": issue.line,
                "loop": issue.loop_id or "",
                "code": issue.code or "8",
                "meaning": x12_codes.IK3_ERROR_CODES.get(issue.code or "8", "segment error"),
                "message": issue.message,
                "elements": [
                    {
                        "position": e.position,
                        "component": e.component,
                        "repetition": e.repetition,
                        "reference": e.reference or "",
                        "name": e.name,
                        "code": e.code,
                        "meaning": x12_codes.IK4_ERROR_CODES.get(e.code, "element error"),
                    }
                    for e in issue.elements
                ],
            }
        )
    dropped = max(0, len(s.issues) - MAX_ERRORS_PER_SET) + s.issues_dropped
    if dropped:
        errors.append({"level": "note", "message": f"{dropped} more findings (see the 999)"})
    return errors


def _issue_dicts(issues: Iterable[Any], table: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for issue in list(issues)[:MAX_REPORT_ISSUES]:
        out.append(
            {
                "code": issue.code,
                "meaning": table.get(issue.code, ""),
                "message": issue.message,
                "line": issue.line,
            }
        )
    return out


def _report_summary(report: x12.ValidationReport) -> dict[str, Any]:
    """The interchange and group levels of the report (sets live in TransactionHeader rows)."""
    interchanges = []
    for ic in report.interchanges:
        h = ic.header
        d = ic.delimiters
        interchanges.append(
            {
                "isa13": h.control_number,
                "sender": [h.sender_qualifier, h.sender_id],
                "receiver": [h.receiver_qualifier, h.receiver_id],
                "date": h.date,
                "time": h.time,
                "version": h.version,
                "ack_requested": h.ack_requested,
                "usage": h.usage,
                "line": h.line,
                "offset": h.offset,
                "delimiters": None
                if d is None
                else {
                    "element": d.element,
                    "repetition": d.repetition,
                    "component": d.component,
                    "segment": d.segment,
                },
                "ta1_code": ic.ta1_code,
                "ta1_note": ic.ta1_note,
                "ta1_meaning": x12_codes.TA1_NOTE_CODES.get(ic.ta1_note, ""),
                "issues": _issue_dicts(ic.issues, x12_codes.TA1_NOTE_CODES),
                "broken": ic.broken,
                "verdict": ic.verdict,
                "groups": [
                    {
                        "gs01": g.header.functional_id,
                        "gs06": g.header.control_number,
                        "gs08": g.header.version,
                        "line": g.header.line,
                        "ack_code": g.ack_code,
                        "ack_meaning": x12_codes.AK9_ACK_CODES.get(g.ack_code, ""),
                        "included": g.included,
                        "received": g.received,
                        "accepted": g.accepted,
                        "issues": _issue_dicts(g.issues, x12_codes.AK9_ERROR_CODES),
                        "set_count": len(g.sets),
                    }
                    for g in ic.groups
                ],
            }
        )
    return {
        "verdict": report.verdict,
        "error_code": report.error_code,
        "error": report.error,
        "problems": _issue_dicts(report.problems, {}),
        "segment_count": report.segment_count,
        "bytes_read": report.bytes_read,
        "interchanges": interchanges,
    }


def _update_if_received(batch_id: int, fields: dict[str, Any]) -> bool:
    """``UPDATE ... WHERE id = %s AND status = 'RECEIVED'`` (plain SQL: it runs per file)."""
    sql, params = _batch_update(batch_id, fields)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _batch_update(batch_id: int, fields: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL and parameters of :func:`_update_if_received`."""
    meta = TransactionBatch._meta
    quote = connection.ops.quote_name
    assignments, params = [], []
    for name, value in fields.items():
        f = meta.get_field(name)
        if f.is_relation:
            value = value.pk if value is not None else None
        assignments.append(f"{quote(f.column)} = %s")
        params.append(f.get_db_prep_save(value, connection))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE id = %s AND status = %s"
    )
    return sql, [*params, batch_id, BatchStatus.RECEIVED.value]


def _header_insert(
    batch: TransactionBatch, specs: Iterable[_HeaderSpec]
) -> tuple[str, list[Any], list[TransactionHeader]]:
    """``INSERT ... VALUES (...), (...) RETURNING id`` of a few header rows (PostgreSQL
    returns the ids in the order of the VALUES rows, as ``bulk_create`` relies on too)."""
    rows = [_header_row(batch, *spec) for spec in specs]
    key = ("header-insert", connection.vendor)
    fields = _SQL_CACHE.get(key)
    if fields is None:
        fields = _SQL_CACHE[key] = [
            f for f in TransactionHeader._meta.concrete_fields if not f.primary_key
        ]
    quote = connection.ops.quote_name
    one = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {quote(TransactionHeader._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([one] * len(rows))} "
        f"RETURNING {quote(TransactionHeader._meta.pk.column)}"
    )
    params = [
        f.get_db_prep_save(f.pre_save(row, add=True), connection) for row in rows for f in fields
    ]
    return sql, params, rows


def _with_ids(rows: list[TransactionHeader], ids: list[tuple[int]]) -> list[TransactionHeader]:
    for row, (pk,) in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias
    return rows


def _update_and_insert_headers(
    batch: TransactionBatch, plan: _Plan, fields: dict[str, Any]
) -> tuple[int | None, list[TransactionHeader]]:
    """One statement (single-transaction path, a few headers): the deferred duplicate check
    of the first ISA13, the final-status UPDATE (only when no duplicate was found) and the
    header INSERT. Returns (the original batch's id when this one is a duplicate, the
    inserted header rows; a duplicate's rows are deleted again).

    The statement starts after this transaction took the ISA13 lock (with the batch
    INSERT), so its snapshot includes every batch whose transaction held that lock before.
    """
    update_sql, params = _batch_update(batch.pk, fields)
    ctes = []
    if plan.duplicate_check is not None:
        partner, isa13, now = plan.duplicate_check
        dup_sql, dup_params = _duplicate_query(
            partner_id=partner.pk, isa13=isa13, exclude_batch_id=batch.pk, now=now
        )
        ctes.append(f"dup AS ({dup_sql})")
        update_sql += " AND NOT EXISTS (SELECT 1 FROM dup)"
        params = [*dup_params, *params]
        original = "(SELECT id FROM dup)"
    else:
        original = "NULL::bigint"
    ctes.append(f"upd AS ({update_sql})")
    rows: list[TransactionHeader] = []
    if plan.headers:
        insert_sql, insert_params, rows = _header_insert(batch, plan.headers)
        sql = f"WITH {', '.join(ctes)} {insert_sql}, {original}"
        params += insert_params
    else:
        sql = f"WITH {', '.join(ctes)} SELECT NULL::bigint, {original}"
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    original_id = results[0][1] if results else None
    if original_id is not None:
        if rows:
            TransactionHeader.objects.filter(batch_id=batch.pk).delete()
        return original_id, []
    return None, _with_ids(rows, [(r[0],) for r in results]) if rows else []


def _finish_as_duplicate(
    *, batch: TransactionBatch, plan: _Plan, original_id: int, started: float, opener: Opener
) -> TransactionBatch:
    """The deferred check found the ISA13 already received: record the duplicate instead
    (the batch is still RECEIVED; nothing of the first plan was written)."""
    partner = plan.duplicate_check[0]  # type: ignore[index]
    original = TransactionBatch.objects.get(pk=original_id)
    duplicate = _plan_duplicate(batch=batch, partner=partner, original=original, opener=opener)
    return _finish(batch=batch, plan=duplicate, started=started, opener=opener)


def _finish(
    *, batch: TransactionBatch, plan: _Plan, started: float, opener: Opener, fresh: bool = False
) -> TransactionBatch:
    """The one transaction: final status, headers and owed outcomes commit together.

    The status UPDATE comes first and only matches a batch still RECEIVED: it locks the row,
    so of two concurrent runs (e.g. two "Reprocess" clicks) one writes and the other finds
    the batch finished and keeps that result. A RECEIVED batch never has headers (they are
    written here, with the final status), so nothing needs deleting first.

    ``fresh``: the batch row was inserted by the caller's still open transaction (the
    single-transaction path), so this runs inside it without a savepoint, every accepted set
    is routed here, and a failing handler raises :class:`_HandlerFailed` instead of being
    isolated in a savepoint: the caller rolls everything back and uses the two-phase path.
    """
    sink = outcome_sink() if plan.outcomes else None
    fields: dict[str, Any] = {
        "status": plan.status,
        "status_reason": plan.reason[:4000],
        "duplicate_of": plan.duplicate_of,
        "groups_accepted": plan.groups_accepted,
        "groups_rejected": plan.groups_rejected,
        "sets_accepted": plan.sets_accepted,
        "sets_rejected": plan.sets_rejected,
        "segment_count": plan.segment_count,
        "report": plan.report,
        "processed_at": timezone.now(),
        "processing_ms": int((time.monotonic() - started) * 1000),
    }
    if plan.partner is not None:
        fields["partner"] = plan.partner
    with transaction.atomic(savepoint=not fresh):
        if fresh and len(plan.headers) <= HEADER_RETURNING_MAX:
            # our own row (nobody else can finish it): the duplicate check, the status
            # UPDATE and the header INSERT are one statement (data-modifying CTEs)
            original_id, rows = _update_and_insert_headers(batch, plan, fields)
            if original_id is not None:
                return _finish_as_duplicate(
                    batch=batch, plan=plan, original_id=original_id, started=started, opener=opener
                )
            for name, value in fields.items():
                setattr(batch, name, value)
        else:
            if fresh and plan.duplicate_check is not None:
                partner, isa13, now = plan.duplicate_check
                original = find_duplicate(
                    partner=partner, isa13=isa13, exclude_batch_id=batch.pk, now=now
                )
                if original is not None:
                    return _finish_as_duplicate(
                        batch=batch,
                        plan=plan,
                        original_id=original.pk,
                        started=started,
                        opener=opener,
                    )
            if not _update_if_received(batch.pk, fields):
                return TransactionBatch.objects.select_related("partner").get(pk=batch.pk)
            for name, value in fields.items():
                setattr(batch, name, value)
            rows = _insert_headers(batch, plan.headers)
        if rows is not None:
            plan.pending_rows = [r for r in rows if r.routing_status == RoutingStatus.PENDING]
        elif fresh and plan.headers.any_pending():
            plan.pending_rows = list(
                TransactionHeader.objects.filter(
                    batch=batch, routing_status=RoutingStatus.PENDING
                ).order_by("id")
            )
        for outcome in plan.outcomes:
            sink(  # type: ignore[misc]
                batch=batch,
                partner=outcome.partner,
                response_type=outcome.response_type,
                payload=outcome.payload,
                dedupe_key=outcome.dedupe_key,
                isa13=outcome.isa13,
                gs06=outcome.gs06,
                st02s=outcome.st02s,
            )
        if plan.pending_rows:
            # These rows exist only in this uncommitted transaction: no other process can
            # see, hence route, them, so they need no lock, and routing them here saves a
            # transaction (and its commit flush) per small file. Each handler runs in a
            # savepoint: a failing one marks only its set FAILED and the batch still commits.
            _route_rows(
                batch=batch,
                opener=opener,
                pending_rows=plan.pending_rows,
                own_rows=True,
                isolate_failures=not fresh,
            )
            plan.routed = True
    logger.info(
        "inbound batch %s: %s (%d sets accepted, %d rejected, %d outcomes, %d ms)",
        batch.pk,
        batch.status,
        batch.sets_accepted,
        batch.sets_rejected,
        len(plan.outcomes),
        batch.processing_ms,
    )
    return batch


# -- routing -------------------------------------------------------------------------------


def batch_route_pending(
    *,
    batch: TransactionBatch,
    opener: Opener | None = None,
    pending_rows: list[TransactionHeader] | None = None,
    own_rows: bool = False,
) -> int:
    """Hand every PENDING accepted set of ``batch`` to its handler; returns how many routed.

    Re-reads the file one transaction set at a time (bounded memory). Each set is routed in
    its own transaction together with its ROUTED status; a failing handler marks only that
    header FAILED (retry with Reprocess). ``pending_rows``: the PENDING headers when the
    caller just inserted them (saves selecting them again); ``own_rows``: they were inserted
    by the caller's still open transaction, invisible to others (no row lock needed).
    """
    return _route_rows(
        batch=batch,
        opener=opener,
        pending_rows=pending_rows,
        own_rows=own_rows,
        isolate_failures=True,
    )


def _route_rows(
    *,
    batch: TransactionBatch,
    opener: Opener | None,
    pending_rows: list[TransactionHeader] | None,
    own_rows: bool,
    isolate_failures: bool,
) -> int:
    """:func:`batch_route_pending`; ``isolate_failures=False`` (only with ``own_rows``): no
    savepoint per set, a failing handler raises :class:`_HandlerFailed` to the caller."""
    if pending_rows is None:
        pending_rows = list(
            TransactionHeader.objects.filter(
                batch=batch, routing_status=RoutingStatus.PENDING
            ).order_by("id")
        )
    # each set is still locked and re-checked PENDING before its handler runs (_route_one)
    pending = {h.start_offset: h for h in pending_rows}
    if not pending:
        return 0
    if opener is None:
        stored = batch.storage_path

        def opener() -> BinaryIO:
            return raw_open(stored)

    delimiters = {
        ic.get("offset", 0): ic.get("delimiters")
        for ic in (batch.report or {}).get("interchanges", [])
    }
    routed = 0
    # The cyclic collector is paused while sets are read and handled (a large 834 set spent
    # more time in collections than in reading and mapping); the young generations are
    # collected between sets now and then, so the garbage of many small sets stays bounded
    # (a young collection only scans what was allocated since the last one).
    with opener() as stream, gc_paused():
        for count, (isa, _group, tset) in enumerate(x12.iter_transaction_sets(stream), 1):
            if count % 1000 == 0:
                gc.collect(1)
            if not tset.segments:
                continue
            header = pending.pop(tset.segments[0].offset, None)
            if header is None:
                continue
            d = delimiters.get(isa.offset) or {}
            routed += _route_one(
                header,
                tset.segments,
                x12.Delimiters(**d),
                batch=batch,
                own_row=own_rows,
                isolate_failure=isolate_failures,
            )
            if not pending:
                break
    for header in pending.values():
        TransactionHeader.objects.filter(pk=header.pk, routing_status=RoutingStatus.PENDING).update(
            routing_status=RoutingStatus.FAILED,
            routing_result="the transaction set was not found when re-reading the stored file",
        )
    return routed


def _route_one(
    header: TransactionHeader,
    segments: list[x12.Segment],
    delimiters: x12.Delimiters,
    *,
    batch: TransactionBatch,
    own_row: bool = False,
    isolate_failure: bool = True,
) -> int:
    fn = handler_for(header.st01)
    if fn is None:
        _set_routing(header.pk, RoutingStatus.NO_HANDLER, _NO_HANDLER)
        return 0
    # handlers read the batch (stored path, partner): hand them the instance already in
    # memory instead of two lazy queries per set
    if not isolate_failure:
        # the single-transaction path: the whole file is redone in two phases on failure
        header.batch = batch
        try:
            result = _call_handler(fn, header, segments, delimiters, fresh=True)
        except Exception as exc:
            raise _HandlerFailed(header.pk) from exc
        _mark_routed(header, result)
        return 1
    try:
        # inside the caller's transaction this is a savepoint: a failure undoes this set only
        with transaction.atomic():
            if own_row:
                locked = header  # inserted by this transaction: nobody else can route it
            else:
                locked = TransactionHeader.objects.select_for_update().get(pk=header.pk)
                if locked.routing_status != RoutingStatus.PENDING:
                    return 0  # routed by a concurrent run
            locked.batch = batch
            result = _call_handler(fn, locked, segments, delimiters, fresh=own_row)
            _mark_routed(locked, result)
        return 1
    except RoutingError as exc:
        reason = f"handler failed: {exc}"
    except Exception as exc:
        # the exception text may quote the set's data: keep only its class
        reason = f"handler failed ({type(exc).__name__}); retry with Reprocess"
    logger.warning("inbound header %s (ST01 %s): routing failed", header.pk, header.st01)
    _set_routing(header.pk, RoutingStatus.FAILED, reason[:1000])
    return 0


_NO_HANDLER = "accepted, no handler for this transaction type yet"


def _call_handler(
    fn: Callable[..., str],
    header: TransactionHeader,
    segments: list[x12.Segment],
    delimiters: x12.Delimiters,
    *,
    fresh: bool,
) -> str:
    """Call a routing handler; ``fresh_header=True`` goes to handlers that declare it."""
    if fresh and _accepts_fresh_header(fn):
        return fn(header=header, segments=segments, delimiters=delimiters, fresh_header=True)
    return fn(header=header, segments=segments, delimiters=delimiters)


@functools.lru_cache(maxsize=64)
def _accepts_fresh_header(fn: Callable[..., str]) -> bool:
    """Whether a handler has a ``fresh_header`` parameter: "this header row was inserted by
    the caller's still open transaction" (it can skip locking it and checking what it did)."""
    try:
        return "fresh_header" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _mark_routed(header: TransactionHeader, result: str | None) -> None:
    header.routing_status = RoutingStatus.ROUTED
    header.routing_result = str(result or "routed")[:1000]
    _set_routing(header.pk, header.routing_status, header.routing_result)


def _set_routing(header_id: int, status: str, result: str) -> None:
    """``UPDATE ... SET routing_status, routing_result`` (plain SQL: it runs per set)."""
    table = connection.ops.quote_name(TransactionHeader._meta.db_table)
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(
            f"UPDATE {table} SET routing_status = %s, routing_result = %s WHERE id = %s",
            [status, result, header_id],
        )
