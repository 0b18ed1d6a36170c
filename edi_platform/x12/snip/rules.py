"""The shapes of the SNIP 4 rules and SNIP 5 code-set fields written as data beside the guide
definitions (``guides/definitions/snip_*.py``).

A :class:`Match` picks segments: an ID and conditions on its elements (``position``,
``component`` inside a composite, 0 = the whole element; ``values`` None = "present").

Situational rule kinds (:class:`Rule`):

* ``requires_segment`` — in each instance of loop ``scope`` where ``trigger`` occurs (in
  that loop itself), ``target`` must occur too, read in loop ``target_scope`` (default the
  same loop: a 2330B REF*F8 is not the claim's) (IK304 I6 "implementation dependent
  segment missing");
* ``forbids_segment`` — ... ``target`` must not occur (IK304 I9, accepted with errors);
* ``requires_element`` — on a ``trigger`` segment, element ``element`` (``component``) is
  required (IK403 I9);
* ``forbids_element`` — ... must be absent (IK403 I13, accepted with errors);
* ``value_in`` — on a ``trigger`` segment, ``element`` must be one of ``values`` or, with
  ``code_list``, a code of that list effective on the service date (IK403 7);
* ``not_same_as`` — a ``target`` segment (read in loop ``target_scope``) whose ``element``
  equals that of the ``reference`` segment of the enclosing loop ``scope`` repeats it: "not
  used" then (IK304 I9);
* ``pointers_within`` — the pointer components of ``element`` on ``trigger`` must each name
  one of the diagnoses sent in the claim's HI segments (IK403 7).

Findings carry a SITUATIONAL TRIGGER context naming the segment whose value triggered them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Cond",
    "Field",
    "Match",
    "Predicate",
    "Rule",
    "element_value",
    "exact_key",
    "key_of",
    "predicate",
]

Predicate = Callable[[list[str], str], bool]


@dataclass(frozen=True, slots=True)
class Cond:
    """Element ``position`` (1-based; ``component`` 1-based, 0 = whole element) is one of
    ``values`` (None: is present); ``negate`` inverts it."""

    position: int
    values: frozenset[str] | None = None
    component: int = 0
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """A segment ID and conditions that must all hold on it."""

    segment: str
    conditions: tuple[Cond, ...] = ()
    any_of: tuple[Cond, ...] = ()  # at least one of these holds (when given)


@dataclass(frozen=True, slots=True)
class Rule:
    """A situational rule of one guide family (SNIP type 4)."""

    id: str
    kind: str
    trigger: Match
    note: str  # the guide's words, for people
    scope: str = ""  # loop in which trigger and target meet
    target: Match | None = None
    element: int = 0
    component: int = 0
    values: frozenset[str] | None = None
    code_list: str = ""
    reference: Match | None = None
    loop_id: str = ""  # the target's loop, for IK303
    target_scope: str = ""  # the loop the target is read in (default: ``scope``)


@dataclass(frozen=True, slots=True)
class Field:
    """Where a code set is used (SNIP type 5): on segments matching ``match``, element
    ``element`` (``component``) holds a value checked by ``check`` (npi, ein, taxonomy,
    postal, diagnosis, procedure, revenue, or the name of a dated code list)."""

    match: Match
    element: int
    check: str
    component: int = 0
    derivative: bool = False  # reports an earlier adjudication: deactivated codes allowed


def C(position: int, *values: str, component: int = 0, negate: bool = False) -> Cond:
    """Shorthand for a condition: ``C(3, "20")`` = element 3 is 20; ``C(4)`` = present."""
    return Cond(position, frozenset(values) if values else None, component, negate)


def M(segment: str, *conditions: Cond, any_of: tuple[Cond, ...] = ()) -> Match:
    """Shorthand for a segment match."""
    return Match(segment, tuple(conditions), any_of)


def element_value(els: list[str], position: int, component: int, cs: str) -> str:
    """Element ``position`` (1-based) of a segment's elements, or its ``component``."""
    value = els[position - 1] if position <= len(els) else ""
    if component and value:
        parts = value.split(cs)
        value = parts[component - 1] if component <= len(parts) else ""
    return value


def _cond_predicate(cond: Cond) -> Predicate:
    p0, values, component, negate = cond.position - 1, cond.values, cond.component, cond.negate
    if not component:
        # the common shapes get a dedicated closure: one bounds test and one lookup
        if values is None:
            if negate:
                return lambda els, cs: not (p0 < len(els) and els[p0] != "")
            return lambda els, cs: p0 < len(els) and els[p0] != ""
        if negate:
            return lambda els, cs: not (p0 < len(els) and els[p0] in values)
        return lambda els, cs: p0 < len(els) and els[p0] in values

    def general(els: list[str], cs: str) -> bool:
        value = element_value(els, cond.position, component, cs)
        result = bool(value) if values is None else value in values
        return result != negate

    return general


def predicate(match: Match) -> Predicate:
    """A fast test of ``match``'s conditions on a segment's elements (the segment ID is
    the caller's dispatch key)."""
    conds = match.conditions
    if len(conds) > 1 and not match.any_of and all(not c.component for c in conds):
        # several whole-element conditions (NM101 85 and NM108 XX): one loop, no calls
        plain = tuple((c.position - 1, c.values, c.negate) for c in conds)

        def every(els: list[str], cs: str) -> bool:
            n = len(els)
            for p0, values, negate in plain:
                if p0 < n:
                    value = els[p0]
                    held = value != "" if values is None else value in values
                else:
                    held = False
                if held == negate:
                    return False
            return True

        return every
    alls = [_cond_predicate(c) for c in match.conditions]
    anys = [_cond_predicate(c) for c in match.any_of]
    if not anys:
        if not alls:
            return lambda els, cs: True
        if len(alls) == 1:
            return alls[0]
        return lambda els, cs: all(test(els, cs) for test in alls)
    return lambda els, cs: (
        all(test(els, cs) for test in alls) and any(test(els, cs) for test in anys)
    )


def key_of(match: Match) -> Cond | None:
    """A condition a hook can be keyed on (called only for segments where it holds): the
    first "element p (or one of its components) is one of these codes", else an element
    that must be present or absent; for ``any_of`` conditions all on one element, that
    element's presence (a prefilter: the hook still tests the whole match). None when no
    condition fits."""
    conds = match.conditions
    for cond in conds:
        if cond.values and not cond.negate:
            return cond
    for cond in conds:
        if cond.values is None and not cond.component:
            return cond
    positions = {c.position for c in match.any_of}
    if len(positions) == 1 and all(not c.negate for c in match.any_of):
        return Cond(positions.pop())
    return None


def exact_key(match: Match) -> Cond | None:
    """A key that is the whole match (one plain condition): the hook needs no other test."""
    key = key_of(match)
    if key is not None and match.conditions == (key,) and not match.any_of:
        return key
    return None
