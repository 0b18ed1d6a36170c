"""Streaming X12 tokenizer: bytes, text, path or binary stream in, :class:`Segment` objects out.

Design for speed and bounded memory:

* the source is read in chunks (1 MiB by default) and decoded as latin-1, so one character
  is one byte and offsets are byte offsets without any bookkeeping;
* each chunk is cut with one ``str.split`` on the segment terminator and each piece with one
  ``str.split`` on the element separator; the incomplete tail of a chunk is carried over;
* delimiters come from each ISA (element = index 3, repetition = ISA11, component = ISA16,
  terminator = index 105), so a file may hold several interchanges with different delimiters;
* CR, LF or CRLF after a terminator are skipped (and counted for line numbers).

Malformed input never raises: problems are collected in :attr:`SegmentReader.problems` with a
code and a message that names positions only (never data values).
"""

from __future__ import annotations

import io
import os
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

    def __init__(self, source: Source, *, chunk_size: int | None = None) -> None:
        self.name = "<unknown>"
        self.problems: list[ReadProblem] = []
        self.delimiters = Delimiters()
        self.isa_problems: list[ReadProblem] = []
        self.broken_isa: Segment | None = None
        self.bytes_read = 0
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
        self.bytes_read += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[Segment]:
        return self._segments()

    # -- the tokenizer --------------------------------------------------------------------
    def _segments(self) -> Iterator[Segment]:
        buf = ""
        base = 0  # offset of buf[0] in the source
        line = 1
        first = True
        eof = False

        def more() -> bool:
            nonlocal buf, eof
            if eof:
                return False
            chunk = self._next_chunk()
            if chunk is None:
                eof = True
                return False
            buf = buf + chunk if buf else chunk
            return True

        while True:
            # ---- expect an ISA (start of file or after an IEA) ------------------------------
            while True:
                stripped = buf.lstrip(_WHITESPACE)
                if stripped or not more():
                    break
            skipped = len(buf) - len(stripped)
            if skipped:
                line += buf.count("\n", 0, skipped)
                base += skipped
                buf = stripped
            if not buf:
                if first and not self.problems:
                    self.problems.append(ReadProblem("empty", "the file is empty"))
                return
            while len(buf) < 3 and more():
                pass
            if not buf.startswith("ISA"):
                if first:
                    self.problems.append(
                        ReadProblem(
                            "not_x12",
                            "not an X12 file: it does not start with an ISA segment",
                            base,
                            line,
                        )
                    )
                    return
                # junk after an IEA: look for the next ISA
                start = base
                while True:
                    found = buf.find("ISA")
                    if found >= 0 or not more():
                        break
                    keep = buf[-2:]
                    line += buf.count("\n", 0, len(buf) - 2)
                    base += len(buf) - 2
                    buf = keep
                self.problems.append(
                    ReadProblem(
                        "junk_between_interchanges",
                        "data that is not an interchange after an IEA segment",
                        start,
                        line,
                    )
                )
                if found < 0:
                    return
                line += buf.count("\n", 0, found)
                base += found
                buf = buf[found:]
            first = False
            while len(buf) < 400 and more():
                pass
            isa = self._parse_isa(buf, base, line)
            if isa is None:
                return  # problems recorded; nothing more can be read safely
            seg, consumed = isa
            yield seg
            line += buf.count("\n", 0, consumed)  # a newline terminator ends the ISA line
            base += consumed
            buf = buf[consumed:]

            # ---- body of one interchange -----------------------------------------------------
            d = self.delimiters
            term = d.segment
            es = d.element
            # Most files put a line break after every terminator: splitting on the pair saves
            # a strip per segment.  A chunk where some terminator lacks the break falls back
            # to the terminator alone (checked with two C-speed counts).
            eol = ""
            if term not in "\r\n":
                nxt = buf[:2]
                eol = "\r\n" if nxt == "\r\n" else nxt[:1] if nxt[:1] in ("\n", "\r") else ""
            pair = term + eol
            newline_term = term in ("\n", "\r")
            idx = 0
            special = _SPECIAL.get
            while True:
                if term not in buf and more():
                    continue
                if eof:
                    tail = buf.rstrip(_WHITESPACE)
                    # (a CR/LF terminator is itself padding: it may be what was stripped)
                    if tail and not tail.endswith(term) and term not in buf[len(tail) :]:
                        # last segment without a terminator: still read it
                        self.problems.append(
                            ReadProblem(
                                "missing_terminator",
                                "the last segment has no segment terminator",
                                base + len(tail),
                                line + buf.count("\n"),
                            )
                        )
                        buf = tail + term
                tok = term
                if eol and not eof:
                    end = buf.rfind(pair) + len(pair)
                    if end > len(pair) and buf.count(term, 0, end) == buf.count(pair, 0, end):
                        tok = pair
                tl = len(tok)
                tok_nl = tok.count("\n")
                pieces = buf.split(tok)
                carry = pieces.pop()
                pos = base
                rest: str | None = None
                for piece in pieces:
                    plen = len(piece)
                    if not plen:
                        pos += tl
                        line += tok_nl
                        continue
                    if piece[0] > " " and not newline_term:
                        # the common case: nothing to strip
                        elems = piece.split(es)
                        sid = elems[0]
                        kind = special(sid)  # one dict probe instead of a chain of compares
                        if kind is None:
                            if idx:
                                idx += 1
                            seg = Segment(sid, elems[1:], line, pos, idx)
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
                        if piece[0] <= " ":
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
                        sid = elems[0]
                        kind = special(sid)
                    # special segments (ST, SE, GS, GE, ISA, IEA) and stripped pieces
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
                    if kind == _K_ISA:
                        # a new interchange (IEA missing before it): re-detect its delimiters
                        # from the raw text, which starts here in buf
                        rest = buf[pos + lead - base :]
                        base = pos + lead
                        break
                    seg = Segment(sid, elems[1:], line, pos + lead, idx)
                    if spaced:
                        seg.leading_space = True
                    if kind == _K_SE:
                        idx = 0
                    if "\n" in s:
                        line += s.count("\n")
                    line += tok_nl
                    pos += plen + tl
                    yield seg
                    if kind == _K_IEA:
                        # the next interchange may use other delimiters: re-detect from text
                        rest = buf[pos - base :]
                        base = pos
                        break
                if rest is not None:
                    buf = rest
                    break
                buf = carry
                base = pos
                if eof and not buf.strip(_WHITESPACE):
                    return

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
        fixed = len(buf) >= ISA_LENGTH and all(buf[k] == es for k in _ISA_SEPARATOR_INDEXES)
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
