"""Event-store models: the inbound registry and (issue 6) the enrollment event log."""

from .inbound import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    SetVerdict,
    TransactionBatch,
    TransactionHeader,
)

__all__ = [
    "BatchChannel",
    "BatchStatus",
    "RoutingStatus",
    "SetVerdict",
    "TransactionBatch",
    "TransactionHeader",
]
