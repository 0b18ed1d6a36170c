"""Inbound's sources of the journey search (registered from ``EventStoreConfig.ready()``):
received files by ISA13, file name or sha256 prefix, and transaction sets by GS06 or ST02.
Each hit opens the batch (or set) page, which shows what we sent back for it."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q

from edi_platform.core.adminkit import change_url
from edi_platform.core.search import SearchHit, SearchQuery, SearchSource, register_search
from eventstore.inbound.models import TransactionBatch, TransactionHeader


def _batch_hit(batch: TransactionBatch, matched: str) -> SearchHit:
    partner = batch.partner.code if batch.partner_id else "unknown sender"
    return SearchHit(
        kind="Inbound file",
        label=f"Batch {batch.pk} — {batch.original_name}",
        url=change_url(TransactionBatch, batch.pk),
        detail=f"ISA13 {batch.isa13 or '?'} · {partner} · {batch.get_status_display()}",
        when=batch.received_at,
        matched=matched,
    )


def find_batches(query: SearchQuery) -> Iterator[SearchHit]:
    base = TransactionBatch.objects.select_related("partner").defer("report")
    seen: set[int] = set()
    number = query.number
    if number is not None and len(query.text) <= 9:
        for batch in base.filter(isa13=f"{number:09d}").order_by("-received_at")[: query.limit]:
            seen.add(batch.pk)
            yield _batch_hit(batch, "ISA13")
    prefix = query.sha256_prefix
    if prefix and not query.control_number:
        for batch in base.filter(sha256__startswith=prefix)[: query.limit]:
            if batch.pk not in seen:
                seen.add(batch.pk)
                yield _batch_hit(batch, "sha256")
    if len(query.text) >= 3 and not query.control_number:
        named = base.filter(original_name__icontains=query.text).order_by("-received_at")
        for batch in named[: query.limit]:
            if batch.pk not in seen:
                seen.add(batch.pk)
                yield _batch_hit(batch, "file name")


def find_sets(query: SearchQuery) -> Iterator[SearchHit]:
    number = query.number
    if number is None or len(query.text) > 9:
        return
    texts = {query.text, str(number), f"{number:04d}", f"{number:09d}"}
    headers = (
        TransactionHeader.objects.filter(Q(gs06__in=texts) | Q(st02__in=texts))
        .select_related("batch")
        .only("id", "st01", "st02", "gs06", "isa13", "batch__id", "batch__original_name")
        .order_by("-id")[: query.limit]
    )
    for h in headers:
        matched = "GS06" if h.gs06 in texts else "ST02"
        yield SearchHit(
            kind="Transaction set received",
            label=f"{h.st01} ST02 {h.st02} in batch {h.batch_id} — {h.batch.original_name}",
            url=change_url(TransactionBatch, h.batch_id),
            detail=f"ISA13 {h.isa13} · GS06 {h.gs06} · ST02 {h.st02}",
            matched=matched,
        )


register_search(
    SearchSource(
        slug="inbound-files",
        title="Files received",
        permissions=("eventstore.view_transactionbatch",),
        find=find_batches,
        order=10,
        help="ISA13 (leading zeros optional), part of the file name, the start of the sha256",
    )
)
register_search(
    SearchSource(
        slug="inbound-sets",
        title="Transaction sets received",
        permissions=("eventstore.view_transactionbatch", "eventstore.view_transactionheader"),
        find=find_sets,
        order=12,
        help="GS06 or ST02 of a set we received",
    )
)
