"""The result of :func:`edi_platform.x12.validate`: verdicts, codes and positions, no segments.

Everything here is small and JSON-serialisable through ``to_dict()``; a report never holds the
data of the file, so validating a 200 MB file keeps only per-set summaries and the findings.
Messages name positions, codes and element names only (no data values: PHI-safe); the copy of
a bad value lives only in ``ElementIssue.bad_value`` (it goes back to the sender in IK404).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, overload

from edi_platform.x12.issues import SegmentIssue, element_snip, segment_snip
from edi_platform.x12.model import GroupHeader, InterchangeHeader
from edi_platform.x12.segments import Delimiters

__all__ = [
    "EnvelopeIssue",
    "GroupReport",
    "InterchangeReport",
    "SetList",
    "SetReport",
    "ValidationReport",
]

ACCEPTED = "accepted"
ACCEPTED_WITH_ERRORS = "accepted_with_errors"
REJECTED = "rejected"
NOT_X12 = "not_x12"


@dataclass(slots=True)
class EnvelopeIssue:
    """One envelope finding: a TA105 note code (interchange), AK905 (group) or IK502 (set)."""

    code: str
    message: str
    line: int = 0
    offset: int = 0
    # False: the interchange is still accepted, with errors noted (TA104 E)
    fatal: bool = True
    snip: int = 1  # envelope rules are EDI syntax integrity (WEDI SNIP type 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "offset": self.offset,
            "fatal": self.fatal,
            "snip": self.snip,
        }


def segment_issue_to_dict(issue: SegmentIssue) -> dict[str, Any]:
    """JSON-safe dict of a :class:`SegmentIssue` (with its IK4s and CTXs); ``snip`` is the
    SNIP type of the finding and of each element finding."""
    d = asdict(issue)
    d["snip"] = segment_snip(issue)
    for element, out in zip(issue.elements, d["elements"], strict=True):
        out["snip"] = element_snip(element)
        out["contexts"] = list(out["contexts"])
    return d


class SetReport:
    """Summary of one transaction set: AK2 fields, IK5 verdict and codes, IK3/IK4 findings.

    A plain slotted class (not a dataclass) to stay small: a 200 MB file has ~10^5 of them.
    """

    __slots__ = (
        "ack_code",
        "codes",
        "control_number",
        "envelope_issues",
        "guide",
        "guide_version_matched",
        "id",
        "implementation_reference",
        "issues",
        "issues_dropped",
        "line",
        "offset",
        "segment_count",
    )

    def __init__(
        self, id: str, control_number: str, implementation_reference: str, line: int, offset: int
    ) -> None:
        self.id = id  # ST01
        self.control_number = control_number  # ST02
        self.implementation_reference = implementation_reference  # ST03 ("" when absent)
        self.line = line
        self.offset = offset
        self.segment_count = 0  # ST..SE inclusive, as counted
        self.ack_code = "A"  # IK501
        # empty tuples until something is found: a clean set then costs no list objects
        self.codes: Sequence[str] = ()  # IK502..IK506
        self.issues: Sequence[SegmentIssue] = ()  # IK3 (+IK4, CTX)
        self.issues_dropped = 0  # findings beyond the per-set cap
        self.envelope_issues: Sequence[EnvelopeIssue] = ()
        self.guide: str | None = None  # guide version used, None = envelope checks only
        self.guide_version_matched: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "id": self.id,
            "control_number": self.control_number,
            "implementation_reference": self.implementation_reference,
            "line": self.line,
            "offset": self.offset,
            "segment_count": self.segment_count,
            "ack_code": self.ack_code,
            "codes": list(self.codes),
            "envelope_issues": [i.to_dict() for i in self.envelope_issues],
            "issues": [segment_issue_to_dict(i) for i in self.issues],
            "issues_dropped": self.issues_dropped,
            "guide": self.guide,
            "guide_version_matched": self.guide_version_matched,
        }


class SetList(Sequence[SetReport]):
    """The set summaries of one group, as a sequence of :class:`SetReport`.

    A clean accepted set (the vast majority in a big file) is kept as its ST02 plus three
    machine integers (~100 bytes instead of ~300 for an object), so validating a 200 MB file
    stays far below the memory of the file itself; other sets keep their full report.
    """

    __slots__ = (
        "_full",
        "_kind",
        "_kinds",
        "_line",
        "_num",
        "_offset",
        "_st02",
        "errors",
        "rejected",
    )

    def __init__(self, items: Iterable[SetReport] = ()) -> None:
        self._st02: list[str] = []
        self._line = array("q")
        self._offset = array("q")
        self._num = array("q")  # segment count
        self._kind = array("l")  # index into _kinds (st01, st03, guide, matched)
        self._kinds: list[tuple[str, str, str | None, bool | None]] = []
        self._full: dict[int, SetReport] = {}
        self.rejected = 0
        self.errors = 0  # accepted with errors
        for item in items:
            self.append(item)

    def append(self, rep: SetReport) -> None:
        """Add one set summary."""
        index = len(self._st02)
        code = rep.ack_code
        if code == "R":
            self.rejected += 1
        elif code == "E":
            self.errors += 1
        clean = (
            code == "A"
            and not rep.codes
            and not rep.issues
            and not rep.envelope_issues
            and not rep.issues_dropped
        )
        k = -1
        if clean:
            kind = (rep.id, rep.implementation_reference, rep.guide, rep.guide_version_matched)
            kinds = self._kinds
            if kinds and kinds[-1] == kind:  # the usual case: same kind as the last set
                k = len(kinds) - 1
            else:
                try:
                    k = kinds.index(kind)
                except ValueError:
                    kinds.append(kind)
                    k = len(kinds) - 1
        self._st02.append(rep.control_number if clean else "")
        self._line.append(rep.line)
        self._offset.append(rep.offset)
        self._num.append(rep.segment_count)
        self._kind.append(k)
        if not clean:
            self._full[index] = rep

    def control_numbers(self) -> list[str]:
        """ST02 of every set, in order (without building the set reports)."""
        out = list(self._st02)
        for index, rep in self._full.items():
            out[index] = rep.control_number
        return out

    def flagged(self) -> list[SetReport]:
        """The sets kept with their full report (a finding, or not accepted), in order."""
        return [self._full[index] for index in sorted(self._full)]

    def ids(self) -> set[str]:
        """The distinct ST01 values of the sets."""
        return {kind[0] for kind in self._kinds} | {rep.id for rep in self._full.values()}

    def compact(self) -> Iterator[SetReport | tuple[str, str, str]]:
        """Each set in order: (ST01, ST02, ST03) for a clean accepted set (guide-checked,
        nothing found), else its full report; what a 999 needs without making a report
        object per set."""
        kinds, st02s, full = self._kinds, self._st02, self._full
        for index, k in enumerate(self._kind):
            if k >= 0:
                st01, st03, _, _ = kinds[k]
                yield (st01, st02s[index], st03)
            else:
                yield full[index]

    def _make(self, index: int) -> SetReport:
        full = self._full.get(index)
        if full is not None:
            return full
        st01, st03, guide, matched = self._kinds[self._kind[index]]
        rep = SetReport(st01, self._st02[index], st03, self._line[index], self._offset[index])
        rep.segment_count = self._num[index]
        rep.guide = guide
        rep.guide_version_matched = matched
        return rep

    def __len__(self) -> int:
        return len(self._st02)

    @overload
    def __getitem__(self, index: int) -> SetReport: ...
    @overload
    def __getitem__(self, index: slice) -> list[SetReport]: ...
    def __getitem__(self, index: int | slice) -> SetReport | list[SetReport]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("set index out of range")
        return self._make(index)

    def __iter__(self) -> Iterator[SetReport]:
        for i in range(len(self)):
            yield self._make(i)


@dataclass(slots=True)
class GroupReport:
    """One functional group: AK1 fields and AK9 verdict/counts/codes, with its sets."""

    header: GroupHeader
    sets: SetList = field(default_factory=SetList)
    ack_code: str = "A"  # AK901
    included: int = 0  # AK902: GE01 as sent (or the count when GE01 is unusable)
    received: int = 0  # AK903
    accepted: int = 0  # AK904
    codes: list[str] = field(default_factory=list)  # AK905..AK909
    issues: list[EnvelopeIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.sets, SetList):
            self.sets = SetList(self.sets)

    @property
    def acknowledgeable(self) -> bool:
        """A 999 can answer this group: it had a GS with GS01 and GS06 (AK101/AK102), and
        X231A1 has an AK101 code for it (GS01 itself, or the one its set IDs imply)."""
        from edi_platform.x12.ack_values import ak101

        h = self.header
        if not (h.functional_id and h.control_number):
            return False
        return ak101(h.functional_id, sorted(self.sets.ids())) is not None

    @property
    def is_acknowledgment(self) -> bool:
        """True for a 999/997 group (FA): acknowledgments are not acknowledged."""
        return self.header.functional_id == "FA"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "header": self.header.to_dict(),
            "ack_code": self.ack_code,
            "included": self.included,
            "received": self.received,
            "accepted": self.accepted,
            "codes": list(self.codes),
            "issues": [i.to_dict() for i in self.issues],
            "sets": [s.to_dict() for s in self.sets],
        }


@dataclass(slots=True)
class InterchangeReport:
    """One interchange: ISA fields, delimiters, TA1 result and its groups."""

    header: InterchangeHeader
    delimiters: Delimiters | None
    groups: list[GroupReport] = field(default_factory=list)
    ta1_code: str = "A"  # TA104: A, E (only non-fatal findings) or R
    ta1_note: str = "000"  # TA105: the first interchange finding
    issues: list[EnvelopeIssue] = field(default_factory=list)
    broken: bool = False  # the ISA could not be parsed: nothing after it was read
    segment_count: int = 0
    other_segments: list[str] = field(default_factory=list)  # e.g. "TA1" inside the interchange

    @property
    def sender_identified(self) -> bool:
        """A TA1 can be addressed: the sender qualifier and id were readable."""
        return bool(self.header.sender_id and self.header.sender_qualifier)

    @property
    def verdict(self) -> str:
        """accepted / accepted_with_errors / rejected for this interchange as a whole."""
        if self.ta1_code == "R" or any(g.ack_code in ("R", "P") for g in self.groups):
            return REJECTED
        if self.ta1_code == "E" or any(g.ack_code == "E" for g in self.groups):
            return ACCEPTED_WITH_ERRORS
        return ACCEPTED

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        d = self.delimiters
        return {
            "header": self.header.to_dict(),
            "delimiters": None
            if d is None
            else {
                "element": d.element,
                "repetition": d.repetition,
                "component": d.component,
                "segment": d.segment,
            },
            "ta1_code": self.ta1_code,
            "ta1_note": self.ta1_note,
            "issues": [i.to_dict() for i in self.issues],
            "broken": self.broken,
            "other_segments": list(self.other_segments),
            "segment_count": self.segment_count,
            "verdict": self.verdict,
            "groups": [g.to_dict() for g in self.groups],
        }


@dataclass(slots=True)
class ValidationReport:
    """Everything :func:`edi_platform.x12.validate` found in one source."""

    source: str
    interchanges: list[InterchangeReport] = field(default_factory=list)
    error_code: str | None = None  # empty / not_x12 / unreadable / isa_* when nothing usable
    error: str | None = None  # the reason, for an operator
    problems: list[EnvelopeIssue] = field(default_factory=list)  # reader-level, e.g. junk
    segment_count: int = 0
    bytes_read: int = 0
    limit_exceeded: str | None = None  # max_file_bytes / max_interchanges / max_sets
    limit_message: str | None = None  # the reason for people (a batch reason)
    issues_dropped: int = 0  # findings counted but not kept (limits.max_issues*)

    @property
    def verdict(self) -> str:
        """not_x12 / rejected / accepted_with_errors / accepted for the whole source."""
        if self.limit_exceeded is not None:
            return REJECTED
        if not self.interchanges:
            return NOT_X12
        verdicts = {i.verdict for i in self.interchanges}
        if REJECTED in verdicts:
            return REJECTED
        if ACCEPTED_WITH_ERRORS in verdicts or self.problems:
            return ACCEPTED_WITH_ERRORS
        return ACCEPTED

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "source": self.source,
            "verdict": self.verdict,
            "error_code": self.error_code,
            "error": self.error,
            "problems": [p.to_dict() for p in self.problems],
            "segment_count": self.segment_count,
            "bytes_read": self.bytes_read,
            "limit_exceeded": self.limit_exceeded,
            "limit_message": self.limit_message,
            "issues_dropped": self.issues_dropped,
            "interchanges": [i.to_dict() for i in self.interchanges],
        }
