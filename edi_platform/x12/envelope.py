"""Envelope rules: ISA/IEA (TA1 TA105 codes), GS/GE (AK905 codes), ST/SE (IK502 codes).

Each function returns findings; none raises.  The interchange-level code table follows the
X12 TA105 list (I18): 013 is "invalid security information value", 021 the IEA01 group count,
022 the control structure, 023 a premature end of file, 027 an invalid component separator.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable

from edi_platform.x12.codes import FUNCTIONAL_GROUPS, ID_QUALIFIERS, TA1_ACK_CODES, TA1_NOTE_CODES
from edi_platform.x12.model import GroupHeader, InterchangeHeader
from edi_platform.x12.report import EnvelopeIssue
from edi_platform.x12.segments import Delimiters, Segment

__all__ = [
    "SUPPORTED_INTERCHANGE_VERSION",
    "check_gs",
    "check_isa",
    "check_ta1",
    "is_valid_ccyymmdd",
    "is_valid_hhmm",
    "is_valid_yymmdd",
]

SUPPORTED_INTERCHANGE_VERSION = "00501"
# (ISA element position, exact width, TA105 code when the width/value is wrong)
_ISA_WIDTHS = (
    (1, 2, "010"),
    (2, 10, "011"),
    (3, 2, "012"),
    (4, 10, "013"),
    (5, 2, "005"),
    (6, 15, "006"),
    (7, 2, "007"),
    (8, 15, "008"),
    (9, 6, "014"),
    (10, 4, "015"),
    (11, 1, "016"),
    (12, 5, "017"),
    (13, 9, "018"),
    (14, 1, "019"),
    (15, 1, "020"),
    (16, 1, "027"),
)
_ISA_WIDTHS_DYNAMIC = tuple(w for w in _ISA_WIDTHS if w[0] in (9, 10, 13))
_GOOD_STATIC: set[tuple] = set()  # ISA elements 1-8, 11, 12, 14-16 + delimiters found valid
_ISA_NAMES = {
    1: "ISA01 Authorization Information Qualifier",
    2: "ISA02 Authorization Information",
    3: "ISA03 Security Information Qualifier",
    4: "ISA04 Security Information",
    5: "ISA05 Interchange ID Qualifier (sender)",
    6: "ISA06 Interchange Sender ID",
    7: "ISA07 Interchange ID Qualifier (receiver)",
    8: "ISA08 Interchange Receiver ID",
    9: "ISA09 Interchange Date",
    10: "ISA10 Interchange Time",
    11: "ISA11 Repetition Separator / Standards Identifier",
    12: "ISA12 Interchange Control Version Number",
    13: "ISA13 Interchange Control Number",
    14: "ISA14 Acknowledgment Requested",
    15: "ISA15 Interchange Usage Indicator",
    16: "ISA16 Component Element Separator",
}


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


@functools.lru_cache(maxsize=4096)
def is_valid_yymmdd(value: str) -> bool:
    """ISA09: YYMMDD, a real calendar date (YY read as 20YY for leap years); memoised (a
    file of many interchanges repeats its dates)."""
    if len(value) != 6 or not _digits(value):
        return False
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


@functools.lru_cache(maxsize=4096)
def is_valid_ccyymmdd(value: str) -> bool:
    """GS04 and other DT elements of 8: CCYYMMDD, a real calendar date (memoised)."""
    if len(value) != 8 or not _digits(value):
        return False
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    return year >= 1 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


@functools.lru_cache(maxsize=4096)
def is_valid_hhmm(value: str, *, max_len: int = 4) -> bool:
    """HHMM (and HHMMSS, HHMMSSD..  up to ``max_len``), 24-hour clock (memoised)."""
    if not 4 <= len(value) <= max_len or not _digits(value) or len(value) == 5:
        return False
    if int(value[:2]) > 23 or int(value[2:4]) > 59:
        return False
    return len(value) < 6 or int(value[4:6]) <= 59


def _issue(code: str, detail: str, seg: Segment) -> EnvelopeIssue:
    return EnvelopeIssue(code, f"{TA1_NOTE_CODES[code]}: {detail}", seg.line, seg.offset)


def check_isa(
    seg: Segment,
    header: InterchangeHeader,
    delimiters: Delimiters,
    *,
    is_duplicate: Callable[[InterchangeHeader], bool] | None = None,
    is_known_receiver: Callable[[str, str], bool] | None = None,
) -> list[EnvelopeIssue]:
    """All TA105 findings on one ISA, in element order (the first becomes TA105)."""
    issues: list[EnvelopeIssue] = []
    el = seg.elements
    if len(el) != 16:
        issues.append(_issue("022", f"the ISA has {len(el)} elements instead of 16", seg))
    raw = el[:16] if len(el) >= 16 else el + [""] * (16 - len(el))
    version = raw[11]
    # A file of many interchanges repeats one sender's ISA but for the date, time and control
    # number: the other elements (and the delimiters) are judged once per process.
    static = (
        *raw[:8],
        *raw[10:12],
        *raw[13:],
        delimiters.element,
        delimiters.repetition,
        delimiters.component,
        delimiters.segment,
    )
    widths = _ISA_WIDTHS_DYNAMIC if static in _GOOD_STATIC else _ISA_WIDTHS
    for pos, width, code in widths:
        value = raw[pos - 1]
        name = _ISA_NAMES[pos]
        if len(value) != width:
            issues.append(_issue(code, f"{name} must be {width} characters, not {len(value)}", seg))
            continue
        bad = False
        if pos == 1:
            bad = value not in ("00", "03")
        elif pos == 3:
            bad = value not in ("00", "01")
        elif pos in (5, 7):
            bad = value not in ID_QUALIFIERS
        elif pos in (6, 8):
            bad = not value.strip()
        elif pos == 9:
            bad = not is_valid_yymmdd(value)
        elif pos == 10:
            bad = not is_valid_hhmm(value)
        elif pos == 11:
            if version >= "00402" and value != "U":
                # repetition separator: one special character.  "U" (the 4010 standards
                # identifier) is still common in 5010 files; like pyx12 we read it as "none".
                bad = value.isalnum() or value in (
                    delimiters.element,
                    delimiters.component,
                    delimiters.segment,
                    " ",
                )
            else:
                bad = value != "U"
        elif pos == 12:
            if not _digits(value):
                bad = True
            elif value != SUPPORTED_INTERCHANGE_VERSION:
                issues.append(_issue("003", f"{name} {value} is not 00501", seg))
                continue
        elif pos == 13:
            bad = not _digits(value)
        elif pos == 14:
            bad = value not in ("0", "1")
        elif pos == 15:
            bad = value not in ("P", "T", "I")
        elif pos == 16:
            bad = value.isalnum() or value in (delimiters.element, delimiters.segment, " ")
        if bad:
            issues.append(_issue(code, f"{name} has an invalid value", seg))
    term = delimiters.segment
    if term.isalnum() or term in (delimiters.element, delimiters.component):
        issues.append(_issue("004", "the segment terminator is invalid", seg))
    if not issues and widths is _ISA_WIDTHS and len(_GOOD_STATIC) < 1000:
        _GOOD_STATIC.add(static)
    if (
        is_known_receiver is not None
        and header.receiver_id
        and not is_known_receiver(header.receiver_qualifier, header.receiver_id)
    ):
        issues.append(_issue("009", "ISA08 is not one of our receiver IDs", seg))
    if is_duplicate is not None and header.control_number and is_duplicate(header):
        issues.append(_issue("025", "ISA13 was already received from this sender", seg))
    return issues


def check_gs(seg: Segment, header: GroupHeader) -> tuple[list[str], list[EnvelopeIssue]]:
    """(AK905 codes, interchange-level TA105 024 findings) for one GS."""
    codes: list[str] = []
    ta1: list[EnvelopeIssue] = []
    if header.functional_id not in FUNCTIONAL_GROUPS:
        codes.append("1")
    if not header.version.startswith("005010"):
        codes.append("2")
    gs06 = header.control_number
    if not (1 <= len(gs06) <= 9 and _digits(gs06)):
        codes.append("6")
    problems = []
    if len(seg.elements) < 8:
        problems.append(f"the GS has {len(seg.elements)} elements instead of 8")
    if not header.sender:
        problems.append("GS02 Application Sender's Code is missing")
    if not header.receiver:
        problems.append("GS03 Application Receiver's Code is missing")
    if not is_valid_ccyymmdd(header.date):
        problems.append("GS04 Date is not a valid CCYYMMDD date")
    if not is_valid_hhmm(header.time, max_len=8):
        problems.append("GS05 Time is not a valid HHMM[SS[D..]] time")
    if header.agency != "X":
        problems.append("GS07 Responsible Agency Code is not X")
    for problem in problems:
        ta1.append(_issue("024", problem, seg))
    return codes, ta1


def check_ta1(seg: Segment) -> list[str]:
    """Problems of a TA1 segment received inside an interchange (for people): five elements,
    TA101 nine digits, TA102 YYMMDD, TA103 HHMM, TA104 an I17 code, TA105 an I18 code."""
    el = seg.elements
    out: list[str] = []
    if len(el) != 5:
        out.append(f"the TA1 has {len(el)} elements instead of 5")
    value = seg.get
    if not (len(value(1)) == 9 and _digits(value(1))):
        out.append("TA101 Interchange Control Number is not 9 digits")
    if not is_valid_yymmdd(value(2)):
        out.append("TA102 Interchange Date is not a valid YYMMDD date")
    if not is_valid_hhmm(value(3)):
        out.append("TA103 Interchange Time is not a valid HHMM time")
    if value(4) not in TA1_ACK_CODES:
        out.append("TA104 Interchange Acknowledgment Code is not A, E or R")
    if value(5) not in TA1_NOTE_CODES:
        out.append("TA105 Interchange Note Code is not an X12 I18 code")
    return [f"{TA1_NOTE_CODES['024']}: {problem}" for problem in out]
