"""Element value checks: data types, lengths, dates and times (fast paths, cached dates)."""

from __future__ import annotations

import re

# Data type classes used in the compiled element tuples.
T_AN, T_ID, T_N, T_R, T_DT, T_TM, T_B = range(7)

_NUM = re.compile(r"-?[0-9]+")
_REAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_date_cache: dict[str, bool] = {}
_time_cache: dict[str, bool] = {}


def type_class(data_type: str) -> int:
    """Map an X12 data type (AN, ID, N0..N9, R, DT, TM, B) to a type class."""
    if data_type == "ID":
        return T_ID
    if data_type.startswith("N"):
        return T_N
    if data_type == "R":
        return T_R
    if data_type == "DT":
        return T_DT
    if data_type == "TM":
        return T_TM
    if data_type == "B":
        return T_B
    return T_AN


def _date_uncached(value: str) -> bool:
    if not value.isdigit() or not value.isascii():
        return False
    if len(value) == 8:
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    elif len(value) == 6:
        year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    else:
        return False
    if not 1 <= month <= 12 or day < 1 or day > _DAYS[month]:
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return True


def valid_date(value: str) -> bool:
    """CCYYMMDD (or YYMMDD) calendar date check, memoised (dates repeat a lot in files)."""
    ok = _date_cache.get(value)
    if ok is None:
        if len(_date_cache) > 50_000:
            _date_cache.clear()
        ok = _date_cache[value] = _date_uncached(value)
    return ok


def _time_uncached(value: str) -> bool:
    if not value.isdigit() or not value.isascii() or len(value) not in (4, 6, 7, 8):
        return False
    if int(value[:2]) > 23 or int(value[2:4]) > 59:
        return False
    return len(value) == 4 or int(value[4:6]) <= 59


def valid_time(value: str) -> bool:
    """HHMM[SS[d[d]]] time check, memoised."""
    ok = _time_cache.get(value)
    if ok is None:
        if len(_time_cache) > 50_000:
            _time_cache.clear()
        ok = _time_cache[value] = _time_uncached(value)
    return ok


def value_errors(
    value: str,
    tclass: int,
    min_len: int,
    max_len: int,
    codes: frozenset[str] | None,
    regex: re.Pattern[str] | None,
    all_codes: frozenset[str] | None,
) -> list[str]:
    """IK403 codes for one non-empty simple value (length, type, code list, pattern)."""
    out: list[str] = []
    # Order follows the usual reporting order: length, characters, code, type, pattern.
    bad_chars = False
    if tclass <= T_ID:
        length = len(value)
    elif tclass == T_N:
        bad_chars = not _NUM.fullmatch(value)
        length = len(value) - (value[0] == "-")
    elif tclass == T_R:
        bad_chars = not _REAL.fullmatch(value)
        length = len(value) - (value[0] == "-") - ("." in value)
    else:
        length = len(value)
    if length < min_len:
        out.append("4")
    elif length > max_len:
        out.append("5")
    if not value.isprintable():
        out.append("6")
    elif tclass <= T_ID and value[-1] == " " and len(value.rstrip()) >= min_len:
        out.append("6")  # trailing spaces are not significant data (X12.6 3.6)
    if codes is not None and value not in codes:
        # A code the same data element takes elsewhere in this guide is a valid X12 code
        # that this implementation does not use here (I6); anything else is invalid (7).
        out.append("I6" if all_codes is not None and value in all_codes else "7")
    if bad_chars and "6" not in out:
        out.append("6")
    if tclass == T_DT and not valid_date(value):
        out.append("8")
    elif tclass == T_TM and not valid_time(value):
        out.append("9")
    if regex is not None and not regex.fullmatch(value):
        out.append("I12")
    return out


def valid_period(fmt: str, value: str) -> bool:
    """DTP03-style date/time period checked against its format qualifier (D8, RD8, DT, ...)."""
    if fmt == "D8":
        return len(value) == 8 and valid_date(value)
    if fmt == "RD8":
        return (
            len(value) == 17
            and value[8] == "-"
            and valid_date(value[:8])
            and valid_date(value[9:])
            and value[:8] <= value[9:]
        )
    if fmt == "D6":
        return len(value) == 6 and valid_date(value)
    if fmt == "DT":
        return len(value) == 12 and valid_date(value[:8]) and valid_time(value[8:])
    if fmt == "TM":
        return len(value) == 4 and valid_time(value)
    return True  # other formats (CY, YY, ...) are not dates we check
