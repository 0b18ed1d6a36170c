"""The inquiries of one 276 set (005010X212), read from its segments (pure).

The set's hierarchy is kept as it came (HL numbers, parents, levels and each level's NM1)
so the 277 answers at the same places; each claim status inquiry (2200D/E, a TRN) keeps
its keys: our claim control number (REF*1K), the patient control number (REF*EJ), the
charge (AMT*T3) and the dates of service (DTP*472), with the provider (2100C NPI), the
subscriber's member id (2100D) and, for a dependent, the patient's first name (2100E)
of the levels above it; and each service line it asks about (2210D/E: SVC, REF*FJ line
item control number, DTP*472), answered line by line in 2220D/E. Nothing raises on odd
data: a key that cannot be read is empty and the inquiry is answered "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from edi_platform.x12.segments import Segment

__all__ = ["Inquiry", "Level", "LineInquiry", "StatusRequest", "read_276"]


@dataclass
class LineInquiry:
    """One service line asked about (a 2210D/E loop), as sent."""

    procedure: list[str]  # SVC01 components: qualifier, code, modifiers...
    charge: str  # SVC02
    revenue: str = ""  # SVC04 (institutional)
    units: str = ""  # SVC07
    control: str = ""  # REF*FJ: the line item control number of the 837 (REF*6R)
    dates: tuple[dt.date, dt.date] | None = None


@dataclass
class Inquiry:
    """One claim status inquiry (a 2200D/E loop)."""

    trace: str
    level: str  # "22" subscriber or "23" dependent
    icn: int | None = None
    pcn: str = ""
    charge: str = ""
    dates: tuple[dt.date, dt.date] | None = None
    npi: str = ""
    member_id: str = ""
    patient_first: str = ""  # the dependent's (2100E), else the subscriber's
    lines: list[LineInquiry] = field(default_factory=list)


@dataclass
class Level:
    """One HL of the 276, with its NM1 as sent and its inquiries."""

    number: str
    parent: str
    code: str  # HL03: 20 payer, 21 receiver, 19 provider, 22 subscriber, 23 dependent
    nm1: list[str] = field(default_factory=list)
    inquiries: list[Inquiry] = field(default_factory=list)


@dataclass
class StatusRequest:
    reference: str  # BHT03
    levels: list[Level]

    @property
    def inquiries(self) -> list[Inquiry]:
        return [i for level in self.levels for i in level.inquiries]


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _period(qualifier: str, value: str) -> tuple[dt.date, dt.date] | None:
    if qualifier == "RD8" and "-" in value:
        first, _, last = value.partition("-")
        a, b = _date(first), _date(last)
        return (a, b) if a and b and a <= b else None
    day = _date(value)
    return (day, day) if day else None


def read_276(segments: Sequence[Segment], *, component: str = ":") -> StatusRequest:
    """The hierarchy and inquiries of one 276 set (ST..SE); ``component`` is the
    interchange's component separator (SVC01 is a composite)."""
    reference = ""
    levels: list[Level] = []
    by_number: dict[str, Level] = {}
    current: Level | None = None
    inquiry: Inquiry | None = None
    line: LineInquiry | None = None  # inside a 2210: its REF/DTP are the line's, not the claim's
    for seg in segments:
        sid = seg.id
        if sid == "BHT":
            reference = seg.get(3) or ""
        elif sid == "HL":
            current = Level(number=seg.get(1) or "", parent=seg.get(2) or "", code=seg.get(3) or "")
            levels.append(current)
            by_number[current.number] = current
            inquiry = None
            line = None
        elif sid == "NM1" and current is not None and not current.nm1:
            current.nm1 = list(seg.elements)
        elif sid == "TRN" and current is not None and current.code in ("22", "23"):
            inquiry = Inquiry(trace=seg.get(2) or "", level=current.code)
            line = None
            _context(inquiry, current, by_number)
            current.inquiries.append(inquiry)
        elif sid == "SVC" and inquiry is not None:
            procedure = [p.strip().upper() for p in (seg.get(1) or "").split(component)]
            line = LineInquiry(
                procedure=procedure[:6],
                charge=seg.get(2) or "",
                revenue=seg.get(4) or "",
                units=seg.get(7) or "",
            )
            inquiry.lines.append(line)
        elif line is not None:
            if sid == "REF" and seg.get(1) == "FJ":
                line.control = (seg.get(2) or "").strip()
            elif sid == "DTP" and seg.get(1) == "472":
                line.dates = _period(seg.get(2) or "", seg.get(3) or "")
        elif inquiry is not None and sid == "REF":
            if seg.get(1) == "1K":
                value = (seg.get(2) or "").strip()
                inquiry.icn = int(value) if value.isdigit() and len(value) < 19 else -1
            elif seg.get(1) == "EJ":
                inquiry.pcn = (seg.get(2) or "").strip()
        elif inquiry is not None and sid == "AMT" and seg.get(1) == "T3":
            inquiry.charge = seg.get(2) or ""
        elif inquiry is not None and sid == "DTP" and seg.get(1) == "472":
            inquiry.dates = _period(seg.get(2) or "", seg.get(3) or "")
    return StatusRequest(reference=reference, levels=levels)


def _nm1(level: Level | None, position: int) -> str:
    if level is None or len(level.nm1) < position:
        return ""
    return level.nm1[position - 1].strip()


def _context(inquiry: Inquiry, level: Level, by_number: dict[str, Level]) -> None:
    """Provider NPI, member id and patient first name from the levels above."""
    chain: dict[str, Level] = {}
    node: Level | None = level
    seen = 0
    while node is not None and seen < 10:
        chain.setdefault(node.code, node)
        node = by_number.get(node.parent)
        seen += 1
    provider = chain.get("19")
    if provider is not None and _nm1(provider, 8) == "XX":
        inquiry.npi = _nm1(provider, 9)
    inquiry.member_id = _nm1(chain.get("22"), 9)
    inquiry.patient_first = _nm1(level, 4).upper()
