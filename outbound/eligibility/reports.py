"""The eligibility report (an entry of the report registry): AAA rejections by code per partner.

Codes and counts only (no PHI), so the inquiry view permission suffices. ``?days=N``
(default 30) sets the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from edi_platform.core.reports import Report, register_report

from .selectors import rejections_by_code

DEFAULT_DAYS = 30


def _days(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("days", DEFAULT_DAYS)), 3660))
    except ValueError:
        return DEFAULT_DAYS


def _rejections(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["partner", "loop", "AAA03", "meaning", "AAA04 follow-up", "inquiries", "last seen"]
    rows = (
        [r.partner, r.loop, r.code, r.meaning, r.follow_up, r.count, r.last_seen]
        for r in rejections_by_code(days=_days(request))
    )
    return header, rows


register_report(
    Report(
        slug="eligibility-rejections",
        title="Eligibility rejections by AAA code per partner",
        section="Outbound",
        permissions=("outbound.view_eligibilityinquiry",),
        build=_rejections,
        description=(
            "271 AAA rejections of the last 30 days (?days=N for another period): per partner, "
            "loop and reject reason, with the follow-up action we asked for."
        ),
    )
)
