"""Findings reported by the implementation-guide validator, shaped like 999 IK3/IK4/CTX."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ElementIssue:
    """An IK4: one element-level error inside a segment."""

    position: int  # IK401-1: element position in the segment
    code: str  # IK403: 1-10, 12, 13, I6, I9-I13
    component: int | None = None  # IK401-2
    repetition: int | None = None  # IK401-3
    reference: str | None = None  # IK402: data element reference number
    bad_value: str | None = None  # IK404 (copy of the bad data element)
    name: str = ""  # element name for people, e.g. "Member Birth Date"


@dataclass(slots=True)
class Context:
    """A CTX segment: business unit context (e.g. CLM01) or segment context."""

    name: str  # CTX01-1, e.g. "CLM01" or "SITUATIONAL TRIGGER"
    reference: str = ""  # CTX01-2
    segment_id: str | None = None  # CTX02 when it is a segment context
    position: int | None = None  # CTX03
    loop_id: str | None = None  # CTX04
    element_position: int | None = None  # CTX05


@dataclass(slots=True)
class SegmentIssue:
    """An IK3 (with its IK4s and CTXs): one segment-level finding inside a transaction set."""

    segment_id: str  # IK301
    position: int  # IK302: position in the set, ST = 1
    loop_id: str | None  # IK303
    code: str | None  # IK304 (1-8, I4, I6-I9); "8" when only element errors
    line: int = 0
    elements: list[ElementIssue] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)
    rejects: bool = True  # False: accepted-with-errors per the guide's severity
    message: str = ""  # human-readable, no data values (PHI-safe)
