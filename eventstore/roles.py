"""What the three permission roles may do in the event store (see
:mod:`edi_platform.core.groups`): auditors read the registry and the log without PHI,
operators read members and upload and reprocess files, administrators download raw files
and reverse batches."""

from __future__ import annotations

from edi_platform.core.groups import ADMINISTRATOR, AUDITOR, OPERATOR, grant

grant(
    AUDITOR,
    "eventstore.view_transactionbatch",
    "eventstore.view_transactionheader",
    "eventstore.view_domainevent",  # payloads stay hidden without view_member
    "eventstore.view_reconciliationreport",  # details stay hidden without view_member
    "eventstore.view_projectionlagalert",
    "eventstore.view_batchreversal",
    "eventstore.view_ingestionrun",
    "eventstore.view_ingestionstep",
)
grant(
    OPERATOR,
    "eventstore.view_member",  # PHI: member history, enrollments, event payloads
    "eventstore.view_enrollment",
    "eventstore.add_transactionbatch",  # upload files
    "eventstore.change_transactionbatch",  # reprocess batches
)
grant(
    ADMINISTRATOR,
    "eventstore.view_raw_file",  # PHI: the raw received files
    "eventstore.reverse_batch",
)
