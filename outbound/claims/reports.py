"""Claims reports (entries of the report registry): the SLA board, rejections by edit per
partner, the edits table. Ids, codes and counts only (no PHI): the claim view permission
suffices. ``?days=N`` (default 30) sets the rejection report's period.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from edi_platform.core.params import int_param
from edi_platform.core.reports import Report, register_report

from .selectors import claims_past_sla, edits_table, rejections_by_edit, sla_minutes

DEFAULT_DAYS = 30
SECTION = "Outbound"


def _late(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "partner",
        "batch",
        "header",
        "ST02",
        "claims",
        "received",
        "age (min)",
        "SLA (min)",
        "waiting for",
    ]
    sla = sla_minutes()
    rows = (
        [
            r.partner,
            r.batch_id,
            r.header_id,
            r.st02,
            r.claims,
            r.received_at.isoformat(),
            r.age_minutes,
            sla,
            r.state,
        ]
        for r in claims_past_sla()
    )
    return header, rows


def _rejections(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    days = max(1, min(int_param(request.GET.get("days"), default=DEFAULT_DAYS) or 1, 3660))
    header = ["partner", "edit", "STC", "meaning", "claims", "last seen"]
    rows = (
        [r.partner, r.edit, r.stc, r.meaning, r.claims, r.last_seen.isoformat()]
        for r in rejections_by_edit(days=days)
    )
    return header, rows


def _edits(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["code", "STC", "meaning", "what it checks", "switchable", "switched off for"]
    rows = (
        [
            e.code,
            e.stc,
            e.meaning,
            e.description,
            "yes" if e.switchable else "always on",
            e.switched_off_for,
        ]
        for e in edits_table()
    )
    return header, rows


register_report(
    Report(
        slug="claims-past-sla",
        title="Claims past their 277CA SLA",
        section=SECTION,
        permissions=("outbound.view_claim",),
        build=_late,
        description=(
            "837 sets received longer ago than the 277CA SLA (4 h by default) whose 277CA "
            "is not assembled yet, or whose claims are not recorded (routing failed)."
        ),
    )
)
register_report(
    Report(
        slug="claim-rejections",
        title="Claim rejections by edit per partner",
        section=SECTION,
        permissions=("outbound.view_claim",),
        build=_rejections,
        description="Claims rejected in the 277CA over the last 30 days (?days=N), per edit.",
    )
)
register_report(
    Report(
        slug="claim-edits",
        title="Claim edits (the table) and who has them off",
        section=SECTION,
        permissions=("outbound.view_claimeditsetting",),
        build=_edits,
        description="Every rule a claim is judged by, its STC, and the partners it is off for.",
    )
)
