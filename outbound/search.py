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
    matches: dict = {}  # file id -> what matched (a file may match on several numbers)
    number = query.number
    if number is not None and len(query.text) <= 9:
        for counter_type, matched in (("ISA", "ISA13"), ("GS", "GS06"), ("ST", "ST02")):
            for file_id in files_with_number(
                number=number, counter_type=counter_type, limit=query.limit
            ):
                matches.setdefault(file_id, []).append(matched)
    prefix = query.sha256_prefix
    if prefix and not query.control_number:
        for file_id in base.filter(sha256__startswith=prefix).values_list("pk", flat=True)[
            : query.limit
        ]:
            matches.setdefault(file_id, []).append("sha256")
    if len(query.text) >= 3 and not query.control_number:
        named = base.filter(storage_path__icontains=query.text).order_by("-created_at")
        for file_id in named.values_list("pk", flat=True)[: query.limit]:
            matches.setdefault(file_id, []).append("file name")
    files = base.filter(pk__in=list(matches)).order_by("-created_at")
    for file in files[: query.limit]:
        yield _hit(file, ", ".join(matches[file.pk]))


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
