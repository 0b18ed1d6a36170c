"""The reader is linear (issue 14 #4): the work per byte does not depend on how the bytes
are split into interchanges. Measured as characters handed to str.split, never as time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edi_platform.x12 import reader as reader_module
from edi_platform.x12.reader import SegmentReader

from .conftest import FIXTURES

BASES = [p.read_bytes() for p in sorted(FIXTURES.glob("*.x12"))]


def _many(count: int) -> bytes:
    return b"".join(
        BASES[n % len(BASES)].replace(b"000000101", f"{n + 1:09d}".encode()) for n in range(count)
    )


def _read(data: bytes) -> tuple[SegmentReader, list]:
    reader = SegmentReader(data)
    return reader, [(s.id, s.elements, s.line, s.offset, s.index) for s in reader]


def test_many_small_interchanges_are_split_once():
    data = _many(3000)  # ~1.8 MB in 3,000 interchanges
    reader, segments = _read(data)
    assert sum(1 for s in segments if s[0] == "ISA") == 3000 and not reader.problems
    # each character is split about once (a window's carried tail is split again)
    assert reader.chars_split < 1.2 * len(data)


def test_changing_terminators_cost_a_small_window_each():
    # every other interchange uses another terminator: each such ISA is re-read from its
    # own position with a window of a few KiB, never the rest of a 1 MiB chunk
    other = [b.replace(b"~", b"!") for b in BASES]
    data = b"".join(
        (other if n % 2 else BASES)[n % len(BASES)].replace(b"000000101", f"{n:09d}".encode())
        for n in range(1, 1001)
    )
    reader, segments = _read(data)
    assert sum(1 for s in segments if s[0] == "ISA") == 1000 and not reader.problems
    assert reader.chars_split < len(data) + 1000 * 2 * reader_module.WINDOW_MIN


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(1, 12),
    chunk=st.sampled_from([3, 7, 64, 106, 107, 1000, 1 << 20]),
    crlf=st.booleans(),
)
def test_segments_do_not_depend_on_chunk_size_or_interchange_count(count, chunk, crlf):
    data = _many(count)
    if crlf:
        data = data.replace(b"~\n", b"~\r\n")
    expected = _read(data)[1]
    old = reader_module.CHUNK_SIZE
    reader_module.CHUNK_SIZE = chunk
    try:
        reader, got = _read(data)
    finally:
        reader_module.CHUNK_SIZE = old
    assert got == expected and not reader.problems
    assert sum(1 for s in got if s[0] == "ISA") == count


def test_junk_after_an_iea_is_reported_and_the_next_interchange_read():
    data = BASES[0] + b"NOT X12 AT ALL~\n" + BASES[1].replace(b"000000101", b"000000102")
    reader, segments = _read(data)
    assert [p.code for p in reader.problems] == ["junk_between_interchanges"]
    assert sum(1 for s in segments if s[0] == "ISA") == 2


def test_nul_padding_before_a_segment_id_is_skipped_wherever_it_stands():
    data = (FIXTURES / "834.x12").read_bytes()
    data = data.replace(b"\nST*", b"\n\x00\x00ST*").replace(b"~\nREF*38", b"~\x00REF*38")
    _, segments = _read(data)
    ids = [s[0] for s in segments]
    assert "ST" in ids and ids.count("REF") == 3 and not any("\ufffd" in i for i in ids)
