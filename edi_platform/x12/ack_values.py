"""Values written into our 999 (005010X231A1): only what that guide allows.

An acknowledgment echoes values from the file it answers (GS01, GS06, ST01, ST02, segment
IDs, bad element copies, claim IDs). Inbound values can be anything; our 999 must still be
a valid X231A1 transaction set, so each echoed value passes through one of these functions:

* content time (:func:`ak101`, :func:`ak201`, :func:`ik402`): choose what to say, e.g. the
  functional ID implied by the set IDs when GS01 is not one X231A1 lists (AK905 1 then says
  the group is not supported), or no IK402 when the reference is not a data element number;
* render time (:func:`fit_an`, :func:`fit_id`, :func:`fit_n0`), once the partner's delimiters
  are known: delimiters and characters outside the X12 character set are dropped, lengths and
  numbers kept inside the element's bounds, and an optional value that cannot be written is
  left out rather than sent invalid.

What was wrong with a value that could not be echoed is said in IK3/IK4 (ST01, ST02, ST03:
an IK3 on the ST with an IK4 per element, see :func:`st_element_notes`) or by the AK9/IK5
codes (AK905 1 and 6, IK502 6 and 7).
"""

from __future__ import annotations

from edi_platform.x12.codes import FUNCTIONAL_GROUPS
from edi_platform.x12.numbers import clamp, is_ascii_digits

__all__ = [
    "AK101_CODES",
    "AK201_CODES",
    "BUSINESS_CONTEXT_NAMES",
    "ak101",
    "ak201",
    "fit_an",
    "fit_id",
    "fit_n0",
    "ik402",
    "segment_id",
    "st_element_notes",
]

# 005010X231A1 code lists (AK101 = DE 479, AK201 = DE 143, CTX01-1 business unit names)
AK101_CODES = frozenset({"BE", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "RA"})
AK201_CODES = frozenset({"270", "271", "276", "277", "278", "820", "834", "835", "837"})
BUSINESS_CONTEXT_NAMES = frozenset(
    {
        "TRN02",
        "NM109",
        "PATIENT NAME NM109",
        "SUBSCRIBER NAME NM109",
        "ENT01",
        "SUBSCRIBER NUMBER REF02",
        "CLM01",
    }
)
_ST01_TO_GS01 = {
    st01: gs01 for gs01, sets in FUNCTIONAL_GROUPS.items() if gs01 in AK101_CODES for st01 in sets
}
_GS01_TO_ST01 = {gs01: min(sets) for gs01, sets in FUNCTIONAL_GROUPS.items() if len(sets) == 1}
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def ak101(gs01: str, st01s: list[str]) -> str | None:
    """AK101: GS01 when X231A1 lists it; else the functional ID the group's first known set
    ID implies (837 -> HC); None when neither gives one (no valid 999 can name the group)."""
    if gs01 in AK101_CODES:
        return gs01
    for st01 in st01s:
        implied = _ST01_TO_GS01.get(st01)
        if implied is not None:
            return implied
    return None


def ak201(st01: str, functional_id: str | None) -> str | None:
    """AK201: ST01 when X231A1 lists it; else the set ID the AK101 functional ID stands for
    (HC -> 837); None when there is none."""
    if st01 in AK201_CODES:
        return st01
    implied = _GS01_TO_ST01.get(functional_id or "")
    return implied if implied in AK201_CODES else None


def ik402(reference: str | None) -> str:
    """IK402 is DE 725, N0 1/4: a data element reference number. A composite identifier
    (C004) or anything else is not one, so it is left out (IK402 is situational)."""
    ref = (reference or "").strip()
    return ref if 1 <= len(ref) <= 4 and is_ascii_digits(ref) else ""


def _printable(value: str, banned: str) -> str:
    # X12 AN values: printable characters of the basic and extended sets (Latin-1 here,
    # as the reader decodes), never a delimiter of the interchange being written
    if value.isascii() and value.isprintable() and not any(ch in value for ch in banned):
        return value
    return "".join(ch for ch in value if ch.isprintable() and ord(ch) < 0x100 and ch not in banned)


def fit_an(value: str, max_len: int, banned: str = "") -> str:
    """An AN value as it may be written: allowed characters only, at most ``max_len``,
    without trailing blanks (X12 suppresses them); "" when nothing is left."""
    v = _printable(value, banned)
    if len(v) > max_len:
        v = v[:max_len]
    return v.rstrip(" ")


def fit_id(value: str, min_len: int, max_len: int) -> str:
    """An ID value made of X12 basic upper-case letters and digits; "" when it cannot be."""
    if min_len <= len(value) <= max_len and all(ch in _ID_CHARS for ch in value):
        return value
    v = "".join(ch for ch in value.upper() if ch in _ID_CHARS)[:max_len]
    return v if len(v) >= min_len else ""


def fit_n0(value: int | None, maximum: int, minimum: int = 1) -> str:
    """An N0 value within ``minimum``..``maximum``; "" for None."""
    if value is None:
        return ""
    return str(max(minimum, clamp(value, maximum)))


def segment_id(value: str) -> str:
    """IK301/CTX02 (DE 721, ID 2/3): the segment ID when it can be written; else its
    letters and digits (at most three), or "UNK" when fewer than two are left. IK304 1
    ("Unrecognized segment ID") says that the ID itself was wrong."""
    return fit_id(value, 2, 3) or "UNK"


def st_element_notes(
    st01: str, st02: str, st03: str, *, ak2: tuple[str, str, str]
) -> list[dict[str, object]]:
    """IK4 content for the ST elements our AK2 could not echo (ST01 DE 143, ST02 DE 329,
    ST03 DE 1705), each with the copy of the bad value; [] when AK2 echoes them all."""
    notes: list[dict[str, object]] = []
    if ak2[0] != st01:
        notes.append(_note(1, "143", "1" if not st01 else "7", st01))
    if ak2[1] != st02:
        code = "1" if not st02 else "4" if len(st02) < 4 else "5" if len(st02) > 9 else "6"
        notes.append(_note(2, "329", code, st02))
    if st03 and ak2[2] != st03:
        notes.append(_note(3, "1705", "5" if len(st03) > 35 else "6", st03))
    return notes


def _note(position: int, reference: str, code: str, value: str) -> dict[str, object]:
    return {
        "position": position,
        "component": None,
        "repetition": None,
        "reference": reference,
        "code": code,
        "bad_value": value,
        "snip": 1,
        "contexts": [],
    }
