"""Enrollment domain events: schemas, validation, upcasting, the 834 mapping, the fold."""

from .aggregate import EventRecord, NeedsFullFold, apply, empty_state, fold
from .schemas import CURRENT_VERSIONS, EVENT_TYPES, MEMBER, schema_for
from .upcasting import STATE_VERSION, upcast_event, upcast_state
from .validation import SchemaViolation, validate

__all__ = [
    "CURRENT_VERSIONS",
    "EVENT_TYPES",
    "MEMBER",
    "STATE_VERSION",
    "EventRecord",
    "NeedsFullFold",
    "SchemaViolation",
    "apply",
    "empty_state",
    "fold",
    "schema_for",
    "upcast_event",
    "upcast_state",
    "validate",
]
