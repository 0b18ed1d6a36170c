"""Checks over one transaction set beyond the guide walk, in one pass over its segments.

Always on (they are syntax and guide requirements, SNIP types 1-2):

* trailing element separators: "optional data elements and their preceding separators that
  are not needed must be omitted at the end of a segment" (5010 TR3s, B.1.1.3.10), so
  ``NM1*...*~`` is an X12 syntax error (IK304 8; pyx12 reports it the same way);
* HL numbering in the hierarchical guides (X222A1, X223A2, X224A2, X279A1, X212, X214):
  HL01 starts at 1 and adds 1 with each HL of the set, and HL02 names an HL01 sent before it;
* LX numbering in the 837 service lines: LX01 starts at 1 in each claim and adds 1.

A numbering error is IK403 I12 on the element: HL01/HL02/LX01 are not codes (7) and their
characters are valid (6); the guide prescribes the value's pattern ("implementation pattern
match failure"). The SNIP 3-5 checks plug in as handlers per segment ID (:mod:`.snip`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from edi_platform.x12.issues import Context, ElementIssue, SegmentIssue
from edi_platform.x12.segments import Delimiters, Segment
from edi_platform.x12.snip import Program, Scope, SnipRun, run_keyed

__all__ = ["HL_LOOPS", "SetChecker"]

_DEFAULT_DELIMITERS = Delimiters()
_NO_SCOPE = Scope("", 0, None, None)  # the scope of a checker without SNIP 3-5 (unused)
SET_ENDERS = frozenset({"ST", "GE", "GS", "IEA", "ISA"})  # a set ends at these without SE

# HL03 (hierarchical level code) -> loop id, per guide version
_HL_837 = {"20": "2000A", "22": "2000B", "23": "2000C"}
_HL_X212 = {"20": "2000A", "21": "2000B", "19": "2000C", "22": "2000D", "23": "2000E"}
HL_LOOPS: dict[str, dict[str, str]] = {
    "005010X222A1": _HL_837,
    "005010X223A2": _HL_837,
    "005010X224A2": _HL_837,
    "005010X279A1": {"20": "2000A", "21": "2000B", "22": "2000C", "23": "2000D"},
    "005010X212": _HL_X212,
    "005010X214": {"20": "2000A", "21": "2000B", "19": "2000C", "PT": "2000D"},
}


# A plan entry: (checks called with (checker, segment); hook tables keyed on a whole
# element's value: (index, {value: hooks}); the other keyed tables, see snip.run_keyed;
# whether the segment ends the set (SE)). Segments that end a set without SE map to _END.
Entry = tuple[tuple[Callable[..., None], ...], tuple, tuple, bool]
Plan = dict[str, Entry | tuple[()]]
_END: tuple[()] = ()
_plans: dict[tuple[str, str | None, Program | None], Plan] = {}


def _plan(st01: str, version: str | None, program: Program | None) -> Plan:
    """Segment ID -> its :data:`Entry`, built once per set type, guide version and SNIP
    program (the checks are unbound methods and hooks, called with the checker)."""
    key = (st01, version, program)
    plan = _plans.get(key)
    if plan is None:
        built: dict[str, list[Callable[..., None]]] = {"SE": []}
        keyed: dict[str, tuple] = {}
        if version in HL_LOOPS:
            built.setdefault("HL", []).append(SetChecker._hl)
            if st01 == "837":
                built.setdefault("CLM", []).append(SetChecker._clm)
                built.setdefault("LX", []).append(SetChecker._lx)
        if program is not None:
            for sid, (entries, tables) in program.dispatch.items():
                built.setdefault(sid, []).extend(entries)
                keyed[sid] = tables
        plan = {}
        for sid, checks in built.items():
            tables = keyed.get(sid, ())
            # a whole element keyed on its value only: the short form (most tables)
            simple = tuple((t[0], t[2]) for t in tables if not (t[1] or t[3] or t[4]))
            general = tuple(t for t in tables if t[1] or t[3] or t[4])
            plan[sid] = (tuple(checks), simple, general, sid == "SE")
        for sid in SET_ENDERS:
            plan[sid] = _END
        _plans[key] = plan
    return plan


class SetChecker(SnipRun):
    """One set's extra checks; feed it the set's segments once (``run`` or ``observe``).

    The SNIP 3-5 run (:class:`~edi_platform.x12.snip.SnipRun`) is this same object: one
    per set, with the checks of each segment ID looked up in a plan built once."""

    __slots__ = ("_claim", "_hl_ids", "_hl_last", "_hl_loops", "_lx_last", "plan")

    def __init__(
        self,
        st01: str,
        version: str | None,
        *,
        program: Program | None = None,
        delimiters: Delimiters | None = None,
    ) -> None:
        # SnipRun.__init__ inlined (one checker per set: its set-up is per-set overhead);
        # without a program no hook reads a scope, so none is made
        self.program = program
        self.component = (delimiters or _DEFAULT_DELIMITERS).component or ":"
        self.issues: list[SegmentIssue] = []
        self.root = self.scope = Scope("", 0, None, None) if program is not None else _NO_SCOPE
        self.set_date = None
        plan = _plans.get((st01, version, program))
        self.plan = plan if plan is not None else _plan(st01, version, program)
        self._hl_loops = HL_LOOPS.get(version or "")
        self._hl_ids: set[str] = set()
        self._hl_last = 0
        self._lx_last = 0
        self._claim: Segment | None = None

    # -- feeding ----------------------------------------------------------------------------
    def check(self, seg: Segment) -> None:
        """Check one segment (the ST, before :meth:`collect` reads the rest)."""
        els = seg.elements
        if els and not els[-1]:
            self._trailing(seg)
        entry = self.plan.get(seg.id)
        if entry:
            self._apply(entry, seg, els)

    def _apply(self, entry: Entry, seg: Segment, els: list[str]) -> None:
        checks, simple, general, _ = entry
        for check in checks:
            check(self, seg)
        n = len(els)
        for p0, table in simple:
            if p0 < n:
                chosen = table.get(els[p0])
                if chosen is not None:
                    for hook in chosen:
                        hook(self, seg)
        if general:
            run_keyed(general, self, seg)

    def collect(
        self, it: Iterator[Segment], held: list[Segment], limit: int
    ) -> tuple[Segment | None, Segment | None, bool]:
        """Read the set's segments from ``it`` into ``held``, checking each, until its SE
        (returned first), a segment that ends a set without SE (returned second, for the
        caller to push back) or ``limit`` segments (third: True, the rest is streamed).
        """
        hold = held.append
        get = self.plan.get
        # The per-segment path is kept short: one plan lookup tells a segment without
        # checks from one with checks, the SE and a segment that ends the set without SE.
        for seg in islice(it, max(0, limit - len(held))):
            els = seg.elements
            entry = get(seg.id)
            if entry is None:
                hold(seg)
                if els and not els[-1]:
                    self._trailing(seg)
                continue
            if entry is _END:
                return None, seg, False
            hold(seg)
            if els and not els[-1]:
                self._trailing(seg)
            checks, simple, general, ends = entry
            for check in checks:
                check(self, seg)
            if simple:
                # hooks keyed on an element value (inlined: most segments meet some)
                n = len(els)
                for p0, table in simple:
                    if p0 < n:
                        chosen = table.get(els[p0])
                        if chosen is not None:
                            for hook in chosen:
                                hook(self, seg)
            if general:
                run_keyed(general, self, seg)
            if ends:
                return seg, None, False
        return None, None, len(held) >= limit

    def run(self, segments: Iterable[Segment]) -> list[SegmentIssue]:
        """Check every segment of the set; return the findings."""
        for seg in segments:
            self.check(seg)
        return self.finish()

    def observe(self, segments: Iterable[Segment]) -> Iterator[Segment]:
        """Pass the segments through, checking each (for a set streamed to the walker);
        call :meth:`finish` once they are consumed."""
        for seg in segments:
            self.check(seg)
            yield seg

    def finish(self) -> list[SegmentIssue]:
        """The findings, after the set's last segment (closes the SNIP scopes)."""
        if self.program is not None:
            SnipRun.finish(self)
        return self.issues

    # -- structure ---------------------------------------------------------------------------
    def _trailing(self, seg: Segment) -> None:
        self.issues.append(
            SegmentIssue(
                seg.id[:3],
                seg.index,
                None,
                "8",
                line=seg.line,
                message=(
                    f"Segment {seg.id[:3]}: a data element separator stands before the "
                    "segment terminator; trailing separators must be omitted (IK304 8)"
                ),
                snip=1,
            )
        )

    def _numbering(
        self,
        seg: Segment,
        loop_id: str | None,
        errors: list[ElementIssue],
        what: str,
        contexts: list[Context] | None = None,
    ) -> None:
        self.issues.append(
            SegmentIssue(
                seg.id,
                seg.index,
                loop_id,
                "8",
                line=seg.line,
                elements=errors,
                contexts=contexts or [],
                message=f"Segment {seg.id}: {what} (IK403 I12)",
                snip=2,
            )
        )

    def _hl(self, seg: Segment) -> None:
        els = seg.elements
        n = len(els)
        hl01 = els[0] if n else ""
        hl02 = els[1] if n > 1 else ""
        expected = self._hl_last + 1
        if hl01 == str(expected) and (not hl02 or hl02 in self._hl_ids):
            # the usual HL: the next number, naming a parent sent before it
            self._hl_last = expected
            self._hl_ids.add(hl01)
            self._claim = None
            return
        errors: list[ElementIssue] = []
        if hl01 != str(expected):
            errors.append(
                ElementIssue(
                    1, "I12", None, None, "628", hl01 or None, "Hierarchical ID Number", snip=2
                )
            )
        if hl02 and hl02 not in self._hl_ids:
            errors.append(
                ElementIssue(
                    2, "I12", None, None, "734", hl02, "Hierarchical Parent ID Number", snip=2
                )
            )
        if errors:
            loops = self._hl_loops or {}
            self._numbering(
                seg,
                loops.get(els[2] if n > 2 else ""),
                errors,
                f"HL01 is {expected} here (the first HL of a set is 1, each next HL adds 1) "
                "and HL02 names an HL01 sent before it",
            )
        # resynchronise on what was sent: one wrong number is one finding, not a cascade
        self._hl_last = int(hl01) if hl01.isascii() and hl01.isdigit() and len(hl01) < 13 else 0
        self._hl_ids.add(hl01)
        self._claim = None

    def _clm(self, seg: Segment) -> None:
        self._lx_last = 0
        self._claim = seg  # its CLM01 names the claim of an LX finding

    def _claim_context(self) -> list[Context] | None:
        claim_id = self._claim.get(1) if self._claim is not None else ""
        return [Context("CLM01", claim_id)] if claim_id else None

    def _lx(self, seg: Segment) -> None:
        lx01 = seg.elements[0] if seg.elements else ""
        expected = self._lx_last + 1
        if lx01 != str(expected):
            self._numbering(
                seg,
                "2400",
                [
                    ElementIssue(
                        1, "I12", None, None, "554", lx01 or None, "Assigned Number", snip=2
                    )
                ],
                f"LX01 is {expected} here (service lines of a claim are numbered from 1)",
                self._claim_context(),
            )
        self._lx_last = int(lx01) if lx01.isascii() and lx01.isdigit() and len(lx01) < 7 else 0
