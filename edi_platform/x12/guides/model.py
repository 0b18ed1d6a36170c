"""Declarative (uncompiled) implementation-guide definitions.

A guide is a tree: the transaction-set loop holds segments and loops in guide order; a
segment holds simple elements and composites. These plain dataclasses are what the
pyx12 XML loader and our own Python definitions produce; :mod:`.compiler` turns them
into the lookup tables the walker uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNBOUNDED = 1_000_000  # ">1" in a guide: no practical limit


@dataclass(slots=True)
class ElementDef:
    """A simple data element (or a component of a composite)."""

    seq: int  # position in the segment (or in the composite), 1-based
    ref: str  # data element reference number, e.g. "1251"
    name: str
    usage: str  # R, S or N
    data_type: str  # AN, ID, N0-N9, R, DT, TM, B
    min_len: int
    max_len: int
    codes: frozenset[str] | None = None  # guide code list
    external: str | None = None  # external code set name (states, country, ...)
    regex: str | None = None  # guide pattern (IK403 I12 on failure)
    repeat: int = 1  # maximum repetitions
    min_repeat: int = 0  # implementation minimum repetitions (IK403 I11 below it)


@dataclass(slots=True)
class CompositeDef:
    """A composite data structure; ``components`` are ElementDefs (seq inside the composite)."""

    seq: int
    ref: str
    name: str
    usage: str
    components: list[ElementDef] = field(default_factory=list)
    repeat: int = 1


@dataclass(slots=True)
class SegmentDef:
    """A segment at one place in the guide."""

    id: str
    name: str
    usage: str  # R, S or N
    max_use: int = 1
    elements: list[ElementDef | CompositeDef] = field(default_factory=list)
    syntax: list[str] = field(default_factory=list)  # e.g. "P0809", "C1110", "L101112"
    min_use: int = 0  # implementation minimum use (IK304 I8 below it); 0 = none
    pos: str = ""


@dataclass(slots=True)
class LoopDef:
    """A loop (or a pyx12 wrapper such as HEADER/DETAIL, which has no loop id of its own)."""

    id: str
    name: str
    usage: str
    repeat: int = 1
    children: list[LoopDef | SegmentDef] = field(default_factory=list)
    wrapper: bool = False
    min_repeat: int = 0  # implementation minimum (IK304 I7 below it); 0 = none
    pos: str = ""


@dataclass(slots=True)
class Condition:
    """``segment element == one of values`` (or present / absent), evaluated on one segment."""

    position: int  # element position (1-based)
    values: frozenset[str] | None = None  # None: "present"
    negate: bool = False  # True: "absent" (values None) or "not one of values"
    component: int = 0  # 1-based component, 0 = whole element


@dataclass(slots=True)
class SituationalRule:
    """A guide situational rule we can decide from the data.

    kinds:
      - "element_required": element ``target`` of ``segment`` is required when ``when`` holds
        on the same segment (IK403 I9 when missing);
      - "element_not_used": element ``target`` must be absent when ``when`` holds (IK403 I13);
      - "segment_required": inside ``loop``, when trigger segment ``trigger`` matches
        ``when``, segment ``segment`` must occur in the same loop instance (IK304 I6);
      - "segment_not_used": same shape, the segment (or a loop starting with it) must not
        occur (IK304 I9).
    ``segment``/``trigger`` are segment ids, optionally qualified "NM1*IL".
    """

    kind: str
    loop: str  # loop id the rule lives in ("" = any loop for element rules)
    segment: str
    target: int = 0
    trigger: str = ""
    when: Condition | None = None
    note: str = ""  # guide reference, for people


@dataclass(slots=True)
class GuideDef:
    """A whole guide: the ST..SE loop and metadata."""

    st01: str
    version: str  # e.g. "005010X222A1"
    name: str
    root: LoopDef
    functional_id: str = ""  # GS01
    rules: list[SituationalRule] = field(default_factory=list)
    # Business context for CTX: loop id -> (segment id, qualifier or "", element pos, CTX name)
    contexts: dict[str, tuple[str, str, int, str]] = field(default_factory=dict)
    source: str = ""
