"""Event-store models: the inbound registry (inbound/) and the enrollment event log (ledger/)."""

from eventstore.inbound.models import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    SetVerdict,
    TransactionBatch,
    TransactionHeader,
)
from eventstore.inbound.run_models import IngestionRun, IngestionStep, RunStatus, StepStatus
from eventstore.ledger.models import (
    EVENTS_COUNTER,
    BatchReversal,
    DomainEvent,
    Enrollment,
    EnrollmentRebuild,
    EnrollmentStatus,
    EventSnapshot,
    LagAlertKind,
    Member,
    MemberRebuild,
    PositionCounter,
    ProjectionCheckpoint,
    ProjectionLagAlert,
    ReconciliationReport,
)

__all__ = [
    "EVENTS_COUNTER",
    "BatchChannel",
    "BatchReversal",
    "BatchStatus",
    "DomainEvent",
    "Enrollment",
    "EnrollmentRebuild",
    "EnrollmentStatus",
    "EventSnapshot",
    "IngestionRun",
    "IngestionStep",
    "LagAlertKind",
    "Member",
    "MemberRebuild",
    "PositionCounter",
    "ProjectionCheckpoint",
    "ProjectionLagAlert",
    "ReconciliationReport",
    "RoutingStatus",
    "RunStatus",
    "SetVerdict",
    "StepStatus",
    "TransactionBatch",
    "TransactionHeader",
]
