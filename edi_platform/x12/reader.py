"""Streaming X12 tokenizer: bytes, text, path or binary stream in, :class:`Segment` objects out.

Design for speed and bounded memory:

* the source is read in chunks (1 MiB by default) and decoded as latin-1, so one character
  is one byte and offsets are byte offsets without any bookkeeping;
* the text is cut in windows of at most 64 KiB with one ``str.split`` on the segment
  terminator, and each piece with one ``str.split`` on the element separator; the incomplete
  tail of a window is carried over. The work is linear in the input however it is split
  into interchanges: the next interchange is read from the pieces already split
  (:attr:`SegmentReader.chars_split` counts the characters split, for tests);
* delimiters come from each ISA (element = index 3, repetition = ISA11, component = ISA16,
  terminator = index 105), so a file may hold several interchanges with different delimiters;
* CR, LF or CRLF after a terminator are skipped (and counted for line numbers).

Malformed input never raises: problems are collected in :attr:`SegmentReader.problems` with a
code and a message that names positions only (never data values).
"""

from __future__ import annotations

import io
import operator
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from edi_platform.x12.segments import Delimiters, Segment

__all__ = ["PADDING", "ReadProblem", "SegmentReader", "Source", "decode", "open_source"]

Source = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO

CHUNK_SIZE = 1 << 20
ISA_LENGTH = 106  # fixed width, terminator included
# Index of each separator in a well-formed ISA: the 16 element separators.
_ISA_SEPARATOR_INDEXES = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_isa_separators = operator.itemgetter(*_ISA_SEPARATOR_INDEXES)
# Segments the tokenizer treats specially; GS/GE/IEA/ISA end a set's numbering.
_K_ST, _K_SE, _K_ISA, _K_IEA, _K_ENVELOPE = 1, 2, 3, 4, 5
_SPECIAL = {
    "ST": _K_ST,
    "SE": _K_SE,
    "ISA": _K_ISA,
    "IEA": _K_IEA,
    "GS": _K_ENVELOPE,
    "GE": _K_ENVELOPE,
}
# What may stand between segments and is skipped: line breaks, blanks, byte-order marks and
# NUL (read as U+FFFD, see decode), which some transfers add as padding
PADDING = " \t\r\n\x00\ufffd\ufeff\xef\xbb\xbf"
_WHITESPACE = PADDING
# first characters of a piece that needs no stripping: printable ASCII but the blank
# (padding such as U+FFFD for NUL or a byte-order mark is not ASCII, so it is stripped)
SPACED_MAX = 1000
_PLAIN_START = frozenset(chr(c) for c in range(0x21, 0x7F))
_NOT_PADDING = re.compile("[^" + re.escape(PADDING) + "]")
# The tokenizer splits at most WINDOW_MAX characters past its position at a time; after
# an ISA read from its own position it starts with WINDOW_MIN and doubles per window.
WINDOW_MIN = 4096
WINDOW_MAX = 1 << 16


@dataclass(slots=True)
class ReadProblem:
    """Something the reader could not make sense of.

    ``code`` is one of: ``empty``, ``not_x12``, ``unreadable``, ``isa_truncated``,
    ``isa_bad_element_separator``, ``isa_bad_terminator``, ``isa_unparseable``, ``isa_width``,
    ``junk_between_interchanges``, ``missing_terminator``.
    """

    code: str
    message: str
    offset: int = 0
    line: int = 0


def decode(data: bytes | memoryview) -> str:
    """Source bytes as text: latin-1 (one character per byte, so offsets stay byte offsets),
    with NUL read as U+FFFD.

    NUL is no X12 character, the guide walker uses it as its "no separator" mark, and
    PostgreSQL refuses it in text and JSON: a NUL inside a value would have made the value
    split oddly and its batch impossible to record. U+FFFD is as invalid in X12 and harmless
    everywhere else; between segments it is skipped like other padding.
    """
    text = str(data, "latin-1")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _looks_like_x12_text(text: str) -> bool:
    return text.lstrip(_WHITESPACE)[:3] == "ISA"


def open_source(source: Source) -> tuple[Iterator[str], str]:
    """Return (chunks of latin-1 text, display name) for any supported source.

    ``str`` is X12 content when it starts with ``ISA`` (after whitespace) or contains a line
    break; otherwise it is a path.  Raises ``OSError`` when a path cannot be opened.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source) if not isinstance(source, bytes) else source
        return _bytes_chunks(data), "<bytes>"
    if isinstance(source, str) and (
        _looks_like_x12_text(source) or "\n" in source or len(source) > 4096
    ):
        return _text_chunks(source), "<text>"
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        handle = open(path, "rb")  # noqa: SIM115 - closed by the generator
        return _stream_chunks(handle, close=True), str(path)
    if hasattr(source, "read"):
        return _stream_chunks(source, close=False), getattr(source, "name", "<stream>")
    raise TypeError("source must be bytes, str, a path or a binary stream")


def _bytes_chunks(data: bytes) -> Iterator[str]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK_SIZE):
        yield decode(view[start : start + CHUNK_SIZE])


def _text_chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), CHUNK_SIZE):
        chunk = text[start : start + CHUNK_SIZE]
        yield chunk.replace("\x00", "\ufffd") if "\x00" in chunk else chunk


def _stream_chunks(handle: BinaryIO | io.IOBase, *, close: bool) -> Iterator[str]:
    try:
        while True:
            block = handle.read(CHUNK_SIZE)
            if not block:
                return
            if isinstance(block, str):  # a text stream: accept it as is (but NUL)
                yield block.replace("\x00", "\ufffd") if "\x00" in block else block
            else:
                yield decode(block)
    finally:
        if close:
            handle.close()


class SegmentReader:
    """Iterate the segments of every interchange in a source.

    Read :attr:`delimiters` and :attr:`isa_problems` when an ``ISA`` segment is yielded: they
    describe that interchange.  :attr:`problems` accumulates reader-level problems; when the
    source is not X12 at all, nothing is yielded and ``problems[0].code`` says why.

    ``Segment.index`` is 1 for ST and counts up to SE; it is 0 outside transaction sets.
    """

    def __init__(
        self, source: Source, *, chunk_size: int | None = None, max_bytes: int | None = None
    ) -> None:
        self.name = "<unknown>"
        self.problems: list[ReadProblem] = []
        self.delimiters = Delimiters()
        self.isa_problems: list[ReadProblem] = []
        self.broken_isa: Segment | None = None
        self.bytes_read = 0
        self.chars_split = 0  # characters handed to str.split: the tokenizer's work
        # segments read with blanks before their id (at most SPACED_MAX; the engine takes
        # and clears them per set, so the common path tests nothing per segment)
        self.spaced: list[Segment] = []
        self.max_bytes = max_bytes  # stop reading beyond this many bytes (None: no limit)
        self.limit_hit = False  # True when reading stopped at max_bytes
        self._chunk_size = chunk_size
        self._chunks: Iterator[str] | None = None
        try:
            self._chunks, self.name = open_source(source)
        except (OSError, TypeError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.problems.append(ReadProblem("unreadable", f"cannot open the source: {reason}"))

    # -- chunk plumbing -------------------------------------------------------------------
    def _next_chunk(self) -> str | None:
        if self._chunks is None:
            return None
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._chunks = None
            return None
        except OSError as exc:
            self._chunks = None
            self.problems.append(ReadProblem("unreadable", f"read error: {exc.strerror or exc}"))
            return None
        if self.max_bytes is not None and self.bytes_read + len(chunk) > self.max_bytes:
            # the caller's limit: read up to it and no further (the engine rejects with the
            # reason; a segment cut by the limit is not read)
            self.limit_hit = True
            self._chunks = None
            chunk = chunk[: max(0, self.max_bytes - self.bytes_read)]
            if not chunk:
                return None
        self.bytes_read += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[Segment]:
        return self._segments()

    # -- the tokenizer --------------------------------------------------------------------
    # Linear in the input however it is split: the text is cut in windows of at most
    # WINDOW_MAX characters past the read position (one str.split each), and the next
    # interchange's ISA is taken from the pieces already split when it keeps the terminator
    # (the usual case), so neither a buffer nor its split is redone per interchange. Only
    # an ISA that changes the terminator (or is malformed) restarts from its own position,
    # with a small window that grows again, so even that costs a few KiB each time.
    def _segments(self) -> Iterator[Segment]:
        text = ""  # buffered source text
        i = 0  # index of the first character not consumed yet
        base = 0  # source offset of text[0]
        line = 1
        first = True
        eof = False

        def more() -> bool:
            # append one chunk, dropping the consumed prefix (one copy per chunk)
            nonlocal text, i, base, eof
            if eof:
                return False
            chunk = self._next_chunk()
            if chunk is None:
                eof = True
                return False
            if i:
                base += i
                text = text[i:] + chunk
                i = 0
            else:
                text = text + chunk if text else chunk
            return True

        def until(sub: str) -> int:
            # index of ``sub`` at or after i, reading on as needed (chunks gathered in a
            # list and joined once, so a very long segment is still read in linear time);
            # -1 when the input ends first
            nonlocal text, i, base, eof
            k = text.find(sub, i)
            if k >= 0 or eof:
                return k
            parts = [text[i:]]
            base += i
            i = 0
            keep = len(sub) - 1  # a match may straddle two chunks
            tail = parts[0][-keep:] if keep else ""
            while True:
                chunk = self._next_chunk()
                if chunk is None:
                    eof = True
                    break
                parts.append(chunk)
                if sub in (tail + chunk[: keep + len(sub)] if tail else "") or sub in chunk:
                    break
                tail = chunk[-keep:] if keep else ""
            text = "".join(parts)
            return text.find(sub)

        restart = True  # expect an ISA through the general path
        es = term = ""
        tok = ""
        eol = ""
        newline_term = False
        idx = 0
        window = WINDOW_MIN
        between = False  # an IEA was read: the next piece must start an interchange
        plain = False  # not newline_term and not between (one test per segment)
        special = _SPECIAL.get
        plain_start = _PLAIN_START
        new = object.__new__
        while True:
            if restart:
                # ---- expect an ISA (start of file, after an IEA, or a changed ISA) ----------
                restart = False
                while True:
                    m = _NOT_PADDING.search(text, i)
                    if m is not None:
                        break
                    line += text.count("\n", i)
                    i = len(text)
                    if not more():
                        break
                if m is None:
                    if first and not self.problems:
                        self.problems.append(ReadProblem("empty", "the file is empty"))
                    return
                j = m.start()
                line += text.count("\n", i, j)
                i = j
                while len(text) - i < 3 and more():
                    pass
                if not text.startswith("ISA", i):
                    if first:
                        self.problems.append(
                            ReadProblem(
                                "not_x12",
                                "not an X12 file: it does not start with an ISA segment",
                                base + i,
                                line,
                            )
                        )
                        return
                    # junk after an IEA: look for the next ISA
                    self.problems.append(
                        ReadProblem(
                            "junk_between_interchanges",
                            "data that is not an interchange after an IEA segment",
                            base + i,
                            line,
                        )
                    )
                    k = until("ISA")
                    if k < 0:
                        return
                    line += text.count("\n", i, k)
                    i = k
                first = False
                while len(text) - i < 400 and more():
                    pass
                head = text[i : i + 400]
                isa = self._parse_isa(head, base + i, line)
                if isa is None:
                    return  # problems recorded; nothing more can be read safely
                seg, consumed = isa
                yield seg
                line += head.count("\n", 0, consumed)  # a newline terminator ends the ISA
                i += consumed
                d = self.delimiters
                term, es = d.segment, d.element
                # Most files put a line break after every terminator: splitting on the
                # pair saves a strip per segment. A window where some terminator lacks the
                # break falls back to the terminator alone (two C-speed counts decide).
                eol = ""
                if term not in "\r\n":
                    while len(text) - i < 2 and more():
                        pass
                    nxt = text[i : i + 2]
                    eol = "\r\n" if nxt == "\r\n" else nxt[:1] if nxt[:1] in ("\n", "\r") else ""
                newline_term = term in ("\n", "\r")
                idx = 0
                window = WINDOW_MIN
                between = False
                plain = not newline_term  # the fast path applies (not between interchanges)

            # ---- one window of the body ----------------------------------------------------
            k = text.find(term, i, i + window)
            if k < 0:
                while len(text) - i < window and more():
                    pass
                k = text.find(term, i, i + window)
                if k < 0:
                    k = until(term)  # a segment longer than the window, or the end
            if k < 0:
                tail = text[i:].rstrip(_WHITESPACE)
                if not tail or self.limit_hit:  # (a segment cut by the limit is not read)
                    return
                if between:  # not an interchange after an IEA: the general path says so
                    restart = True
                    continue
                # last segment without a terminator: still read it
                self.problems.append(
                    ReadProblem(
                        "missing_terminator",
                        "the last segment has no segment terminator",
                        base + i + len(tail),
                        line + text.count("\n", i),
                    )
                )
                text = text[:i] + tail + term
                k = len(text) - 1
            end = max(k + 1, min(len(text), i + window))
            chunk = text[i:end]
            tok = term
            if eol:
                e = chunk.rfind(term + eol) + len(term) + len(eol)
                if e > len(term) + len(eol) and chunk.count(term, 0, e) == chunk.count(
                    term + eol, 0, e
                ):
                    tok = term + eol
            tl = len(tok)
            tok_nl = tok.count("\n")
            self.chars_split += len(chunk)
            pieces = chunk.split(tok)
            carry = pieces.pop()
            pos = base + i
            jump = -1  # text index to restart from (ISA or junk handled by the general path)
            for piece in pieces:
                plen = len(piece)
                if not plen:
                    if between:  # an empty segment after an IEA is no interchange
                        jump = pos - base
                        break
                    pos += tl
                    line += tok_nl
                    continue
                if plain and piece[0] in plain_start:
                    # the common case: nothing to strip (padding such as U+FFFD for NUL or a
                    # byte-order mark is not ASCII, so it always takes the stripping path)
                    elems = piece.split(es)
                    sid = elems.pop(0)  # (cheaper than a copy of elems[1:])
                    kind = special(sid)  # one dict probe instead of a chain of compares
                    if kind is None:
                        if idx:
                            idx += 1
                        # (built slot by slot: a third cheaper than the dataclass call)
                        seg = new(Segment)
                        seg.id = sid
                        seg.elements = elems
                        seg.line = line
                        seg.offset = pos
                        seg.index = idx
                        seg.leading_space = False
                        if "\n" in piece:
                            line += piece.count("\n")
                        line += tok_nl
                        pos += plen + tl
                        yield seg
                        continue
                    s = piece
                    lead = 0
                    spaced = False
                else:
                    spaced = False
                    if piece[0] in _WHITESPACE:
                        s = piece.lstrip(_WHITESPACE)
                        lead = plen - len(s)
                        line += piece.count("\n", 0, lead)
                        if not s:
                            pos += plen + tl
                            line += tok_nl
                            continue
                        spaced = " " in piece[:lead] or "\t" in piece[:lead]
                    else:
                        s = piece
                        lead = 0
                    if newline_term and s[-1] == "\r":
                        s = s[:-1]
                    elems = s.split(es)
                    sid = elems.pop(0)
                    kind = special(sid)
                    if between and kind != _K_ISA:
                        jump = pos + lead - base  # junk after an IEA
                        break
                # special segments (ST, SE, GS, GE, ISA, IEA) and stripped pieces
                if kind == _K_ISA:
                    # a new interchange: taken from this piece when it is a well-formed ISA
                    # ending with the same terminator, else re-read from its own position
                    isa = self._inline_isa(s, term, pos + lead, line)
                    if isa is None:
                        jump = pos + lead - base
                        break
                    first = False
                    yield isa
                    es = self.delimiters.element
                    idx = 0
                    between = False
                    plain = not newline_term
                    line += s.count("\n") + tok_nl
                    pos += plen + tl
                    continue
                if kind is None:
                    if idx:
                        idx += 1
                elif kind == _K_ST:
                    idx = 1
                elif kind == _K_SE:
                    if idx:
                        idx += 1
                else:
                    idx = 0
                seg = new(Segment)  # (as above)
                seg.id = sid
                seg.elements = elems
                seg.line = line
                seg.offset = pos + lead
                seg.index = idx
                seg.leading_space = spaced
                if spaced and len(self.spaced) < SPACED_MAX:
                    self.spaced.append(seg)
                if kind == _K_SE:
                    idx = 0
                if "\n" in s:
                    line += s.count("\n")
                line += tok_nl
                pos += plen + tl
                yield seg
                if kind == _K_IEA:
                    between = True
                    plain = False
            if jump >= 0:
                i = jump
                restart = True
                continue
            i = end - len(carry)
            if window < WINDOW_MAX:
                window *= 2
            if between and eof and not text[i:].strip(_WHITESPACE):
                return

    def _inline_isa(self, s: str, term: str, offset: int, line: int) -> Segment | None:
        """The ISA in an already split piece (without its terminator), when it is the fixed
        106-character form ending with the current terminator; None otherwise (the caller
        re-reads it from its position, which handles any other form)."""
        if len(s) != ISA_LENGTH - 1 or not s.startswith("ISA"):
            return None
        es = s[3]
        if es.isalnum() or es in " \r\n" or _isa_separators(s) != (es,) * 16:
            return None
        parsed = self._parse_isa(s + term, offset, line)
        return None if parsed is None else parsed[0]

    def _parse_isa(self, buf: str, base: int, line: int) -> tuple[Segment, int] | None:
        """Split the ISA at the head of ``buf``; set delimiters; return (segment, length)."""
        self.isa_problems = []
        if len(buf) < 4:
            self.problems.append(ReadProblem("isa_truncated", "the ISA segment is cut off", base))
            return None
        es = buf[3]
        if es.isalnum() or es in " \r\n":
            self.problems.append(
                ReadProblem(
                    "isa_bad_element_separator",
                    "the ISA element separator (4th character) is a letter, digit or blank",
                    base,
                    line,
                )
            )
            self._broken_isa_segment(buf, base, line)
            return None
        fixed = len(buf) >= ISA_LENGTH and _isa_separators(buf) == (es,) * 16
        if fixed:
            component = buf[104]
            term = buf[105]
            head = buf[:105]
            consumed = ISA_LENGTH
        else:
            # tolerant parse: count 16 separators, ISA16 is the next character and the
            # terminator the one after it (an ISA with a wrong element width)
            k = -1
            for _ in range(16):
                k = buf.find(es, k + 1, 400)
                if k < 0:
                    break
            if k < 0 or k + 2 >= len(buf):
                code = "isa_truncated" if len(buf) < 400 else "isa_unparseable"
                self.problems.append(
                    ReadProblem(code, "the ISA segment is cut off or has too few elements", base)
                )
                self._broken_isa_segment(buf, base, line)
                return None
            component = buf[k + 1]
            term = buf[k + 2]
            head = buf[: k + 2]
            consumed = k + 3
            self.isa_problems.append(
                ReadProblem(
                    "isa_width",
                    "the ISA is not 106 characters: an element has the wrong width",
                    base,
                    line,
                )
            )
        if term.isalnum() or term == " " or term == es:
            self.problems.append(
                ReadProblem(
                    "isa_bad_terminator",
                    "the segment terminator after ISA16 is a letter, digit, blank or separator",
                    base,
                    line,
                )
            )
            self._broken_isa_segment(buf, base, line)
            return None
        elements = head.split(es)[1:]
        rep = elements[10] if len(elements) > 10 else ""
        # 4010 and older put the standards identifier "U" in ISA11: no repetition separator
        if len(rep) != 1 or rep.isalnum() or rep in (es, component, term):
            rep = ""
        # CR LF after a "~" terminator is usual; a CR LF terminator itself is kept as LF
        if term == "\r" and buf[consumed : consumed + 1] == "\n":
            term = "\n"
            consumed += 1
        self.delimiters = Delimiters(element=es, repetition=rep, component=component, segment=term)
        return Segment("ISA", elements, line, base, 0), consumed

    def _broken_isa_segment(self, buf: str, base: int, line: int) -> None:
        """Keep what can be split of an unusable ISA so the sender may still be identified."""
        es = buf[3] if len(buf) > 3 else "*"
        head = buf[:200].split("\n", 1)[0]
        parts = head.split(es)[1:17] if not es.isalnum() else []
        self.broken_isa = Segment("ISA", parts, line, base, 0)
