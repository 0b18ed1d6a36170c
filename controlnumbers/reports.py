"""Control numbers' reports (entries of the report registry): the gap report is a page of
its own (filters, severity colours, totals, CSV) on the counters admin."""

from __future__ import annotations

from edi_platform.core.reports import Report, register_report

register_report(
    Report(
        slug="control-number-gaps",
        title="Control-number gap report",
        section="Control numbers",
        permissions=("controlnumbers.view_controlnumbercounter",),
        url_name="admin:controlnumbers_gap_report",
        description="Documented and unexplained gaps per counter and epoch, with severities.",
    )
)
