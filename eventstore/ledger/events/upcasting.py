"""Upcasting: the one place where old schema versions become the current one.

Every reader of events (fold, projector, replay, selectors) and of snapshots goes through
:func:`upcast_event` / :func:`upcast_state`, so the rest of the code only knows the current
shapes. An upcaster takes the payload at version n and returns it at version n + 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schemas import CURRENT_VERSIONS, UnknownEventType

Payload = dict[str, Any]


def _member_added_1_to_2(data: Payload) -> Payload:
    out = {k: v for k, v in data.items() if k not in _FLAT_ADDRESS}
    out["address"] = {new: data.get(old, "") for old, new in _FLAT_ADDRESS.items()}
    return out


_FLAT_ADDRESS = {
    "address_line1": "line1",
    "address_line2": "line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
}

EVENT_UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {
    ("MemberAdded", 1): _member_added_1_to_2,
}


def upcast_event(event_type: str, schema_version: int, data: Payload) -> Payload:
    """``data`` written at ``schema_version`` as the current version of ``event_type``."""
    current = CURRENT_VERSIONS.get(event_type)
    if current is None:
        raise UnknownEventType(f"unknown event type {event_type}")
    version = schema_version
    while version < current:
        step = EVENT_UPCASTERS.get((event_type, version))
        if step is None:
            raise UnknownEventType(f"no upcaster for {event_type} v{version}")
        data = step(data)
        version += 1
    return data


# Snapshot state format. v1 stored enrollments as a list; v2 keys them by coverage (HD03).
STATE_VERSION = 2


def _state_1_to_2(state: Payload) -> Payload:
    out = dict(state)
    out["enrollments"] = {e["coverage_key"]: e for e in state.get("enrollments", [])}
    for enrollment in out["enrollments"].values():
        enrollment.pop("coverage_key", None)
    return out


STATE_UPCASTERS: dict[int, Callable[[Payload], Payload]] = {1: _state_1_to_2}


def upcast_state(state_version: int, state: Payload) -> Payload:
    """A snapshot's state written at ``state_version`` in the current state format."""
    version = state_version
    while version < STATE_VERSION:
        state = STATE_UPCASTERS[version](state)
        version += 1
    return state
