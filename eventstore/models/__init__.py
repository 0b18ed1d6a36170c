"""Event-store models: the inbound registry and (issue 6) the enrollment event log."""

from .events import (
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
from .inbound import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    SetVerdict,
    TransactionBatch,
    TransactionHeader,
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
    "LagAlertKind",
    "Member",
    "MemberRebuild",
    "PositionCounter",
    "ProjectionCheckpoint",
    "ProjectionLagAlert",
    "ReconciliationReport",
    "RoutingStatus",
    "SetVerdict",
    "TransactionBatch",
    "TransactionHeader",
]
