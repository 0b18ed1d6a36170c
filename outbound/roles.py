"""What the three permission roles may do in outbound (see :mod:`edi_platform.core.groups`):
auditors read files, outcomes, the outbox and operator actions without their content;
operators read contents and reprocess, resubmit and run the schedules; administrators
edit batch windows, eligibility policies and the claim edits per partner."""

from __future__ import annotations

from edi_platform.core.groups import ADMINISTRATOR, AUDITOR, OPERATOR, grant

grant(
    AUDITOR,
    "outbound.view_outboundfile",
    "outbound.view_quarantinedfile",
    "outbound.view_processingoutcome",
    "outbound.view_outboxmessage",
    "outbound.view_deadletter",
    "outbound.view_operatoraction",
    "outbound.view_batchwindow",
    "outbound.view_eligibilitypolicy",
    "outbound.view_eligibilityinquiry",  # the rows themselves need view_member too
    "outbound.view_claim",  # counts on batch pages and reports; the rows need view_member
    "outbound.view_claimeditsetting",
    "outbound.view_remittanceimport",
    "outbound.view_remittancepayment",
    "outbound.view_adjudication",  # the rows themselves need view_member too
)
grant(
    OPERATOR,
    "outbound.view_file_content",  # PHI: file previews, downloads, outcome payloads
    "outbound.change_outboundfile",  # reprocess quarantined files, "run now"
    "outbound.change_quarantinedfile",
    "outbound.change_outboxmessage",  # resubmit dead letters
    "outbound.change_deadletter",
    "outbound.add_remittanceimport",  # import adjudication results (the admin upload)
)
grant(
    ADMINISTRATOR,
    "outbound.change_batchwindow",
    "outbound.add_eligibilitypolicy",
    "outbound.change_eligibilitypolicy",
    "outbound.add_claimeditsetting",  # business edits on / off per partner
    "outbound.change_claimeditsetting",
    "outbound.delete_claimeditsetting",
)
