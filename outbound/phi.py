"""What PHI outbound's models can hold (see :mod:`edi_platform.core.phi`)."""

from __future__ import annotations

from edi_platform.core.phi import classify

VIEW_FILE_CONTENT = "outbound.view_file_content"

classify(
    "outbound.ProcessingOutcome",
    permission=VIEW_FILE_CONTENT,
    fields=("payload",),
    what="response contents: a 999's IK404 copies of bad values and CTX member ids; "
    "271/277 answers",
)
classify(
    "outbound.OutboundFile",
    permission=VIEW_FILE_CONTENT,
    fields=("preview", "download_link"),
    what="the file we send (preview, download): the same contents as its outcomes",
)
for label in ("BatchWindow", "OutboxMessage", "OperatorAction"):
    classify(f"outbound.{label}")
# eligibility: which member was asked about, and what we answered
classify(
    "outbound.EligibilityInquiry",
    permission="eventstore.view_member",
    fields=("*",),
    what="inquiries answered: the member asked about and the 271 answer given",
)
classify("outbound.EligibilityPolicy")  # match rules and authorised receivers (NPIs)
# claims: who the patient is, their member ids, the patient control number, our verdict
classify(
    "outbound.Claim",
    permission="eventstore.view_member",
    fields=("*",),
    what="claims received: the patient's name, birth date and member ids, the patient "
    "control number, charges and our verdict",
)
classify("outbound.ClaimEditSetting")  # which edits are on per partner
classify("outbound.ClaimNumberCounter")  # the last claim control number given
# remittance: the adjudication of a claim (whose patient it is, what they owe)
classify(
    "outbound.Adjudication",
    permission="eventstore.view_member",
    fields=("*",),
    what="adjudications: a claim's payment, the patient's responsibility, payer claim id",
)
classify("outbound.RemittanceImport")  # file names, hashes and counts
classify("outbound.RemittancePayment")  # payee NPI/tax id, amounts, trace numbers
# which claim a 277 answered and with what status: about one patient's claim
classify(
    "outbound.StatusAnswer",
    permission="eventstore.view_member",
    fields=("*",),
    what="277 answers: which claim a 276 asked about and the status sent",
)
