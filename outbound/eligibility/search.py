"""Eligibility's source of the journey search: a trace number (our TRN*1 on a 271) finds
the inquiry it answered. Which member was asked about is PHI: ``eventstore.view_member``."""

from __future__ import annotations

from collections.abc import Iterator

from edi_platform.core.adminkit import change_url
from edi_platform.core.search import SearchHit, SearchQuery, SearchSource, register_search
from outbound.models import EligibilityInquiry


def find_traces(query: SearchQuery) -> Iterator[SearchHit]:
    if len(query.text) < 3:
        return
    rows = (
        EligibilityInquiry.objects.filter(trace=query.text)
        .select_related("partner")
        .order_by("-answered_at")[: query.limit]
    )
    for inquiry in rows:
        yield SearchHit(
            kind="Eligibility inquiry",
            label=f"Trace {inquiry.trace} ({inquiry.partner.code}, {inquiry.level})",
            url=change_url(EligibilityInquiry, inquiry.pk),
            detail=f"{inquiry.get_result_display()} · batch {inquiry.batch_id}",
            when=inquiry.answered_at,
            matched="trace number",
        )


register_search(
    SearchSource(
        slug="eligibility-traces",
        title="Eligibility inquiries",
        permissions=("outbound.view_eligibilityinquiry", "eventstore.view_member"),
        find=find_traces,
        order=40,
        help="a trace number (TRN) of a 271 we sent",
    )
)
