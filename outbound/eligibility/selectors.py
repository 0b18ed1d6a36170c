"""Eligibility reads: a partner's policy, the inquiries about a member, of a batch, the AAA
rejection report. Inquiry rows name members by aggregate id only; which member was asked
about is still PHI, so callers of :func:`member_inquiries` check ``eventstore.view_member``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from edi_platform.partners.models import TradingPartner
from outbound.models import EligibilityInquiry, EligibilityPolicy, InquiryResult

from .codes import FOLLOW_UP_ACTIONS, REJECT_REASONS
from .matching import Policy

__all__ = [
    "RejectionRow",
    "batch_inquiry_summary",
    "member_inquiries",
    "policy_for",
    "rejections_by_code",
]


def _split(text: str) -> list[str]:
    return [p for p in text.replace(",", " ").split() if p]


def policy_for(partner: TradingPartner) -> Policy:
    """The answering policy of ``partner``: its EligibilityPolicy row over the settings'
    defaults (``ELIGIBILITY_PAYER_IDS``, ``ELIGIBILITY_PAST_DAYS``,
    ``ELIGIBILITY_MAX_LAG_EVENTS``)."""
    row = EligibilityPolicy.objects.filter(partner=partner).first()
    payer_ids = set(_split(row.payer_ids)) if row is not None else set()
    if not payer_ids:
        payer_ids = {partner.our_isa_id.strip(), partner.our_gs_code.strip()}
        payer_ids |= set(_split(getattr(settings, "ELIGIBILITY_PAYER_IDS", "")))
    past_days = int(getattr(settings, "ELIGIBILITY_PAST_DAYS", 365))
    max_lag = int(getattr(settings, "ELIGIBILITY_MAX_LAG_EVENTS", 1000))
    if row is None:
        return Policy(
            payer_ids=frozenset(payer_ids - {""}), past_days=past_days, max_lag_events=max_lag
        )
    return Policy(
        payer_ids=frozenset(payer_ids - {""}),
        authorised_receivers=frozenset(_split(row.authorised_receivers)),
        member_sources=tuple(_split(row.member_sources)),
        require_last_name=row.require_last_name,
        require_birth_date=row.require_birth_date,
        name_search=row.name_search,
        past_days=past_days if row.past_days is None else row.past_days,
        future_days=row.future_days,
        realtime_window_minutes=row.realtime_window_minutes or 0,
        batch_window_minutes=row.batch_window_minutes,
        max_lag_events=max_lag,
    )


def member_inquiries(aggregate_id: str, *, limit: int = 200) -> QuerySet[EligibilityInquiry]:
    """The inquiries answered about one member, newest first, with who asked and the 271."""
    return (
        EligibilityInquiry.objects.filter(member_id=aggregate_id)
        .select_related("partner", "outcome", "outcome__outbound_file")
        .order_by("-answered_at", "-id")[:limit]
    )


def batch_inquiry_summary(batch_id: int) -> dict[str, int]:
    """Inquiries of one inbound batch by result (counts only: no PHI)."""
    counts = dict(
        EligibilityInquiry.objects.filter(batch_id=batch_id)
        .values_list("result")
        .annotate(n=Count("id"))
        .values_list("result", "n")
    )
    return {label: counts.get(value, 0) for value, label in InquiryResult.choices}


@dataclass(frozen=True)
class RejectionRow:
    partner: str
    loop: str
    code: str
    meaning: str
    follow_up: str
    count: int
    last_seen: dt.datetime


def rejections_by_code(*, days: int = 30, now: dt.datetime | None = None) -> list[RejectionRow]:
    """AAA rejections of the last ``days`` days per partner, loop and code (codes, counts)."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    grouped = (
        EligibilityInquiry.objects.filter(answered_at__gte=since, result=InquiryResult.REJECTED)
        .values("partner__code", "aaa_loop", "aaa_codes", "follow_up")
        .annotate(n=Count("id"), last=Max("answered_at"))
    )
    counts: Counter[tuple[str, str, str, str]] = Counter()
    last: dict[tuple[str, str, str, str], dt.datetime] = {}
    for row in grouped:
        for code in _split(row["aaa_codes"]):
            key = (row["partner__code"], row["aaa_loop"], code, row["follow_up"])
            counts[key] += row["n"]
            last[key] = max(last.get(key, row["last"]), row["last"])
    return [
        RejectionRow(
            partner=key[0],
            loop=key[1],
            code=key[2],
            meaning=REJECT_REASONS.get(key[2], ""),
            follow_up=f"{key[3]} {FOLLOW_UP_ACTIONS.get(key[3], '')}".strip(),
            count=counts[key],
            last_seen=last[key],
        )
        for key in sorted(counts, key=lambda k: (k[0], -counts[k], k[2]))
    ]
