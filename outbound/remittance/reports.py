"""Remittance reports (entries of the report registry): claims paid / denied / pending by
partner and month received, and the top CARC reasons. Partner codes, codes, counts and
sums only (no PHI): the adjudication view permission suffices. ``?days=N`` (default 90).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from edi_platform.core.params import int_param
from edi_platform.core.reports import Report, register_report

from .selectors import remittance_by_partner, top_carcs

DEFAULT_DAYS = 90
SECTION = "Outbound"


def _days(request: HttpRequest) -> int:
    return max(1, min(int_param(request.GET.get("days"), default=DEFAULT_DAYS) or 1, 3660))


def _by_partner(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["partner", "month received", "accepted", "paid", "denied", "pending", "paid amount"]
    rows = (
        [r.partner, r.period.isoformat()[:7], r.received, r.paid, r.denied, r.pending,
         r.paid_amount]
        for r in remittance_by_partner(days=_days(request))
    )  # fmt: skip
    return header, rows


def _carcs(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["group", "CARC", "description", "adjustments", "claims", "amount"]
    rows = (
        [r.group, r.carc, r.description, r.adjustments, r.claims, r.amount]
        for r in top_carcs(days=_days(request))
    )
    return header, rows


register_report(
    Report(
        slug="remittance-by-partner",
        title="Claims paid, denied and pending by partner and month",
        section=SECTION,
        permissions=("outbound.view_adjudication",),
        build=_by_partner,
        description=(
            "Claims accepted over the last 90 days (?days=N), per partner and month received: "
            "paid, denied (CLP02 4) and still waiting for their adjudication."
        ),
    )
)
register_report(
    Report(
        slug="remittance-top-carc",
        title="Top claim adjustment reasons (CARC)",
        section=SECTION,
        permissions=("outbound.view_adjudication",),
        build=_carcs,
        description="The CAS group and reason codes adjusted most over the last 90 days.",
    )
)
