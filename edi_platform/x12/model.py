"""Interchange → functional group → transaction set, with their envelope fields.

:func:`read` yields one :class:`Interchange` at a time with all its segments (for the apps that
need the content, e.g. 834 sets turned into events).  One interchange is in memory at a time;
for a huge single interchange use :func:`iter_transaction_sets`, which holds one set at a time.
Neither raises on malformed input: what cannot be placed is recorded in ``problems``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from edi_platform.x12.reader import ReadProblem, SegmentReader, Source
from edi_platform.x12.segments import Delimiters, Segment

__all__ = [
    "FunctionalGroup",
    "GroupHeader",
    "Interchange",
    "InterchangeHeader",
    "InterchangeReader",
    "TransactionSet",
    "iter_transaction_sets",
    "read",
]


@dataclass(slots=True)
class InterchangeHeader:
    """The ISA fields.  IDs are stripped of their padding; widths are checked by validation."""

    authorization_qualifier: str = ""  # ISA01
    authorization: str = ""  # ISA02
    security_qualifier: str = ""  # ISA03
    security: str = ""  # ISA04
    sender_qualifier: str = ""  # ISA05
    sender_id: str = ""  # ISA06
    receiver_qualifier: str = ""  # ISA07
    receiver_id: str = ""  # ISA08
    date: str = ""  # ISA09 YYMMDD
    time: str = ""  # ISA10 HHMM
    standards_or_repetition: str = ""  # ISA11 ("U" in 4010, repetition separator in 5010)
    version: str = ""  # ISA12
    control_number: str = ""  # ISA13
    ack_requested: str = ""  # ISA14
    usage: str = ""  # ISA15 P/T/I
    component_separator: str = ""  # ISA16
    line: int = 1
    offset: int = 0

    @classmethod
    def from_segment(cls, seg: Segment) -> InterchangeHeader:
        """Build from an ISA segment, tolerating missing elements."""
        el = seg.elements
        e = el[:16] if len(el) >= 16 else el + [""] * (16 - len(el))
        return cls(
            e[0],
            e[1],
            e[2],
            e[3],
            e[4].strip(),
            e[5].strip(),
            e[6].strip(),
            e[7].strip(),
            *e[8:16],
            seg.line,
            seg.offset,
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict."""
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


@dataclass(slots=True)
class GroupHeader:
    """The GS fields."""

    functional_id: str = ""  # GS01
    sender: str = ""  # GS02
    receiver: str = ""  # GS03
    date: str = ""  # GS04
    time: str = ""  # GS05
    control_number: str = ""  # GS06
    agency: str = ""  # GS07
    version: str = ""  # GS08
    line: int = 0
    offset: int = 0

    @classmethod
    def from_segment(cls, seg: Segment) -> GroupHeader:
        """Build from a GS segment, tolerating missing elements."""
        el = seg.elements
        e = el[:8] if len(el) >= 8 else el + [""] * (8 - len(el))
        return cls(*e, seg.line, seg.offset)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict."""
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


@dataclass(slots=True)
class TransactionSet:
    """ST..SE inclusive (``segments[0]`` is ST; the last is SE unless the trailer is missing)."""

    id: str  # ST01
    control_number: str  # ST02
    implementation_reference: str  # ST03 ("" when absent)
    segments: list[Segment] = field(default_factory=list)

    @property
    def trailer(self) -> Segment | None:
        """The SE segment, or None when missing."""
        last = self.segments[-1] if self.segments else None
        return last if last is not None and last.id == "SE" else None


@dataclass(slots=True)
class FunctionalGroup:
    """A GS..GE functional group."""

    header: GroupHeader
    transaction_sets: list[TransactionSet] = field(default_factory=list)
    trailer: Segment | None = None  # GE


@dataclass(slots=True)
class Interchange:
    """An ISA..IEA interchange."""

    header: InterchangeHeader
    delimiters: Delimiters
    groups: list[FunctionalGroup] = field(default_factory=list)
    trailer: Segment | None = None  # IEA
    other_segments: list[Segment] = field(default_factory=list)  # e.g. TA1 between ISA and IEA
    problems: list[str] = field(default_factory=list)


class InterchangeReader:
    """Iterator of :class:`Interchange`; ``problems`` lists reader problems (e.g. not X12)."""

    def __init__(self, source: Source) -> None:
        self._reader = SegmentReader(source)
        self._it = self._interchanges()

    @property
    def problems(self) -> list[ReadProblem]:
        """Reader-level problems seen so far (complete once iteration has finished)."""
        return self._reader.problems

    def __iter__(self) -> Iterator[Interchange]:
        return self

    def __next__(self) -> Interchange:
        return next(self._it)

    def _interchanges(self) -> Iterator[Interchange]:
        current: Interchange | None = None
        group: FunctionalGroup | None = None
        tset: TransactionSet | None = None
        for seg in self._reader:
            sid = seg.id
            if sid == "ISA":
                if current is not None:
                    current.problems.append("interchange ended without IEA")
                    yield current
                current = Interchange(InterchangeHeader.from_segment(seg), self._reader.delimiters)
                group = tset = None
                continue
            if current is None:  # cannot happen: the reader starts with an ISA
                continue
            if tset is not None:
                if sid in ("ST", "GE", "GS", "IEA"):
                    current.problems.append(
                        f"transaction set at line {tset.segments[0].line} has no SE"
                    )
                    tset = None
                else:
                    tset.segments.append(seg)
                    if sid == "SE":
                        tset = None
                    continue
            if sid == "ST":
                tset = TransactionSet(seg.get(1), seg.get(2), seg.get(3), [seg])
                if group is None:
                    current.problems.append(f"ST at line {seg.line} outside a functional group")
                    group = FunctionalGroup(GroupHeader())
                    current.groups.append(group)
                group.transaction_sets.append(tset)
            elif sid == "GS":
                group = FunctionalGroup(GroupHeader.from_segment(seg))
                current.groups.append(group)
            elif sid == "GE":
                if group is not None:
                    group.trailer = seg
                group = None
            elif sid == "IEA":
                current.trailer = seg
                yield current
                current = None
                group = None
            else:
                current.other_segments.append(seg)
        if current is not None:
            current.problems.append("interchange ended without IEA")
            yield current


def read(source: Source) -> InterchangeReader:
    """Read interchanges one at a time from bytes, X12 text, a path or a binary stream.

    Returns an iterator of :class:`Interchange`; after iteration, ``.problems`` tells why
    nothing (or not everything) could be read, e.g. ``not_x12``.  Never raises on bad data.
    """
    return InterchangeReader(source)


def iter_transaction_sets(
    source: Source,
) -> Iterator[tuple[InterchangeHeader, GroupHeader | None, TransactionSet]]:
    """Yield (interchange header, group header, transaction set) holding one set at a time."""
    reader = SegmentReader(source)
    header: InterchangeHeader | None = None
    group: GroupHeader | None = None
    tset: TransactionSet | None = None
    for seg in reader:
        sid = seg.id
        if tset is not None:
            if sid in ("ST", "GE", "GS", "IEA", "ISA"):
                yield header or InterchangeHeader(), group, tset
                tset = None
            else:
                tset.segments.append(seg)
                if sid == "SE":
                    yield header or InterchangeHeader(), group, tset
                    tset = None
                continue
        if sid == "ISA":
            header = InterchangeHeader.from_segment(seg)
            group = None
        elif sid == "GS":
            group = GroupHeader.from_segment(seg)
        elif sid == "GE":
            group = None
        elif sid == "ST":
            tset = TransactionSet(seg.get(1), seg.get(2), seg.get(3), [seg])
    if tset is not None:
        yield header or InterchangeHeader(), group, tset
