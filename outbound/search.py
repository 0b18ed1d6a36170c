"""Outbound's sources of the journey search (registered from ``OutboundConfig.ready()``):
the files we sent, by the ISA13 / GS06 / ST02 we gave them (the control-number audit knows
which file got which number), the file name, or the start of its sha256. Each hit opens the
file's page, which links back to the inbound batches and sets it answers."""

from __future__ import annotations

from collections.abc import Iterator

from controlnumbers.selectors import files_with_number
from edi_platform.core.adminkit import change_url
from edi_platform.core.search import SearchHit, SearchQuery, SearchSource, register_search

from .models import OutboundFile


def _hit(file: OutboundFile, matched: str) -> SearchHit:
    return SearchHit(
        kind="File sent",
        label=f"{file.transaction_type} ISA13 {file.isa13:09d} to {file.partner.code}",
        url=change_url(OutboundFile, file.pk),
        detail=f"{file.file_name or 'not stored'} · {file.get_status_display()}",
        when=file.created_at,
        matched=matched,
    )


def find_files(query: SearchQuery) -> Iterator[SearchHit]:
    base = OutboundFile.objects.select_related("partner").defer("envelope")
    seen: set = set()

    def emit(files, matched: str) -> Iterator[SearchHit]:
        for file in files:
            if file.pk not in seen:
                seen.add(file.pk)
                yield _hit(file, matched)

    number = query.number
    if number is not None and len(query.text) <= 9:
        for counter_type, matched in (("ISA", "ISA13"), ("GS", "GS06"), ("ST", "ST02")):
            ids = files_with_number(number=number, counter_type=counter_type, limit=query.limit)
            if ids:
                yield from emit(base.filter(pk__in=ids).order_by("-created_at"), matched)
    prefix = query.sha256_prefix
    if prefix:
        yield from emit(base.filter(sha256__startswith=prefix)[: query.limit], "sha256")
    if len(query.text) >= 3:
        named = base.filter(storage_path__icontains=query.text).order_by("-created_at")
        yield from emit(named[: query.limit], "file name")


register_search(
    SearchSource(
        slug="outbound-files",
        title="Files sent",
        permissions=("outbound.view_outboundfile",),
        find=find_files,
        order=20,
        help="the ISA13, GS06 or ST02 we gave a file, part of its name, the start of its sha256",
    )
)
