"""validate(): verdict rules, guide hand-off, streaming, report shape; with a stand-in guide."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest

from edi_platform.x12 import engine, read, validate
from edi_platform.x12.issues import ElementIssue, SegmentIssue

from .conftest import FIXTURES


@dataclass
class FakeGuide:
    version: str
    version_matched: bool = True


class FakeGuides:
    """Stands in for edi_platform.x12.guides with a scripted finding list."""

    def __init__(self, findings=(), *, matched=True, defined=True):
        self.findings = list(findings)
        self.matched = matched
        self.defined = defined
        self.seen: list[list[str]] = []
        self.lookups: list[tuple[str, str]] = []

    def find_guide(self, st01, version, *, fallback="nearest"):
        self.lookups.append((st01, version))
        return FakeGuide(version, self.matched) if self.defined else None

    def validate_set(self, guide, segments, delimiters):
        self.seen.append([s.id for s in segments])
        return [f() for f in self.findings]


@pytest.fixture
def use_guides(monkeypatch):
    def install(fake):
        monkeypatch.setattr(engine, "_guides_module", fake)
        monkeypatch.setattr(engine, "_guides_loaded", True)
        monkeypatch.setattr(engine, "_guide_cache", {})
        return fake

    return install


def _set(report):
    return report.interchanges[0].groups[0].sets[0]


def test_guide_receives_exactly_st_to_se_of_each_set(use_guides):
    fake = use_guides(FakeGuides())
    validate(FIXTURES / "834.x12")
    assert fake.seen[0][0] == "ST" and fake.seen[0][-1] == "SE"
    assert len(fake.seen[0]) == 14
    assert fake.lookups == [("834", "005010X220A1")]


def test_guide_that_reads_nothing_still_lets_the_engine_count_the_set(use_guides):
    class Lazy(FakeGuides):
        def validate_set(self, guide, segments, delimiters):
            return []

    use_guides(Lazy())
    s = _set(validate(FIXTURES / "834.x12"))
    assert (s.segment_count, s.ack_code, list(s.codes)) == (14, "A", [])


def test_set_without_se_hands_the_guide_what_there_is(use_guides, fixture_bytes):
    fake = use_guides(FakeGuides())
    report = validate(fixture_bytes("mutations/ik5_2_se_missing.x12"))
    assert fake.seen[0][-1] == "DTP"
    assert _set(report).codes == ["2"]
    assert report.interchanges[0].groups[0].codes == []  # GE still closes the group


def test_syntax_finding_rejects_the_set_with_ik502_5(use_guides):
    use_guides(
        FakeGuides(
            [
                lambda: SegmentIssue(
                    "DMG",
                    11,
                    "2100A",
                    "8",
                    elements=[ElementIssue(2, "8", bad_value="19801340", name="Member Birth Date")],
                )
            ]
        )
    )
    s = _set(validate(FIXTURES / "834.x12"))
    assert (s.ack_code, s.codes) == ("R", ["5"])


def test_implementation_only_findings_give_ik502_i5(use_guides):
    use_guides(
        FakeGuides(
            [
                lambda: SegmentIssue(
                    "NM1", 9, "2100A", "8", elements=[ElementIssue(3, "I10")], rejects=False
                )
            ]
        )
    )
    s = _set(validate(FIXTURES / "834.x12"))
    assert (s.ack_code, s.codes) == ("E", ["I5"])
    group = validate(FIXTURES / "834.x12").interchanges[0].groups[0]
    assert (group.ack_code, group.accepted) == ("E", 1)


def test_findings_that_do_not_reject_keep_the_set_accepted_with_errors(use_guides):
    use_guides(FakeGuides([lambda: SegmentIssue("REF", 3, None, "I4", rejects=False)]))
    report = validate(FIXTURES / "834.x12")
    assert _set(report).ack_code == "E"
    assert report.verdict == "accepted_with_errors"


def test_findings_are_capped_per_set_but_the_verdict_stays(use_guides, monkeypatch):
    monkeypatch.setattr(engine, "MAX_ISSUES_PER_SET", 3)
    use_guides(FakeGuides([lambda: SegmentIssue("REF", 3, None, "2")] * 5))
    s = _set(validate(FIXTURES / "834.x12"))
    assert len(s.issues) == 3 and s.issues_dropped == 2 and s.ack_code == "R"


def test_version_without_definition_follows_the_fallback_setting(use_guides):
    use_guides(FakeGuides(matched=False))
    nearest = _set(validate(FIXTURES / "834.x12"))
    assert (nearest.ack_code, nearest.guide_version_matched) == ("A", False)
    rejected = _set(validate(FIXTURES / "834.x12", version_fallback="reject"))
    assert (rejected.ack_code, rejected.codes) == ("R", ["I6"])


def test_supported_set_whose_version_no_guide_defines_is_never_a_silent_a(use_guides):
    # issue 13 #2: with guides installed, "no guide for this version" is IK502 I6 (as the
    # reject policy answers an undefined version), not an A after envelope checks only
    use_guides(FakeGuides(defined=False))
    s = _set(validate(FIXTURES / "834.x12"))
    assert (s.ack_code, list(s.codes), s.guide) == ("R", ["I6"], None)


def test_without_the_guides_package_sets_get_envelope_checks_only(use_guides):
    use_guides(None)
    s = _set(validate(FIXTURES / "834.x12"))
    assert (s.ack_code, s.guide) == ("A", None)


def test_guide_crash_is_contained_and_logged_without_the_data(use_guides, caplog):
    class Crashing(FakeGuides):
        def validate_set(self, guide, segments, delimiters):
            next(iter(segments))
            raise ValueError("invalid literal for int(): 'DOE JOHN'")  # as data would quote

    use_guides(Crashing())
    report = validate(FIXTURES / "834.x12")
    assert report.interchanges[0].groups[0].sets[0].segment_count == 14
    assert "guide validation failed" in caplog.text and "ValueError at" in caplog.text
    assert "DOE" not in caplog.text


def test_unknown_transaction_set_is_not_supported_and_not_sent_to_a_guide(use_guides):
    fake = use_guides(FakeGuides())
    s = _set(validate(FIXTURES / "mutations/ik5_1_unsupported_set.x12"))
    assert (s.ack_code, s.codes, fake.seen) == ("R", ["1"], [])


def test_blank_before_a_set_segment_is_an_unrecognized_segment(use_guides, fixture_bytes):
    use_guides(FakeGuides())
    data = fixture_bytes("834.x12").replace(b"~\nBGN", b"~ \nBGN")
    s = _set(validate(data))
    assert [(i.segment_id, i.position, i.code) for i in s.issues] == [("BGN", 2, "1")]


def test_report_is_json_serialisable_and_names_the_positions(fixture_bytes):
    report = validate(fixture_bytes("mutations/ik5_4_se01_count.x12"))
    data = json.loads(json.dumps(report.to_dict()))
    ic = data["interchanges"][0]
    assert ic["header"]["sender_id"] == "SUBMITTER01"
    assert ic["delimiters"] == {"element": "*", "repetition": "^", "component": ":", "segment": "~"}
    s = ic["groups"][0]["sets"][0]
    assert (s["ack_code"], s["codes"], s["line"], s["segment_count"]) == ("R", ["4"], 3, 14)
    assert data["verdict"] == "rejected"


def test_not_x12_gives_a_reason_an_operator_understands():
    report = validate(b"%PDF-1.4 this is a PDF")
    assert report.verdict == "not_x12"
    assert report.error_code == "not_x12"
    assert "ISA" in report.error
    assert report.to_dict()["interchanges"] == []


def test_unreadable_path_is_a_report_not_an_exception(tmp_path):
    report = validate(tmp_path / "missing.x12")
    assert (report.verdict, report.error_code) == ("not_x12", "unreadable")


class _Metered(io.RawIOBase):
    """A stream that counts how far it has been read (real chunk sizes, like a file)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.data[self.pos : self.pos + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_streams_are_read_incrementally(fixture_bytes):
    # 8 MB of interchanges: the first one comes out long before the stream is consumed,
    # which a reader that slurps the whole source could not do
    one = fixture_bytes("834.x12")
    stream = _Metered(one * (8 * 1024 * 1024 // len(one)))
    first = next(iter(read(io.BufferedReader(stream, buffer_size=64 * 1024))))
    assert first.header.control_number == "000000101"
    assert stream.pos < len(stream.data) // 4


def test_counts_segments_and_bytes(fixture_bytes):
    data = fixture_bytes("834.x12")
    report = validate(data)
    assert report.segment_count == data.count(b"~")
    assert report.bytes_read == len(data)
    assert report.interchanges[0].segment_count == data.count(b"~")


def test_ta1_segments_inside_an_interchange_are_content_not_errors(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"GS*BE", b"TA1*000000050*260101*1200*A*000~\nGS*BE")
    ic = validate(data).interchanges[0]
    assert (ic.ta1_note, ic.other_segments) == ("000", ["TA1"])


def test_callback_failures_reach_the_caller_unchanged():
    class StoreDown(Exception):
        pass

    def is_duplicate(header):
        raise StoreDown("history unavailable")

    with pytest.raises(StoreDown):
        validate(FIXTURES / "834.x12", is_duplicate=is_duplicate)


def test_an_internal_error_still_ends_in_a_verdict(monkeypatch):
    def broken(self, group, ge):
        raise KeyError("bug")

    monkeypatch.setattr(engine._Engine, "_close_group", broken)
    report = validate(FIXTURES / "834.x12")
    assert report.verdict == "rejected"
    assert report.problems[-1].code == "internal"


@pytest.mark.parametrize("buffer", [1, 3, 14, 15])
def test_long_sets_are_streamed_to_the_guide_past_the_buffer(use_guides, monkeypatch, buffer):
    monkeypatch.setattr(engine, "SET_BUFFER", buffer)
    fake = use_guides(FakeGuides())
    s = _set(validate(FIXTURES / "834.x12"))
    assert fake.seen[0][0] == "ST" and fake.seen[0][-1] == "SE" and len(fake.seen[0]) == 14
    assert (s.segment_count, s.ack_code, list(s.codes)) == (14, "A", [])


def test_long_set_without_se_is_streamed_and_reported(use_guides, monkeypatch, fixture_bytes):
    monkeypatch.setattr(engine, "SET_BUFFER", 2)
    use_guides(FakeGuides())
    report = validate(fixture_bytes("mutations/ik5_2_se_missing.x12"))
    s = _set(report)
    assert (s.segment_count, list(s.codes)) == (13, ["2"])
    assert report.segment_count == report.interchanges[0].segment_count == 17
