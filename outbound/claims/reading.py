"""Reading the claims of one 837 set (P X222A1, I X223A2, D X224A2) from its text.

Pure: text + delimiters in, plain objects out; no database. The 837's hierarchy is
billing provider (HL 20, 2010AA) → subscriber (HL 22, SBR, 2010BA) → patient when not the
subscriber (HL 23, PAT, 2010CA) → claims (2300 CLM) → service lines (2400 LX). Inside a
claim, the 2300 segments come first; a 2310x/2320/2330x loop (NM1 or SBR) ends them, so
the other subscriber's NM1*IL or another payer's REF*F8 are never taken for the claim's;
likewise a line's own segments (SV1/SV2/SV3, DTP*472, REF*6R) come before its 2410-2440
loops (LIN, NM1, SVD, LQ).

Only the segments the registry and the 277CA need are split into elements: the set is
cut on its terminator once and every other segment is skipped by its id. A value that
cannot be used (a charge that is not a number, a date that is not a calendar date) is
kept as text and flagged by the edits, never raised: every CLM of the set becomes a claim.
Positions are those of the 999 (ST = 1), so an IK3 position names the claim and line it
falls in.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from edi_platform.x12.reader import PADDING
from edi_platform.x12.segments import Delimiters

__all__ = ["ClaimSet", "Line", "Party", "Person", "ReadClaim", "money", "period", "read_837"]

MAX_MONEY = Decimal("1e15")  # 18 digits with 2 decimals (the column); CLM02 allows 18 chars


@dataclass(slots=True)
class Party:
    """An NM1 of the 837 (submitter, receiver, billing provider): what the 277CA echoes."""

    entity_type: str = ""  # NM102: 1 person, 2 organisation
    last: str = ""
    first: str = ""
    middle: str = ""
    suffix: str = ""
    id_qualifier: str = ""
    id: str = ""
    tax_id: str = ""  # billing provider: 2010AA REF*EI / REF*SY


@dataclass(slots=True)
class Person:
    """The subscriber (2010BA) or a dependent patient (2010CA)."""

    last: str = ""
    first: str = ""
    middle: str = ""
    suffix: str = ""
    id_qualifier: str = ""
    id: str = ""
    birth: str = ""  # DMG02 as sent
    relationship: str = ""  # SBR02 (subscriber) / PAT01 (patient)


@dataclass(slots=True)
class Line:
    """One service line (2400)."""

    number: int
    position: int
    end: int = 0  # last segment position of the line
    procedure: list[str] = field(default_factory=list)  # SV101 / SV202 / SV301 components
    revenue: str = ""  # SV201 (837I)
    charge: str = ""
    units: str = ""
    date: tuple[str, str] = ("", "")  # DTP*472 (format, value)
    control: str = ""  # REF*6R line item control number


@dataclass(slots=True)
class ReadClaim:
    """One claim (2300) and its lines, with the parties above it."""

    position: int
    provider: Party
    subscriber: Person
    patient: Person | None  # None: the subscriber is the patient
    end: int = 0  # last segment position of the claim (its lines and loops included)
    pcn: str = ""
    charge: str = ""
    facility: str = ""
    facility_qualifier: str = ""
    frequency: str = ""
    dates: tuple[str, str] = ("", "")  # 2300 DTP*472 (837P/D) or DTP*434 (837I statement)
    original_reference: str = ""  # REF*F8 (the claim a replacement replaces)
    clearinghouse_reference: str = ""  # REF*D9
    lines: list[Line] = field(default_factory=list)


@dataclass(slots=True)
class ClaimSet:
    """What one 837 set says: its header parties and its claims, in order."""

    reference: str = ""  # BHT03, echoed in the 277CA's 2200B TRN02
    created: str = ""  # BHT04
    submitter: Party = field(default_factory=Party)
    receiver: Party = field(default_factory=Party)
    providers: list[Party] = field(default_factory=list)
    claims: list[ReadClaim] = field(default_factory=list)
    segment_count: int = 0


_PAD = [""] * 12  # appended to a split segment, so elements are read without length checks


def _party(els: list[str], into: Party) -> Party:
    into.entity_type = els[2]
    into.last = els[3]
    into.first = els[4]
    into.middle = els[5]
    into.suffix = els[7]
    into.id_qualifier = els[8]
    into.id = els[9].strip()
    return into


def _person(els: list[str], into: Person) -> Person:
    into.last = els[3]
    into.first = els[4]
    into.middle = els[5]
    into.suffix = els[7]
    into.id_qualifier = els[8]
    into.id = els[9].strip()
    return into


# What a segment is to the reader, by its first three characters (the id and, for the
# two-letter ids, the element separator): everything else is skipped unsplit.
(_HL, _CLM, _NM1, _DMG, _REF, _SBR, _PAT, _BHT, _LX, _DTP, _SV, _SUBLOOP) = range(12)
_KINDS: dict[str, dict[str, int]] = {}


def _kinds(elem: str) -> dict[str, int]:
    kinds = _KINDS.get(elem)
    if kinds is None:
        kinds = _KINDS[elem] = {
            f"HL{elem}": _HL,
            "CLM": _CLM,
            "NM1": _NM1,
            "DMG": _DMG,
            "REF": _REF,
            "SBR": _SBR,
            "PAT": _PAT,
            "BHT": _BHT,
            f"LX{elem}": _LX,
            "DTP": _DTP,
            "SV1": _SV,
            "SV2": _SV,
            "SV3": _SV,
            # loops below a line (2410 drug, 2430 adjudication, 2440 form)
            "LIN": _SUBLOOP,
            "SVD": _SUBLOOP,
            f"LQ{elem}": _SUBLOOP,
        }
    return kinds


_PADDED: dict[str, re.Pattern[str]] = {}


def _segments(text: str, term: str) -> list[str]:
    """The set cut on its terminator, the line breaks (and padding) between segments gone."""
    if term not in "\r\n":
        # CR/LF after terminators: removed in one pass (X12 values hold no line breaks)
        if "\n" in text:
            text = text.replace("\n", "")
        if "\r" in text:
            text = text.replace("\r", "")
    padded = _PADDED.get(term)
    if padded is None:
        padded = _PADDED[term] = re.compile(re.escape(term) + "[ \t\x00\ufffd\ufeff]")
    pieces = text.split(term)
    if padded.search(text) is not None:
        pieces = [p.lstrip(PADDING) for p in pieces]  # other padding: rare, the slow way
    return pieces


def read_837(text: str, delimiters: Delimiters) -> ClaimSet:
    """The claims of one 837 set (``text``: ST..SE). Never raises on odd data."""
    term, elem, comp = delimiters.segment, delimiters.element, delimiters.component
    kinds = _kinds(elem)
    out = ClaimSet()
    provider: Party | None = None
    subscriber = Person()
    patient: Person | None = None
    level = ""  # HL03 of the current hierarchical level
    claim: ReadClaim | None = None
    line: Line | None = None
    in_2300 = in_line = False  # inside a claim: its own segments, a line's own segments
    position = 0
    # positions count the non-empty segments (ST = 1), as the 999 does
    for position, seg in enumerate(filter(None, _segments(text, term)), 1):
        kind = kinds.get(seg[:3])
        if kind is None:
            continue
        if kind == _HL:
            level = (seg.split(elem) + _PAD)[3]
            if claim is not None:
                _close(claim, line, position - 1)
            claim, line, in_2300, in_line = None, None, False, False
            if level == "20":
                provider = None
            elif level == "22":
                subscriber, patient = Person(), None
            elif level == "23":
                patient = Person()
        elif kind == _CLM:
            if claim is not None:
                _close(claim, line, position - 1)
            els = seg.split(elem) + _PAD
            if provider is None:
                provider = Party()
                out.providers.append(provider)
            claim = ReadClaim(position, provider, subscriber, patient)
            claim.pcn = els[1]
            claim.charge = els[2]
            facility = els[5].split(comp) + _PAD
            claim.facility = facility[0][:2]
            claim.facility_qualifier = facility[1]
            claim.frequency = facility[2][:1]
            out.claims.append(claim)
            line, in_2300, in_line = None, True, False
        elif claim is None:
            # above the claims: the header and the provider / subscriber / patient levels
            if kind == _NM1:
                els = seg.split(elem) + _PAD
                code = els[1]
                if code == "85" and level == "20":
                    provider = _party(els, Party())
                    out.providers.append(provider)
                elif code == "IL" and level == "22":
                    _person(els, subscriber)
                elif code == "QC" and level == "23" and patient is not None:
                    _person(els, patient)
                elif code == "41" and not level:
                    _party(els, out.submitter)
                elif code == "40" and not level:
                    _party(els, out.receiver)
            elif kind == _DMG:
                person = patient if level == "23" else subscriber if level == "22" else None
                if person is not None:
                    person.birth = (seg.split(elem) + _PAD)[2]
            elif kind == _REF:
                if level == "20" and provider is not None and not provider.tax_id:
                    els = seg.split(elem) + _PAD
                    if els[1] in ("EI", "SY"):
                        provider.tax_id = els[2]
            elif kind == _SBR:
                if level == "22":
                    subscriber.relationship = (seg.split(elem) + _PAD)[2]
            elif kind == _PAT:
                if level == "23" and patient is not None:
                    patient.relationship = (seg.split(elem) + _PAD)[1]
            elif kind == _BHT:
                els = seg.split(elem) + _PAD
                out.reference, out.created = els[3], els[4]
        elif kind == _LX:
            if line is not None:
                line.end = position - 1
            number = (seg.split(elem) + _PAD)[1]
            line = Line(int(number) if number.isdigit() else len(claim.lines) + 1, position)
            claim.lines.append(line)
            in_2300, in_line = False, True
        elif in_2300:
            if kind == _DTP:
                els = seg.split(elem) + _PAD
                if els[1] in ("472", "434") and not claim.dates[1]:
                    claim.dates = (els[2], els[3])
            elif kind == _REF:
                els = seg.split(elem) + _PAD
                if els[1] == "F8":
                    claim.original_reference = els[2].strip()
                elif els[1] == "D9":
                    claim.clearinghouse_reference = els[2]
            elif kind in (_NM1, _SBR):
                in_2300 = False  # 2310x providers, 2320/2330x other subscribers and payers
        elif in_line and line is not None:
            if kind == _SV:
                _service(line, seg.split(elem) + _PAD, seg[:3], comp)
            elif kind == _DTP:
                els = seg.split(elem) + _PAD
                if els[1] == "472":
                    line.date = (els[2], els[3])
            elif kind == _REF:
                els = seg.split(elem) + _PAD
                if els[1] == "6R":
                    line.control = els[2]
            elif kind in (_NM1, _SUBLOOP):
                in_line = False  # 2410-2440 loops
    if claim is not None:
        _close(claim, line, position - 1)  # the SE is not the claim's
    out.segment_count = position
    return out


def _close(claim: ReadClaim, line: Line | None, last: int) -> None:
    claim.end = last
    if line is not None:
        line.end = last


def _service(line: Line, els: list[str], sid: str, comp: str) -> None:
    """SV1 (837P: procedure, charge, unit, units), SV2 (837I: revenue code, procedure,
    charge, unit, units), SV3 (837D: procedure, charge); ``els`` padded."""
    if sid == "SV2":
        line.revenue = els[1]
        line.procedure = els[2].split(comp) if els[2] else []
        line.charge = els[3]
        line.units = els[5]
    else:
        line.procedure = els[1].split(comp)
        line.charge = els[2]
        line.units = els[4] if sid == "SV1" else ""


@functools.lru_cache(maxsize=4096)
def money(text: str) -> Decimal | None:
    """An X12 amount (R) as a Decimal, or None when it is not a usable amount."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= MAX_MONEY:
        return None
    return value


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> dt.date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def period(fmt: str, value: str) -> tuple[dt.date, dt.date] | None:
    """A DTP date (D8) or range (RD8) as (from, to); None when it is not usable (not a
    calendar date, or a range ending before it starts)."""
    if fmt == "D8":
        day = _day(value)
        return None if day is None else (day, day)
    if fmt == "RD8":
        start, _, end = value.partition("-")
        first, last = _day(start), _day(end)
        if first is None or last is None or last < first:
            return None
        return first, last
    return None
