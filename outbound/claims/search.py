"""Claims' source of the journey search: a patient control number (CLM01) or our claim
control number (REF*1K) finds the claim and its journey. A claim names a patient: PHI, so
``eventstore.view_member`` as on the claim list."""

from __future__ import annotations

from collections.abc import Iterator

from edi_platform.core.adminkit import change_url
from edi_platform.core.search import SearchHit, SearchQuery, SearchSource, register_search
from outbound.models import Claim


def find_claims(query: SearchQuery) -> Iterator[SearchHit]:
    text = query.text
    if len(text) > 38:  # longer than any CLM01
        return
    # exact matches on indexed keys only (a "contains" scan of the registry would not fit the
    # search's budget on a year of claims)
    rows = Claim.objects.filter(patient_control_number=text)
    if text.isdigit() and len(text) <= 18:
        rows = rows | Claim.objects.filter(payer_claim_control_number=int(text))
    for claim in rows.select_related("partner").order_by("-id")[: query.limit]:
        matched = (
            "patient control number"
            if claim.patient_control_number == text
            else "our claim control number"
        )
        yield SearchHit(
            kind=f"Claim (837{claim.claim_type})",
            label=f"Claim {claim.patient_control_number} ({claim.partner.code})",
            url=change_url(Claim, claim.pk),
            detail=f"{claim.get_status_display()} · batch {claim.batch_id}",
            when=claim.received_at,
            matched=matched,
        )


register_search(
    SearchSource(
        slug="claims",
        title="Claims",
        permissions=("outbound.view_claim", "eventstore.view_member"),
        find=find_claims,
        order=35,
        help="a patient control number (CLM01) or our claim control number (REF*1K)",
    )
)
