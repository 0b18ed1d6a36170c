"""Outbound's reports (entries of the report registry, :mod:`edi_platform.core.reports`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from edi_platform.core.reports import Report, register_report

from .selectors import pending_summary

SECTION = "Outbound"


def _pending(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["partner", "response type", "pending", "claimed", "oldest (min)", "SLA (min)"]
    rows = (
        [
            r["partner"],
            r["response_type"],
            r["count"],
            r["claimed"],
            r["age_minutes"],
            "" if r["sla_minutes"] is None else r["sla_minutes"],
        ]
        for r in pending_summary()
    )
    return header, rows


register_report(
    Report(
        slug="pending-outcomes",
        title="Pending acknowledgments and responses against their SLA",
        section=SECTION,
        permissions=("outbound.view_processingoutcome",),
        build=_pending,
        description="Per partner and response type: how many are owed and the oldest's age.",
    )
)
