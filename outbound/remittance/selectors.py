"""Remittance reads: a claim's adjudications and its 277 answers as journey steps, its
status now (what a 277 answers), and the reports (paid / denied / pending by partner and
period; top CARCs).

Adjudication rows are PHI through their claim (callers of the journey check
``eventstore.view_member``); the reports return partner codes, codes, counts and sums only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from edi_platform.x12.codelists import get_list
from outbound.claims.selectors import JourneyStep
from outbound.models import Adjudication, Claim, ClaimStatus, StatusAnswer

__all__ = [
    "CLAIM_STATUS_TEXT",
    "CarcRow",
    "PeriodRow",
    "claim_remittance_steps",
    "claim_status_steps",
    "remittance_by_partner",
    "top_carcs",
]

CLAIM_STATUS_TEXT = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded",
    "20": "processed as secondary, forwarded",
    "21": "processed as tertiary, forwarded",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded",
    "25": "predetermination pricing only, no payment",
}
DENIED = ("4",)


def claim_remittance_steps(claim: Claim) -> list[JourneyStep]:
    """One "835" step per adjudication of ``claim`` (oldest first): status, amounts,
    adjustments, the payment and its file."""
    steps = []
    rows = (
        Adjudication.objects.filter(claim=claim).select_related("payment__outcome").order_by("id")
    )
    for a in rows:
        payment = a.payment
        outcome = payment.outcome
        cas = ", ".join(f"{x[0]}-{x[1]} {x[2]}" for x in a.adjustments) or "none"
        state = outcome.get_status_display().lower() if outcome else "not staged"
        steps.append(
            JourneyStep(
                "835",
                outcome.assembled_at if outcome else a.adjudicated_at,
                f"CLP02 {a.status} ({CLAIM_STATUS_TEXT.get(a.status, '?')}): charge "
                f"{a.charge}, paid {a.paid}, patient responsibility "
                f"{a.patient_responsibility}; CAS {cas}"
                + (f"; RARC {', '.join(a.remarks)}" if a.remarks else "")
                + f"; {payment.get_method_display()} {payment.trace_number} of "
                f"{payment.paid_on:%Y-%m-%d} ({payment.amount}); 835 {state}",
                outbound_file_id=outcome.outbound_file_id if outcome else None,
            )
        )
    return steps


def claim_status_steps(claim: Claim) -> list[JourneyStep]:
    """One "277" step per 277 answer about ``claim`` (oldest first): the status sent, the
    service lines answered, and the 277's file."""
    categories = get_list("claim_status_category")
    steps = []
    rows = StatusAnswer.objects.filter(claim=claim).select_related("outcome").order_by("id")
    for answer in rows:
        outcome = answer.outcome
        entry = categories.codes.get(answer.category) if categories else None
        state = outcome.get_status_display().lower() if outcome else "not staged"
        steps.append(
            JourneyStep(
                "277",
                outcome.assembled_at if outcome and outcome.assembled_at else answer.answered_at,
                f"STC {answer.category}:{answer.status_code}"
                + (f" ({entry[2]})" if entry else "")
                + (f"; {answer.lines} service line(s) answered" if answer.lines else "")
                + f"; answer to a 276 (batch {outcome.batch_id if outcome else '?'}); 277 {state}",
                outbound_file_id=outcome.outbound_file_id if outcome else None,
                batch_id=outcome.batch_id if outcome else None,
            )
        )
    return steps


@dataclass(frozen=True)
class PeriodRow:
    partner: str
    period: dt.date  # first day of the month
    received: int
    paid: int
    denied: int
    pending: int
    paid_amount: Decimal


def remittance_by_partner(*, days: int = 90, now: dt.datetime | None = None) -> list[PeriodRow]:
    """Claims accepted in the last ``days`` days, per partner and month received: how many
    were paid, denied (CLP02 4, their newest adjudication) and are still pending."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    latest = {
        claim_id: (status, paid)
        for claim_id, status, paid in Adjudication.objects.filter(claim__received_at__gte=since)
        .order_by("claim_id", "id")
        .values_list("claim_id", "status", "paid")
    }
    counts: dict[tuple[str, dt.date], list] = {}
    rows = (
        Claim.objects.filter(status=ClaimStatus.ACCEPTED, received_at__gte=since)
        .annotate(month=TruncMonth("received_at"))
        .values_list("id", "partner__code", "month")
    )
    for claim_id, partner, month in rows.iterator(chunk_size=5000):
        key = (partner, month.date() if isinstance(month, dt.datetime) else month)
        row = counts.setdefault(key, [0, 0, 0, 0, Decimal(0)])
        row[0] += 1
        found = latest.get(claim_id)
        if found is None:
            row[3] += 1
        elif found[0] in DENIED:
            row[2] += 1
        else:
            row[1] += 1
            row[4] += found[1]
    return [
        PeriodRow(partner, month, *values) for (partner, month), values in sorted(counts.items())
    ]


@dataclass(frozen=True)
class CarcRow:
    group: str
    carc: str
    description: str
    adjustments: int
    claims: int
    amount: Decimal


def top_carcs(*, days: int = 90, limit: int = 50, now: dt.datetime | None = None) -> list[CarcRow]:
    """The CARCs adjusted most often over the last ``days`` days (by adjudication date)."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    times: Counter[tuple[str, str]] = Counter()
    claims: Counter[tuple[str, str]] = Counter()
    amounts: dict[tuple[str, str], Decimal] = {}
    rows = Adjudication.objects.filter(adjudicated_at__gte=since).values_list("adjustments")
    for (adjustments,) in rows.iterator(chunk_size=5000):
        seen = set()
        for group, reason, amount, *_ in adjustments or ():
            key = (group, reason)
            times[key] += 1
            amounts[key] = amounts.get(key, Decimal(0)) + Decimal(amount)
            seen.add(key)
        claims.update(seen)
    carc = get_list("carc")
    out = []
    for key in sorted(times, key=lambda k: (-times[k], k))[:limit]:
        n = times[key]
        entry = carc.codes.get(key[1]) if carc else None
        out.append(CarcRow(key[0], key[1], entry[2] if entry else "", n, claims[key], amounts[key]))
    return out


def adjudication_totals(claim_ids: list[int]) -> dict[int, Adjudication]:
    """The newest adjudication of each claim (with its payment): what a 277 reports."""
    out: dict[int, Adjudication] = {}
    for a in (
        Adjudication.objects.filter(claim_id__in=claim_ids)
        .select_related("payment")
        .order_by("claim_id", "-id")
    ):
        out.setdefault(a.claim_id, a)
    return out


def adjudication_count(claim_ids: list[int]) -> dict[int, int]:
    return dict(
        Adjudication.objects.filter(claim_id__in=claim_ids)
        .values_list("claim_id")
        .annotate(n=Count("id"))
        .values_list("claim_id", "n")
    )
