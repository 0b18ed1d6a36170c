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
    snip: int = 0  # WEDI SNIP type (1-5) of the rule broken; 0 = the engine classifies it
    contexts: tuple[Context, ...] = ()  # CTX after the IK4 (situational trigger)


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
    snip: int = 0  # WEDI SNIP type (1-5) of the rule broken; 0 = the engine classifies it


# WEDI SNIP types: 1 EDI syntax integrity, 2 implementation-guide requirements, 3 balancing,
# 4 situational (inter-segment) rules, 5 external code sets. Findings of the guide walker
# are 1 or 2 by their code; the SNIP 3-5 checks set their own type.
_SYNTAX_IK403 = frozenset({"2", "3", "4", "5", "6", "8", "9", "10", "12", "13"})
_SYNTAX_IK304 = frozenset({"1"})


def element_snip(issue: ElementIssue) -> int:
    """The SNIP type of an IK4 finding (its own when set, else by its IK403 code)."""
    if issue.snip:
        return issue.snip
    return 1 if issue.code in _SYNTAX_IK403 else 2


def segment_snip(issue: SegmentIssue) -> int:
    """The SNIP type of an IK3 finding: its own when set; a situational rule with a
    trigger context is type 4; IK304 8 takes the most basic type of its elements."""
    if issue.snip:
        return issue.snip
    code = issue.code or "8"
    if code == "8" and issue.elements:
        return min(element_snip(e) for e in issue.elements)
    if code in _SYNTAX_IK304:
        return 1
    if code in ("I6", "I9") and any(c.name == "SITUATIONAL TRIGGER" for c in issue.contexts):
        return 4
    return 2
