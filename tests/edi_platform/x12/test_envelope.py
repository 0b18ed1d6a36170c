"""Envelope rules: every TA105, AK905 and IK502 code the engine emits, on synthetic mutations."""

from __future__ import annotations

import pytest

from edi_platform.x12 import Delimiters, validate
from edi_platform.x12.envelope import (
    check_gs,
    check_isa,
    check_ta1,
    is_valid_ccyymmdd,
    is_valid_hhmm,
    is_valid_yymmdd,
)
from edi_platform.x12.model import GroupHeader, InterchangeHeader
from edi_platform.x12.segments import Segment

from .conftest import FIXTURES, MUTATIONS

TA1_CASES = sorted(p.name for p in MUTATIONS.glob("ta1_*.x12"))
AK9_CASES = sorted(p.name for p in MUTATIONS.glob("ak9_*.x12"))
IK5_CASES = sorted(p.name for p in MUTATIONS.glob("ik5_*.x12"))
VALID = sorted(p.name for p in FIXTURES.glob("*.x12"))


def _expected(name: str) -> str:
    return name.split("_")[1]


def test_every_emitted_envelope_code_has_a_mutation_fixture():
    ta1 = {_expected(n) for n in TA1_CASES}
    assert ta1 >= {f"{n:03d}" for n in range(1, 28)} - {"002", "009", "025"}
    assert {_expected(n) for n in AK9_CASES} == {"1", "2", "3", "4", "5", "6"}
    assert {_expected(n) for n in IK5_CASES} >= {"1", "2", "3", "4", "5", "6", "7", "23", "I6"}


@pytest.mark.parametrize("name", VALID)
def test_valid_fixtures_have_a_clean_envelope(name):
    report = validate(FIXTURES / name)
    ic = report.interchanges[0]
    assert (ic.ta1_code, ic.ta1_note, ic.issues) == ("A", "000", [])
    group = ic.groups[0]
    assert group.codes == []
    assert not {"1", "2", "3", "4", "6", "7", "23", "I6"} & set(group.sets[0].codes)


@pytest.mark.parametrize("name", TA1_CASES)
def test_interchange_mutation_gives_its_ta105_code(name):
    report = validate(MUTATIONS / name)
    ic = report.interchanges[0]
    assert ic.ta1_code == "R"
    assert ic.ta1_note == _expected(name)
    assert report.verdict == "rejected"


@pytest.mark.parametrize("name", AK9_CASES)
def test_group_mutation_gives_its_ak905_code(name):
    report = validate(MUTATIONS / name)
    group = report.interchanges[0].groups[0]
    assert group.ack_code == "R"
    assert group.codes == [_expected(name)]


@pytest.mark.parametrize("name", IK5_CASES)
def test_set_mutation_gives_its_ik502_code(name):
    fallback = "reject" if "_I6_" in name else "nearest"
    report = validate(MUTATIONS / name, version_fallback=fallback)
    sets = report.interchanges[0].groups[0].sets
    assert any(s.ack_code == "R" and _expected(name) in s.codes for s in sets)


def test_undefined_version_is_validated_against_the_nearest_guide_by_default():
    report = validate(MUTATIONS / "ik5_I6_version_not_defined.x12")
    s = report.interchanges[0].groups[0].sets[0]
    assert "I6" not in s.codes
    if s.guide is not None:  # with the guides installed: nearest definition, flagged as such
        assert s.guide_version_matched is False


def test_duplicate_isa13_uses_the_callers_history():
    seen = []

    def is_duplicate(header):
        seen.append((header.sender_qualifier, header.sender_id, header.control_number))
        return True

    report = validate(FIXTURES / "834.x12", is_duplicate=is_duplicate)
    assert seen == [("ZZ", "SUBMITTER01", "000000101")]
    assert report.interchanges[0].ta1_note == "025"


def test_unknown_receiver_uses_the_callers_list():
    report = validate(FIXTURES / "834.x12", is_known_receiver=lambda q, i: i == "SOMEONEELSE")
    assert report.interchanges[0].ta1_note == "009"
    report = validate(FIXTURES / "834.x12", is_known_receiver=lambda q, i: i == "RECEIVER01")
    assert report.interchanges[0].ta1_note == "000"


def test_u_in_isa11_of_a_5010_interchange_is_tolerated(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"*^*00501*", b"*U*00501*")
    assert validate(data).interchanges[0].ta1_note == "000"


def test_first_interchange_finding_becomes_ta105_and_all_are_listed(fixture_bytes):
    data = fixture_bytes("mutations/ta1_014_date.x12").replace(b"IEA*1*", b"IEA*3*")
    ic = validate(data).interchanges[0]
    assert ic.ta1_note == "014"
    assert [i.code for i in ic.issues] == ["014", "021"]


def test_group_counts_follow_the_trailer_and_the_sets_received(fixture_bytes):
    group = validate(MUTATIONS / "ak9_5_ge01_count.x12").interchanges[0].groups[0]
    assert (group.ack_code, group.included, group.received, group.accepted) == ("R", 2, 1, 1)


def test_one_rejected_set_of_two_makes_the_group_partially_accepted():
    group = validate(MUTATIONS / "ik5_23_st02_not_unique.x12").interchanges[0].groups[0]
    assert [s.ack_code for s in group.sets] == ["A", "R"]
    assert (group.ack_code, group.received, group.accepted) == ("P", 2, 1)


def test_broken_isa_still_identifies_the_sender_for_a_ta1():
    ic = validate(MUTATIONS / "ta1_004_terminator_letter.x12").interchanges[0]
    assert ic.broken and ic.sender_identified
    assert (ic.header.sender_qualifier, ic.header.sender_id) == ("ZZ", "SUBMITTER01")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("260228", True), ("240229", True), ("250229", False), ("261301", False), ("2601", False)],
)
def test_isa_dates(value, ok):
    assert is_valid_yymmdd(value) is ok


def test_gs_dates_and_times():
    assert is_valid_ccyymmdd("20240229") and not is_valid_ccyymmdd("20230229")
    assert is_valid_hhmm("2359") and not is_valid_hhmm("2400")
    assert is_valid_hhmm("235959", max_len=8) and not is_valid_hhmm("23595", max_len=8)


# -- the findings people read: exact texts, codes and positions (mutation run) ----------------

_024 = "Invalid Interchange Content (e.g., Invalid GS Segment): "


def test_a_valid_ta1_has_no_problem():
    assert check_ta1(Segment("TA1", ["000000123", "260101", "1200", "A", "000"])) == []


def test_every_problem_of_a_received_ta1_is_named_in_element_order():
    seg = Segment("TA1", ["12345678X", "261340", "2500", "Q", "999", "EXTRA"])
    assert check_ta1(seg) == [
        _024 + "the TA1 has 6 elements instead of 5",
        _024 + "TA101 Interchange Control Number is not 9 digits",
        _024 + "TA102 Interchange Date is not a valid YYMMDD date",
        _024 + "TA103 Interchange Time is not a valid HHMM time",
        _024 + "TA104 Interchange Acknowledgment Code is not A, E or R",
        _024 + "TA105 Interchange Note Code is not an X12 I18 code",
    ]


@pytest.mark.parametrize(
    "ta101", ["12345678", "1234567890", "12345678X", "X23456789", "\u0661" * 9]
)
def test_ta101_is_exactly_nine_ascii_digits(ta101):
    seg = Segment("TA1", [ta101, "260101", "1200", "A", "000"])
    assert check_ta1(seg) == [_024 + "TA101 Interchange Control Number is not 9 digits"]


def test_a_gs_finding_is_a_ta1_024_issue_at_the_gs_line_and_offset():
    seg = Segment("GS", ["HC", "", "B", "20261340", "1200", "1", "T", "005010X222A1"], 3, 120)
    header = GroupHeader("HC", "", "B", "20261340", "1200", "1", "T", "005010X222A1")
    codes, issues = check_gs(seg, header)
    assert codes == []
    assert [(i.code, i.message, i.line, i.offset) for i in issues] == [
        ("024", _024 + "GS02 Application Sender's Code is missing", 3, 120),
        ("024", _024 + "GS04 Date is not a valid CCYYMMDD date", 3, 120),
        ("024", _024 + "GS07 Responsible Agency Code is not X", 3, 120),
    ]


def test_every_gs_problem_is_named_and_gs06_is_one_to_nine_digits():
    seg = Segment("GS", ["HC", "", "", "20260101", "12", "1234567890", "X"], 4, 200)
    header = GroupHeader("HC", "", "", "20260101", "12", "1234567890", "X", "005010X222A1")
    codes, issues = check_gs(seg, header)
    assert codes == ["6"]
    assert [i.message.removeprefix(_024) for i in issues] == [
        "the GS has 7 elements instead of 8",
        "GS02 Application Sender's Code is missing",
        "GS03 Application Receiver's Code is missing",
        "GS05 Time is not a valid HHMM[SS[D..]] time",
    ]


@pytest.mark.parametrize(
    ("gs05", "valid"), [("1200", True), ("12000099", True), ("120000999", False), ("12", False)]
)
def test_gs05_is_hhmm_with_up_to_four_more_digits(gs05, valid):
    seg = Segment("GS", ["HC", "A", "B", "20260101", gs05, "1", "X", "005010X222A1"])
    header = GroupHeader("HC", "A", "B", "20260101", gs05, "1", "X", "005010X222A1")
    codes, issues = check_gs(seg, header)
    assert codes == []
    assert [i.message for i in issues] == (
        [] if valid else [_024 + "GS05 Time is not a valid HHMM[SS[D..]] time"]
    )


def _isa(elements: list[str]) -> list[tuple[str, str, int, int]]:
    seg = Segment("ISA", elements, 1, 0)
    issues = check_isa(seg, InterchangeHeader.from_segment(seg), Delimiters())
    return [(i.code, i.message, i.line, i.offset) for i in issues]


_GOOD_ISA = (FIXTURES / "834.x12").read_text().split("~")[0].split("*")[1:]


def test_a_good_isa_has_no_finding():
    assert len(_GOOD_ISA) == 16 and _isa(list(_GOOD_ISA)) == []


@pytest.mark.parametrize("count", [15, 10, 1])
def test_an_isa_with_too_few_elements_is_a_022_first_and_is_still_checked(count):
    found = _isa(list(_GOOD_ISA[:count]))
    assert found[0] == (
        "022",
        f"Invalid Control Structure: the ISA has {count} elements instead of 16",
        1,
        0,
    )
    assert len(found) == 1 + (16 - count)  # and each missing element is named


def test_an_isa_with_too_many_elements_is_a_022():
    assert [f[0] for f in _isa([*_GOOD_ISA, "X"])] == ["022"]
