"""read() and iter_transaction_sets(): the interchange → group → set model."""

from __future__ import annotations

from edi_platform.x12 import iter_transaction_sets, read

from .conftest import FIXTURES, MUTATIONS


def test_read_yields_each_interchange_with_groups_sets_and_segments(fixture_bytes):
    data = fixture_bytes("834.x12") + fixture_bytes("837p.x12")
    interchanges = list(read(data))
    assert [i.header.control_number for i in interchanges] == ["000000101", "000000101"]
    first = interchanges[0]
    assert (first.header.sender_qualifier, first.header.sender_id) == ("ZZ", "SUBMITTER01")
    assert first.header.usage == "T" and first.delimiters.component == ":"
    group = first.groups[0]
    assert (group.header.functional_id, group.header.control_number) == ("BE", "101")
    tset = group.transaction_sets[0]
    assert (tset.id, tset.control_number, tset.implementation_reference) == (
        "834",
        "0001",
        "005010X220A1",
    )
    assert tset.segments[0].id == "ST" and tset.trailer is not None
    assert [s.index for s in tset.segments] == list(range(1, 15))
    assert first.trailer is not None and first.problems == []


def test_read_records_missing_trailers_instead_of_raising():
    ic = next(iter(read(MUTATIONS / "ik5_2_se_missing.x12")))
    assert ic.groups[0].transaction_sets[0].trailer is None
    assert any("no SE" in p for p in ic.problems)
    ic = next(iter(read(MUTATIONS / "ta1_023_iea_missing.x12")))
    assert ic.trailer is None and "interchange ended without IEA" in ic.problems


def test_read_of_non_x12_yields_nothing_and_says_why():
    reader = read(b"Dear customer, ...")
    assert list(reader) == []
    assert reader.problems[0].code == "not_x12"


def test_iter_transaction_sets_finds_every_set_with_its_envelope():
    items = list(iter_transaction_sets(MUTATIONS / "ik5_23_st02_not_unique.x12"))
    assert len(items) == 2
    header, group, tset = items[1]
    assert header.sender_id == "SUBMITTER01" and group.functional_id == "BE"
    assert tset.segments[-1].id == "SE"


def test_iter_transaction_sets_streams_one_set_at_a_time():
    # one group of many sets, 8 MB: the first set comes out when a small part is read
    import io

    text = (FIXTURES / "834.x12").read_text()
    head, rest = text.split("ST*834*", 1)
    body, tail = "ST*834*" + rest.split("GE*", 1)[0], "GE*" + rest.split("GE*", 1)[1]
    count = 8 * 1024 * 1024 // len(body)
    data = (head + body * count + tail.replace("GE*1*", f"GE*{count}*")).encode()

    class Metered(io.RawIOBase):
        pos = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = data[self.pos : self.pos + len(buffer)]
            buffer[: len(chunk)] = chunk
            self.pos += len(chunk)
            return len(chunk)

    stream = Metered()
    sets = iter_transaction_sets(io.BufferedReader(stream, buffer_size=64 * 1024))
    _, _, first = next(sets)
    # a reader that collected the sets before yielding would have read everything
    assert first.segments[0].id == "ST" and stream.pos < len(data) // 4
    assert sum(1 for _ in sets) + 1 == count


def test_read_accepts_a_path_string():
    assert len(list(read(str(FIXTURES / "270.x12")))) == 1
