"""The whole-segment fast path: one regular expression per segment node and delimiters.

A whole-segment regular expression accepting exactly the segments whose elements pass
every element-level check except calendar validity of DT/TM values (checked after it):
one C-level match on the joined elements replaces the per-element Python loop for the
common, clean segment. Anything it refuses goes through the detailed checks, so it only
has to be conservative (never accept what the detailed checks would reject).

The patterns are built from a compiled node's element checks (:mod:`.compiler`); the
walker (:mod:`.walker`) matches them on a segment's elements joined with :data:`JOIN`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .compiler import CSeg, ElemCheck

__all__ = ["JOIN", "fast_matcher"]

JOIN = "\x1f"


def _char_class(cs: str, rs: str) -> str:
    """Positive class of Latin-1 printable characters except the two inner delimiters
    (a positive range class is the fastest for the regex engine)."""
    allowed = [c for c in range(0x20, 0x100) if 0x20 <= c <= 0x7E or c >= 0xA0]
    banned = {ord(c) for c in (cs, rs) if c and len(c) == 1}
    allowed = [c for c in allowed if c not in banned]
    ranges: list[str] = []
    start = prev = allowed[0]
    for c in [*allowed[1:], -1]:
        if c == prev + 1:
            prev = c
            continue
        lo, hi = re.escape(chr(start)), re.escape(chr(prev))
        ranges.append(lo if start == prev else f"{lo}-{hi}")
        start = prev = c
    return "[" + "".join(ranges) + "]"


def _trie(codes: list[str]) -> str:
    """A prefix-factored alternation (the regex engine tries alternatives one by one, so a
    trie keeps a 60-code list to a few character tests)."""
    tree: dict = {}
    for code in codes:
        node = tree
        for ch in code:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        branches = {k: v for k, v in node.items() if k}
        if not branches:
            return ""
        leaves = [k for k, v in branches.items() if set(v) == {""}]
        parts = []
        if len(leaves) > 1:
            parts.append("[" + "".join(re.escape(k) for k in sorted(leaves)) + "]")
        elif leaves:
            parts.append(re.escape(leaves[0]))
        for k in sorted(branches):
            if k in leaves and len(leaves) >= 1:
                continue
            parts.append(re.escape(k) + emit(branches[k]))
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return f"(?:{body})?" if end else body

    return emit(tree)


def _value_pattern(chk: ElemCheck, cs: str, rs: str) -> str | None:
    tclass, mn, mx, codes, regex = chk[5], chk[6], chk[7], chk[8], chk[9]
    if tclass == 6 or mn < 1:
        return None
    if regex is not None:
        if codes is not None:
            return None
        # the guide pattern, on a value of allowed characters and length
        return f"(?={_char_class(cs, rs)}{{{mn},{mx}}}(?:{JOIN}|\\Z))(?:{regex.pattern})"
    if codes is not None:
        if tclass in (4, 5):
            return None
        ok = sorted(
            (c for c in codes if mn <= len(c) <= mx and c and c[-1] != " " and c.isprintable()),
            key=len,
            reverse=True,
        )
        return "(?:" + _trie(ok) + ")" if ok else None
    if tclass <= 1:  # AN / ID
        # Trailing spaces are refused by a substring test on the joined segment.
        return f"{_char_class(cs, rs)}{{{mn},{mx}}}"
    if tclass == 2:  # N
        return f"-?[0-9]{{{mn},{mx}}}"
    if tclass == 3:  # R
        if mn == 1:
            # at most mx digits: at most mx + 1 digits and dots, and mx digits before any
            # dot (several dots fail the number itself); the same set as the general form
            # below, matched in ~60 % of its time
            return (
                f"-?(?=[0-9.]{{1,{mx + 1}}}(?:{JOIN}|\\Z))"
                f"(?:[0-9]{{1,{mx}}}(?:\\.[0-9]*)?|\\.[0-9]{{1,{mx}}})"
            )
        return (
            f"(?=-?\\.?(?:[0-9]\\.?){{{mn},{mx}}}(?:{JOIN}|\\Z))"
            r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
        )
    return f"[0-9]{{{mn},{mx}}}"  # DT / TM: calendar checked after the match


def _sequence(parts: list[tuple[str, str | None]], sep: str) -> str:
    """Nested pattern for a sequence of (usage, value pattern) with trailing omission."""
    out = ""
    optional_tail = True
    for i in range(len(parts) - 1, -1, -1):
        usage, pat = parts[i]
        lead = sep if i else ""
        if usage == "R":
            body = f"{lead}{pat}{out}"
            optional_tail = False
        elif usage == "N":
            body = f"{lead}{out}"
        else:
            body = f"{lead}(?:{pat})?{out}"
        out = f"(?:{body})?" if optional_tail and i else body
    return out


def _element_pattern(chk: ElemCheck, cs: str, rs: str) -> str | None:
    if chk[1] == "N":
        return ""
    if chk[13] > 1:
        return None  # minimum repetitions: detailed check
    if chk[5] >= 0:
        value = _value_pattern(chk, cs, rs)
    else:
        comps = list(chk[12])
        if not comps:
            return None
        parts: list[tuple[str, str | None]] = []
        for expect, c in enumerate(comps):
            if c[0] != expect or c[5] in (4, 5):  # gaps / dates inside composites: slow path
                return None
            p = "" if c[1] == "N" else _value_pattern(c, cs, rs)
            if p is None:
                return None
            parts.append((c[1], p))
        value = _sequence(parts, re.escape(cs))
        if parts[0][0] != "R":
            value = f"(?=[^{JOIN}])" + value  # a present composite is not empty
    if value is None:
        return None
    rep = chk[10]
    if rep > 1:
        more = "*" if rep >= 1000 else f"{{0,{rep - 1}}}"
        value = f"{value}(?:{re.escape(rs)}{value}){more}"
    return value


def fast_matcher(seg: CSeg, cs: str, rs: str):
    """The compiled whole-segment pattern for these delimiters, or None (not eligible)."""
    if rs == "\x00" and any(c[10] > 1 for c in seg.checks):
        return None
    by_pos = {c[0]: c for c in seg.checks}
    parts: list[tuple[str, str | None]] = []
    for p in range(seg.max_pos):
        chk = by_pos.get(p)
        if chk is None:
            parts.append(("N", ""))
            continue
        pat = _element_pattern(chk, cs, rs)
        if pat is None:
            return None
        parts.append((chk[1], pat))
    try:
        return re.compile(_sequence(parts, JOIN))
    except re.error:
        return None
