"""Outbound builder: segments + partner delimiters + control numbers → one complete interchange.

Control numbers (ISA13, GS06, ST02s) and the timestamp are always parameters: the builder never
invents them, so the same inputs give the same bytes.  :func:`validate_envelope` is the check
outbound runs before persisting any file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edi_platform.x12.numbers import is_ascii_digits
from edi_platform.x12.reader import SegmentReader
from edi_platform.x12.segments import Delimiters

__all__ = [
    "Element",
    "EnvelopeParams",
    "build_interchange",
    "render_segment",
    "validate_envelope",
]

# An element is a string, or a sequence of component strings (joined with the component
# separator).
Element = str | Sequence[str]

ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


@dataclass(frozen=True, slots=True)
class EnvelopeParams:
    """Everything the envelope of an outbound interchange needs (from the partner settings
    and the control-number store).  ``sender_*`` is us, ``receiver_*`` the partner."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    sender_gs_code: str
    receiver_gs_code: str
    usage_indicator: str  # ISA15: P, T or I
    delimiters: Delimiters
    isa13: int
    gs06: int
    timestamp: datetime
    ack_requested: str = "0"  # ISA14
    line_break: bool = False  # "\n" after each terminator (not when the terminator is CR/LF)


class BuildError(ValueError):
    """Parameters that cannot make a valid envelope (e.g. an ID longer than 15)."""


def _clean(value: str, delimiters: Delimiters) -> str:
    # a delimiter inside a value would break the file: drop it (values are ours or copies)
    for ch in (delimiters.element, delimiters.segment, delimiters.component, delimiters.repetition):
        if ch and ch in value:
            value = value.replace(ch, "")
    return value


_last_delimiters: tuple = (None, None)  # (Delimiters, its pattern): renders repeat them


def _other_delimiters(delimiters: Delimiters) -> re.Pattern[str]:
    # the terminator, component and repetition separators, as one character class (the
    # last pair used is kept, rebound at once so threads never see half of it)
    global _last_delimiters
    last = _last_delimiters
    if last[0] is delimiters:
        return last[1]
    pattern = _delimiter_pattern(delimiters.segment, delimiters.component, delimiters.repetition)
    _last_delimiters = (delimiters, pattern)
    return pattern


@functools.lru_cache(maxsize=64)
def _delimiter_pattern(*chars: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(sorted(set(chars) - {""}))) + "]")


def render_segment(segment: Sequence[Element], delimiters: Delimiters) -> str:
    """``["NM1", "IL", ...]`` → ``"NM1*IL*..."`` (no terminator), trailing empties trimmed."""
    es = delimiters.element
    try:
        text = es.join(segment)  # type: ignore[arg-type]
    except TypeError:  # a composite (a list) among the elements
        text = None
    if (
        text is not None
        and text.count(es) == len(segment) - 1
        and not _other_delimiters(delimiters).search(text)
    ):
        # the usual segment: plain values with no delimiter inside, so nothing to clean
        return text.rstrip(es)
    parts: list[str] = []
    for element in segment:
        if isinstance(element, str):
            parts.append(_clean(element, delimiters))
        else:
            comps = [_clean(str(c), delimiters) for c in element]
            while comps and comps[-1] == "":
                comps.pop()
            parts.append(delimiters.component.join(comps))
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return delimiters.element.join(parts)


def _check_params(env: EnvelopeParams) -> None:
    d = env.delimiters
    seps = [d.element, d.component, d.segment] + ([d.repetition] if d.repetition else [])
    if any(len(s) != 1 or s.isalnum() for s in seps) or len(set(seps)) != len(seps):
        raise BuildError("delimiters must be four distinct single non-alphanumeric characters")
    for name in ("sender_id", "receiver_id"):
        if not 1 <= len(getattr(env, name)) <= 15:
            raise BuildError(f"{name} must be 1 to 15 characters")
    for name in ("sender_qualifier", "receiver_qualifier"):
        if len(getattr(env, name)) != 2:
            raise BuildError(f"{name} must be 2 characters")
    if not 0 < env.isa13 <= 999_999_999:
        raise BuildError("isa13 must be 1..999999999")
    if not 0 < env.gs06 <= 999_999_999:
        raise BuildError("gs06 must be 1..999999999")
    if env.usage_indicator not in ("P", "T", "I"):
        raise BuildError("usage_indicator must be P, T or I")
    if env.ack_requested not in ("0", "1"):
        raise BuildError("ack_requested must be 0 or 1")


def isa_segment(env: EnvelopeParams) -> str:
    """The fixed-width ISA (105 characters, without terminator)."""
    d = env.delimiters
    e = d.element
    ts = env.timestamp
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        env.sender_qualifier,
        env.sender_id.ljust(15),
        env.receiver_qualifier,
        env.receiver_id.ljust(15),
        ts.strftime("%y%m%d"),
        ts.strftime("%H%M"),
        d.repetition or "^",
        "00501",
        f"{env.isa13:09d}",
        env.ack_requested,
        env.usage_indicator,
        d.component,
    ]
    return e.join(fields)


def _join(segments: list[str], env: EnvelopeParams) -> bytes:
    term = env.delimiters.segment
    # a line break after a terminator that is itself CR or LF would be read as an empty
    # segment (or a CR LF pair the partner may not expect): the terminator is the break
    end = term + ("\n" if env.line_break and term not in ("\n", "\r") else "")
    return ("".join(s + end for s in segments)).encode("latin-1", errors="replace")


def build_group_segments(
    transaction_sets: Sequence[tuple[str, Sequence[Sequence[Element]]]],
    *,
    envelope: EnvelopeParams,
    functional_id: str,
    version: str,
    st02s: Sequence[str],
) -> list[str]:
    """GS, each ST..SE (SE01 counted), GE — as rendered strings without terminators."""
    if len(st02s) != len(transaction_sets):
        raise BuildError("one ST02 is needed per transaction set")
    if len(set(st02s)) != len(st02s) or any(not 4 <= len(s) <= 9 for s in st02s):
        raise BuildError("ST02s must be unique and 4 to 9 characters")
    d = envelope.delimiters
    ts = envelope.timestamp
    out = [
        render_segment(
            [
                "GS",
                functional_id,
                envelope.sender_gs_code,
                envelope.receiver_gs_code,
                ts.strftime("%Y%m%d"),
                ts.strftime("%H%M"),
                str(envelope.gs06),
                "X",
                version,
            ],
            d,
        )
    ]
    for (st01, body), st02 in zip(transaction_sets, st02s, strict=True):
        out.append(render_segment(["ST", st01, st02, version], d))
        out.extend(render_segment(seg, d) for seg in body)
        out.append(render_segment(["SE", str(len(body) + 2), st02], d))
    out.append(render_segment(["GE", str(len(transaction_sets)), str(envelope.gs06)], d))
    return out


def build_interchange(
    transaction_sets: Sequence[tuple[str, Sequence[Sequence[Element]]]],
    *,
    envelope: EnvelopeParams,
    functional_id: str,
    version: str,
    st02s: Sequence[str],
) -> bytes:
    """One interchange with one functional group.

    ``transaction_sets`` is a list of ``(ST01, body)`` where ``body`` lists the segments
    between ST and SE, each as ``[segment id, element, ...]``.  ST03 = GS08 = ``version``.
    Raises :class:`BuildError` for parameters that cannot make a valid envelope.
    """
    _check_params(envelope)
    d = envelope.delimiters
    segments = [isa_segment(envelope)]
    segments += build_group_segments(
        transaction_sets,
        envelope=envelope,
        functional_id=functional_id,
        version=version,
        st02s=st02s,
    )
    segments.append(render_segment(["IEA", "1", f"{envelope.isa13:09d}"], d))
    return _join(segments, envelope)


def validate_envelope(data: bytes) -> list[str]:
    """Problems with the envelope of ``data`` for people; an empty list means it is sound.

    Checks: ISA widths (fixed 106), SE01 count and SE02 = ST02, GE01 count and GE02 = GS06,
    IEA01 count and IEA02 = ISA13, trailers present, nothing outside the envelopes, and in a
    999 the AK9 counts (at most six digits).
    """
    problems: list[str] = []
    reader = SegmentReader(data)
    isa_ctrl: str | None = None
    groups = 0
    gs06: str | None = None
    sets_in_group = 0
    st: tuple[str, int] | None = None  # (ST02, line)
    st_id = ""  # ST01 of the open set
    count = 0
    interchanges = 0
    for seg in reader:
        sid = seg.id
        if st is not None:
            count += 1
            if sid == "AK9" and st_id == "999":
                # AK902-AK904 are N0 1/6 (005010X231A1): a count of 7 digits or more cannot
                # be sent (the full guide check is validate_outbound)
                for pos in (2, 3, 4):
                    value = seg.get(pos)
                    if not (1 <= len(value) <= 6 and is_ascii_digits(value)):
                        problems.append(f"line {seg.line}: AK9{pos:02d} is not 1 to 6 digits")
            if sid == "SE":
                if seg.get(1) != str(count):
                    problems.append(
                        f"line {seg.line}: SE01 is {seg.get(1)!r}, the set has {count} segments"
                    )
                if seg.get(2) != st[0]:
                    problems.append(f"line {seg.line}: SE02 differs from ST02")
                st = None
                continue
            if sid in ("ST", "GE", "GS", "IEA", "ISA"):
                problems.append(f"line {st[1]}: transaction set without SE")
                st = None
            else:
                continue
        if sid == "ISA":
            if isa_ctrl is not None:
                problems.append(f"line {seg.line}: ISA before the previous IEA")
            interchanges += 1
            isa_ctrl = seg.get(13)
            groups = 0
            for problem in reader.isa_problems:
                problems.append(f"line {seg.line}: {problem.message}")
            widths = [len(e) for e in seg.elements]
            if len(widths) != 16:
                problems.append(f"line {seg.line}: the ISA has {len(widths)} elements, not 16")
            else:
                for pos, (got, want) in enumerate(zip(widths, ISA_WIDTHS, strict=True), 1):
                    if got != want:
                        problems.append(
                            f"line {seg.line}: ISA{pos:02d} is {got} characters, not {want}"
                        )
            if not (len(isa_ctrl) == 9 and is_ascii_digits(isa_ctrl)):
                problems.append(f"line {seg.line}: ISA13 is not 9 digits")
        elif sid == "GS":
            if gs06 is not None:
                problems.append(f"line {seg.line}: GS before the previous GE")
            gs06 = seg.get(6)
            groups += 1
            sets_in_group = 0
            if not (1 <= len(gs06) <= 9 and is_ascii_digits(gs06)):
                problems.append(f"line {seg.line}: GS06 is not 1 to 9 digits")
        elif sid == "ST":
            if gs06 is None:
                problems.append(f"line {seg.line}: ST outside a functional group")
            sets_in_group += 1
            st = (seg.get(2), seg.line)
            st_id = seg.get(1)
            count = 1
        elif sid == "GE":
            if gs06 is None:
                problems.append(f"line {seg.line}: GE without GS")
            else:
                if seg.get(1) != str(sets_in_group):
                    problems.append(
                        f"line {seg.line}: GE01 is {seg.get(1)!r}, "
                        f"the group has {sets_in_group} sets"
                    )
                if seg.get(2) != gs06:
                    problems.append(f"line {seg.line}: GE02 differs from GS06")
            gs06 = None
        elif sid == "IEA":
            if gs06 is not None:
                problems.append(f"line {seg.line}: functional group without GE")
                gs06 = None
            if seg.get(1) != str(groups):
                problems.append(
                    f"line {seg.line}: IEA01 is {seg.get(1)!r}, the interchange has {groups} groups"
                )
            if seg.get(2) != isa_ctrl:
                problems.append(f"line {seg.line}: IEA02 differs from ISA13")
            isa_ctrl = None
        elif sid == "TA1" and gs06 is None:
            continue
        else:
            problems.append(f"line {seg.line}: segment {sid[:3]!r} outside a transaction set")
    if st is not None:
        problems.append(f"line {st[1]}: transaction set without SE")
    if gs06 is not None:
        problems.append("functional group without GE")
    if isa_ctrl is not None:
        problems.append("interchange without IEA")
    for problem in reader.problems:
        problems.append(problem.message)
    if not interchanges and not reader.problems:
        problems.append("no interchange found")
    return problems
