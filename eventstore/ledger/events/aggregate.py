"""The Member aggregate: a member (one person of a family at one partner) and its coverages.

State is a plain JSON-able dict so it can be snapshotted as is::

    {"exists": bool, "version": int, "last_position": int,
     "member": {<MEMBER_FIELDS>}, "enrollments": {coverage_key: {<ENROLLMENT_FIELDS>}}}

Dates are ISO strings. :func:`fold` is the single definition of what events mean; the
projector, replay, snapshots and the 834 handler all use it.

Reversals: a ``<Type>Reversed`` event voids the event it reverses. ``fold`` skips reversed
events and the reversal events themselves, so the state after "A, B, reverse B" is exactly
the state after "A" (later events are kept). A reversal of an event older than the state
it is applied to cannot be applied incrementally: :class:`NeedsFullFold` tells the caller to
fold the stream from the start.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, NamedTuple

MEMBER_FIELDS: dict[str, Any] = {
    "partner_code": "",
    "subscriber_id": "",
    "member_ref": "",
    "is_subscriber": True,
    "relationship": "",
    "last_name": "",
    "first_name": "",
    "middle_name": "",
    "birth_date": None,
    "gender": "",
    "address_line1": "",
    "address_line2": "",
    "city": "",
    "state": "",
    "postal_code": "",
    "group_policy": "",
    "benefit_status": "",
    "maintenance_reason": "",
    "terminated": False,
    "eligibility_begin": None,
    "eligibility_end": None,
}
ENROLLMENT_FIELDS: dict[str, Any] = {
    "plan": "",
    "coverage_level": "",
    "benefit_begin": None,
    "benefit_end": None,
    "terminated": False,
    "maintenance_reason": "",
    "version": 0,
    "last_position": 0,
}


class NeedsFullFold(Exception):
    """A reversal refers to an event already folded into the given state."""


class EventRecord(NamedTuple):
    """What the fold needs of a stored event (data already upcast to the current version).

    A named tuple: replays create one per event, and a frozen dataclass costs several times
    more to create.
    """

    position: int
    aggregate_id: str
    version: int
    event_type: str
    data: dict[str, Any]
    is_reversal: bool = False
    reverses_position: int | None = None


def empty_state() -> dict[str, Any]:
    return {
        "exists": False,
        "version": 0,
        "last_position": 0,
        "member": dict(MEMBER_FIELDS),
        "enrollments": {},
    }


_MEMBER_KEYS = frozenset(MEMBER_FIELDS)


def _member_added(state: dict[str, Any], data: dict[str, Any]) -> None:
    member = dict(MEMBER_FIELDS)
    for key in data.keys() & _MEMBER_KEYS:  # only the keys present (set intersection in C)
        member[key] = data[key]
    name = data.get("name") or {}
    address = data.get("address") or {}
    member["last_name"] = name.get("last", "")
    member["first_name"] = name.get("first", "")
    member["middle_name"] = name.get("middle", "")
    member["address_line1"] = address.get("line1", "")
    member["address_line2"] = address.get("line2", "")
    member["city"] = address.get("city", "")
    member["state"] = address.get("state", "")
    member["postal_code"] = address.get("postal_code", "")
    member["terminated"] = False
    state["member"] = member
    state["exists"] = True


def _enrollment(state: dict[str, Any], key: str) -> dict[str, Any]:
    enrollments = state["enrollments"]
    if key not in enrollments:
        enrollments[key] = dict(ENROLLMENT_FIELDS)
    return enrollments[key]


def apply(state: dict[str, Any], record: EventRecord) -> None:
    """Apply one (non-reversal) event to ``state`` in place."""
    kind = record.event_type
    data = record.data
    member = state["member"]
    if kind == "MemberAdded":
        _member_added(state, data)
    elif kind == "MemberChanged":
        member.update(data["changes"])
    elif kind == "MemberTerminated":
        member["terminated"] = True
        member["eligibility_end"] = data.get("terminated_on")
        for key in ("maintenance_reason", "benefit_status"):
            if data.get(key):
                member[key] = data[key]
    elif kind == "MemberReinstated":
        member["terminated"] = False
        member["eligibility_end"] = None
        for key in ("eligibility_begin", "maintenance_reason", "benefit_status"):
            if data.get(key):
                member[key] = data[key]
    elif kind.startswith("Enrollment"):
        enrollment = _enrollment(state, data["coverage_key"])
        if kind == "EnrollmentAdded":
            enrollment.update(ENROLLMENT_FIELDS)
            for key in ("plan", "coverage_level", "benefit_begin", "benefit_end"):
                enrollment[key] = data.get(key, ENROLLMENT_FIELDS[key])
            enrollment["maintenance_reason"] = data.get("maintenance_reason", "")
        elif kind == "EnrollmentChanged":
            enrollment.update(data["changes"])
        elif kind == "EnrollmentTerminated":
            enrollment["terminated"] = True
            enrollment["benefit_end"] = data["benefit_end"]
            enrollment["maintenance_reason"] = data.get("maintenance_reason", "")
        elif kind == "EnrollmentReinstated":
            enrollment["terminated"] = False
            enrollment["benefit_end"] = data.get("benefit_end")
            if data.get("benefit_begin"):
                enrollment["benefit_begin"] = data["benefit_begin"]
            enrollment["maintenance_reason"] = data.get("maintenance_reason", "")
        else:
            raise ValueError(f"unknown event type {kind}")
        enrollment["version"] = record.version
        enrollment["last_position"] = record.position
    else:
        raise ValueError(f"unknown event type {kind}")


def fold(records: Iterable[EventRecord], state: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fold events (in version order) onto ``state`` (a copy) or onto an empty state.

    Raises :class:`NeedsFullFold` when a reversal in ``records`` voids an event that is
    already part of ``state``.
    """
    records = list(records)
    reversed_positions = {r.reverses_position for r in records if r.is_reversal}
    if state is None:
        state = empty_state()
    else:
        if reversed_positions and min(reversed_positions) <= state["last_position"]:
            raise NeedsFullFold
        state = copy.deepcopy(state)
    for record in records:
        if not (record.is_reversal or record.position in reversed_positions):
            apply(state, record)
        state["version"] = record.version
        state["last_position"] = record.position
    return state


def coverage_span(state: dict[str, Any]) -> tuple[str | None, str | None]:
    """(earliest benefit begin, latest end or None when any coverage is open-ended)."""
    if not state["enrollments"]:
        member = state["member"]
        return member.get("eligibility_begin"), member.get("eligibility_end")
    begins = [e["benefit_begin"] for e in state["enrollments"].values() if e["benefit_begin"]]
    ends = [e["benefit_end"] for e in state["enrollments"].values()]
    begin = min(begins) if begins else state["member"].get("eligibility_begin")
    if not ends:
        end = state["member"].get("eligibility_end")
    elif any(end is None for end in ends):
        end = None
    else:
        end = max(ends)
    return begin, end
