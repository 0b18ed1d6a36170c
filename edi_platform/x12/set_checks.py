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

from edi_platform.x12.issues import Context, ElementIssue, SegmentIssue
from edi_platform.x12.segments import Segment

__all__ = ["HL_LOOPS", "SetChecker"]

Handler = Callable[[Segment], None]

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


def _combine(first: Handler, second: Handler) -> Handler:
    def both(seg: Segment) -> None:
        first(seg)
        second(seg)

    return both


class SetChecker:
    """One set's extra checks; feed it the set's segments once (``run`` or ``observe``)."""

    __slots__ = (
        "_claim",
        "_finishers",
        "_hl_ids",
        "_hl_last",
        "_hl_loops",
        "_lx_last",
        "handlers",
        "issues",
    )

    def __init__(
        self,
        st01: str,
        version: str | None,
        *,
        extra: Iterable[tuple[dict[str, Handler], Callable[[], list[SegmentIssue]]]] = (),
    ) -> None:
        self.issues: list[SegmentIssue] = []
        self.handlers: dict[str, Handler] = {}
        self._finishers: list[Callable[[], list[SegmentIssue]]] = []
        self._hl_loops = HL_LOOPS.get(version or "")
        self._hl_ids: set[str] = set()
        self._hl_last = 0
        self._lx_last = 0
        self._claim: Context | None = None
        if self._hl_loops is not None:
            self.handlers["HL"] = self._hl
        if st01 == "837" and self._hl_loops is not None:
            self.handlers["CLM"] = self._clm
            self.handlers["LX"] = self._lx
        for handlers, finish in extra:
            for sid, handler in handlers.items():
                current = self.handlers.get(sid)
                self.handlers[sid] = handler if current is None else _combine(current, handler)
            self._finishers.append(finish)

    # -- feeding ----------------------------------------------------------------------------
    def run(self, segments: Iterable[Segment]) -> list[SegmentIssue]:
        """Check every segment of the set; return the findings."""
        get = self.handlers.get
        trailing = self._trailing
        for seg in segments:
            els = seg.elements
            if els and not els[-1]:
                trailing(seg)
            handler = get(seg.id)
            if handler is not None:
                handler(seg)
        return self.finish()

    def observe(self, segments: Iterable[Segment]) -> Iterator[Segment]:
        """Pass the segments through, checking each (for a set streamed to the walker);
        call :meth:`finish` once they are consumed."""
        get = self.handlers.get
        trailing = self._trailing
        for seg in segments:
            els = seg.elements
            if els and not els[-1]:
                trailing(seg)
            handler = get(seg.id)
            if handler is not None:
                handler(seg)
            yield seg

    def finish(self) -> list[SegmentIssue]:
        """The findings, after the set's last segment (closes the SNIP scopes)."""
        for finish in self._finishers:
            self.issues.extend(finish())
        self._finishers = []
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
        hl01, hl02 = seg.get(1), seg.get(2)
        errors: list[ElementIssue] = []
        expected = self._hl_last + 1
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
                loops.get(seg.get(3)),
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
        claim_id = seg.get(1)
        self._claim = Context("CLM01", claim_id) if claim_id else None

    def _lx(self, seg: Segment) -> None:
        lx01 = seg.get(1)
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
                [self._claim] if self._claim is not None else None,
            )
        self._lx_last = int(lx01) if lx01.isascii() and lx01.isdigit() and len(lx01) < 7 else 0
