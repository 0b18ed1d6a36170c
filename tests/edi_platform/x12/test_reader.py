"""The streaming tokenizer: delimiters, line breaks, positions, chunking, bad input."""

from __future__ import annotations

import io

import pytest

from edi_platform.x12 import reader as reader_module
from edi_platform.x12.reader import SegmentReader

from .conftest import FIXTURES


def _ids(data) -> list[str]:
    return [s.id for s in SegmentReader(data)]


def test_delimiters_come_from_the_isa(fixture_bytes):
    data = fixture_bytes("834.x12")
    custom = (
        data.replace(b"*", b"|").replace(b":~", b">\x1c").replace(b"~", b"\x1c").replace(b"^", b"!")
    )
    r = SegmentReader(custom)
    segs = list(r)
    assert [s.id for s in segs] == _ids(data)
    assert (
        r.delimiters.element,
        r.delimiters.component,
        r.delimiters.repetition,
        r.delimiters.segment,
    ) == ("|", ">", "!", "\x1c")
    assert segs[1].elements[:2] == ["BE", "SUBMITTER01"]


@pytest.mark.parametrize("eol", [b"", b"\n", b"\r\n", b"\r"])
def test_any_line_break_after_terminators_gives_the_same_segments(fixture_bytes, eol):
    data = fixture_bytes("834.x12").replace(b"~\n", b"~" + eol)
    base = [(s.id, s.elements, s.index) for s in SegmentReader(fixture_bytes("834.x12"))]
    assert [(s.id, s.elements, s.index) for s in SegmentReader(data)] == base


def test_newline_as_segment_terminator(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"~\n", b"\n").replace(b":\n", b":\n", 1)
    segs = list(SegmentReader(data))
    assert segs[-1].id == "IEA"
    assert [s.line for s in segs[:3]] == [1, 2, 3]


def test_several_interchanges_with_different_delimiters(fixture_bytes):
    first = fixture_bytes("834.x12")
    second = fixture_bytes("270.x12").replace(b"*", b"|").replace(b"~\n", b"'")
    r = SegmentReader(first + second)
    ids = [s.id for s in r]
    assert ids.count("ISA") == 2 and ids.count("IEA") == 2
    assert r.delimiters.element == "|" and r.delimiters.segment == "'"
    assert not r.problems


def test_4010_standards_identifier_u_means_no_repetition_separator(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"*^*00501*", b"*U*00401*")
    r = SegmentReader(data)
    list(r)
    assert r.delimiters.repetition == ""


def test_positions_index_line_and_byte_offset(fixture_bytes):
    data = fixture_bytes("834.x12")
    segs = list(SegmentReader(data))
    for n, seg in enumerate(segs, start=1):
        assert seg.line == n
        assert data[seg.offset : seg.offset + len(seg.id)].decode() == seg.id
    by_id = {s.id: s for s in segs}
    assert by_id["ST"].index == 1
    assert by_id["BGN"].index == 2
    assert by_id["SE"].index == len([s for s in segs if s.index])
    assert by_id["GS"].index == 0 and by_id["IEA"].index == 0


def test_line_numbers_count_physical_lines_without_breaks(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"~\n", b"~")
    assert {s.line for s in SegmentReader(data)} == {1}


@pytest.mark.parametrize("chunk", [1, 5, 64, 1000])
def test_chunk_boundaries_do_not_change_the_result(fixture_bytes, monkeypatch, chunk):
    data = fixture_bytes("834.x12") + fixture_bytes("837p.x12").replace(b"~\n", b"~\r\n")
    expected = [(s.id, s.elements, s.line, s.offset, s.index) for s in SegmentReader(data)]
    monkeypatch.setattr(reader_module, "CHUNK_SIZE", chunk)
    got = [(s.id, s.elements, s.line, s.offset, s.index) for s in SegmentReader(data)]
    assert got == expected


def test_sources_bytes_text_path_and_stream_agree(fixture_bytes):
    data = fixture_bytes("834.x12")
    path = FIXTURES / "834.x12"
    expected = _ids(data)
    assert _ids(data.decode()) == expected
    assert _ids(path) == expected
    assert _ids(str(path)) == expected
    assert _ids(io.BytesIO(data)) == expected


def test_non_x12_input_is_a_problem_not_an_exception():
    r = SegmentReader(b"hello world, this is not EDI")
    assert list(r) == []
    assert r.problems[0].code == "not_x12"


def test_empty_input_is_reported_as_empty():
    r = SegmentReader(b"  \n ")
    assert list(r) == []
    assert r.problems[0].code == "empty"


def test_missing_file_is_reported_as_unreadable(tmp_path):
    r = SegmentReader(tmp_path / "nope.x12")
    assert list(r) == []
    assert r.problems[0].code == "unreadable"


def test_last_segment_without_terminator_is_still_read(fixture_bytes):
    data = fixture_bytes("834.x12").rstrip(b"\n~")
    r = SegmentReader(data)
    assert [s.id for s in r][-1] == "IEA"
    assert r.problems[0].code == "missing_terminator"


def test_junk_between_interchanges_is_skipped_and_reported(fixture_bytes):
    data = fixture_bytes("834.x12")
    r = SegmentReader(data + b"garbage here\n" + data)
    assert [s.id for s in r].count("ISA") == 2
    assert [p.code for p in r.problems] == ["junk_between_interchanges"]


def test_blank_before_a_segment_id_is_stripped_and_flagged(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"~\nBGN", b"~ \nBGN")
    seg = next(s for s in SegmentReader(data) if s.id == "BGN")
    assert seg.leading_space and seg.index == 2


def test_isa_with_a_wrong_width_is_read_tolerantly(fixture_bytes):
    data = fixture_bytes("mutations/ta1_006_sender_width.x12")
    r = SegmentReader(data)
    ids = [s.id for s in r]
    assert ids[-1] == "IEA"
    assert r.isa_problems[0].code == "isa_width"


def test_isa_with_a_letter_as_terminator_stops_reading_but_keeps_the_sender(fixture_bytes):
    r = SegmentReader(fixture_bytes("mutations/ta1_004_terminator_letter.x12"))
    assert list(r) == []
    assert r.problems[0].code == "isa_bad_terminator"
    assert r.broken_isa is not None and r.broken_isa.get(6).strip() == "SUBMITTER01"


def test_nul_padding_is_skipped_and_a_nul_inside_a_value_reads_as_a_replacement_char(
    fixture_bytes,
):
    data = fixture_bytes("834.x12")
    assert _ids(b"\x00\x00" + data + b"\x00" * 64) == _ids(data)
    damaged = data.replace(b"ST*834*", b"ST*8\x004*", 1)
    st = next(s for s in SegmentReader(damaged) if s.id == "ST")
    assert st.elements[0] == "8\ufffd4"
    for source in (damaged, damaged.decode("latin-1"), io.BytesIO(damaged)):
        assert all("\x00" not in e for s in SegmentReader(source) for e in s.elements)
