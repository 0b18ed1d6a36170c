"""What PHI the event store's models can hold (see :mod:`edi_platform.core.phi`)."""

from __future__ import annotations

from edi_platform.core.phi import classify

VIEW_MEMBER = "eventstore.view_member"

# inbound: the registry holds ids, codes, counts and positions; the raw file is the PHI
classify(
    "eventstore.TransactionBatch",
    permission="eventstore.view_raw_file",
    what="the raw received file (download): every member and claim it carries",
)
classify("eventstore.TransactionHeader")
# the ledger: payloads, members, enrollments, reconciliation details
classify(
    "eventstore.DomainEvent",
    permission=VIEW_MEMBER,
    fields=("data",),
    what="event payloads: names, birth dates, member ids, addresses, coverages",
)
for label in ("Member", "Enrollment", "MemberRebuild", "EnrollmentRebuild"):
    classify(
        f"eventstore.{label}",
        permission=VIEW_MEMBER,
        fields=("*",),
        what="the member projections: every row is a person's data",
    )
classify(
    "eventstore.EventSnapshot",
    permission=VIEW_MEMBER,
    fields=("state",),
    what="a member's folded state",
)
classify(
    "eventstore.ReconciliationReport",
    permission=VIEW_MEMBER,
    fields=("details",),
    what="per-member differences between a full 834 and the projection",
)
classify("eventstore.IngestionRun")  # file counts, names and paths, timings
classify("eventstore.IngestionStep")  # a file path, its sha256, counts, error codes
for label in ("PositionCounter", "ProjectionCheckpoint", "ProjectionLagAlert", "BatchReversal"):
    classify(f"eventstore.{label}")
