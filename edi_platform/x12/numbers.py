"""ASCII-decimal checks and bounded integer parsing for values read from X12 files.

``str.isdigit()`` is True for characters such as ``'²'`` (U+00B2, byte 0xB2 read as Latin-1)
that ``int()`` then refuses, and ``int()`` of a 5,000-digit string raises (Python limits the
digits it converts). Counts and control numbers come from untrusted files, so the engine uses
these helpers instead of ``isdigit``/``int`` on raw values.
"""

from __future__ import annotations

__all__ = ["MAX_COUNT_DIGITS", "ascii_int", "clamp", "is_ascii_digits", "same_count"]

MAX_COUNT_DIGITS = 18  # below 2**63: every count we parse fits a signed 64-bit integer


def is_ascii_digits(value: str) -> bool:
    """True when ``value`` is one or more ASCII digits 0-9 (and nothing else)."""
    return value.isascii() and value.isdigit()


def ascii_int(value: str, *, max_digits: int = MAX_COUNT_DIGITS) -> int | None:
    """``int(value)`` for an ASCII-decimal value of at most ``max_digits`` significant
    digits; None otherwise (not a number, or too large to be a real count)."""
    if not is_ascii_digits(value):
        return None
    significant = value.lstrip("0")
    if len(significant) > max_digits:
        return None
    return int(significant) if significant else 0


def same_count(value: str, count: int) -> bool:
    """Whether a count element (IEA01, GE01, SE01) states exactly ``count``, compared as
    text so that an absurdly long number never reaches ``int()``."""
    text = str(count)
    if value == text:
        return True  # the usual case
    return is_ascii_digits(value) and value.lstrip("0") == text.lstrip("0")


def clamp(value: int, maximum: int) -> int:
    """``value`` limited to 0..``maximum`` (e.g. AK902-AK904, N0 1/6: at most 999,999)."""
    return 0 if value < 0 else maximum if value > maximum else value
