"""Our 999 only holds values 005010X231A1 allows, whatever the inbound file held (issue 13
#3 and #5): substituted values are explained in IK3/IK4, and the 999 passes our own guide."""

from __future__ import annotations

from datetime import datetime

import pytest

from edi_platform.x12 import (
    Delimiters,
    EnvelopeParams,
    ack_999_content,
    build_999,
    validate,
    validate_outbound,
)
from edi_platform.x12.ack_values import (
    ak101,
    ak201,
    fit_an,
    fit_id,
    fit_n0,
    ik402,
    segment_id,
    st_element_notes,
)
from edi_platform.x12.issues import Context, ElementIssue, SegmentIssue
from edi_platform.x12.model import GroupHeader
from edi_platform.x12.report import GroupReport, SetReport

from .conftest import FIXTURES

ENV = EnvelopeParams(
    "ZZ", "US", "ZZ", "THEM", "US", "THEM", "T", Delimiters(), 7, 7, datetime(2026, 1, 1)
)
B834 = (FIXTURES / "834.x12").read_bytes()
B837 = (FIXTURES / "837p.x12").read_bytes()


def _segments(data: bytes) -> list[str]:
    return [s for s in data.decode("latin-1").split("~") if s]


def _ack(data: bytes) -> list[str]:
    group = validate(data).interchanges[0].groups[0]
    assert group.acknowledgeable
    ack = build_999(group, envelope=ENV, st02="0001")
    assert validate_outbound(ack) == []
    return _segments(ack)


def test_a_gs01_x231a1_does_not_list_is_answered_with_the_one_the_sets_imply():
    segs = _ack(B834.replace(b"GS*BE*", b"GS*ZQ*"))
    assert "AK1*BE*101*005010X220A1" in segs and segs[-4] == "AK9*R*1*1*1*1"


def test_a_group_with_nothing_x231a1_can_name_is_not_acknowledgeable():
    data = B834.replace(b"GS*BE*", b"GS*ZQ*").replace(b"ST*834*", b"ST*836*")
    group = validate(data).interchanges[0].groups[0]
    assert not group.acknowledgeable and ack_999_content(group)["ak1"][0] == ""


@pytest.mark.parametrize(
    ("segment", "ik301"),
    [(b"ZZZZZ*1~", "ZZZ"), (b"nm1*x~", "NM1"), (b"\xe9*1~", "UNK"), (b"Q*1~", "UNK")],
)
def test_an_unrecognised_segment_id_is_written_as_an_id_x231a1_allows(segment, ik301):
    data = B834.replace(b"REF*38*", segment + b"\nREF*38*")
    segs = _ack(data)
    assert any(s.startswith(f"IK3*{ik301}*3*") for s in segs), segs


def test_a_missing_required_composite_names_its_first_component_by_number():
    # SV1-01 (C003) is required in the 837P; its first component is DE 235
    segs = _ack(B837.replace(b"SV1*HC:99213*", b"SV1**"))
    ik4 = [s for s in segs if s.startswith("IK4*1")]
    assert ik4 == ["IK4*1:1*235*1"]


def test_ik402_is_left_out_when_the_reference_is_not_a_data_element_number():
    issue = SegmentIssue("SV1", 20, "2400", "8", elements=[ElementIssue(7, "13", 5, None, "C004")])
    segs = _segments(build_999(_group_with(issue), envelope=ENV, st02="0001"))
    assert "IK4*7:5**13" in segs


def _group_with(issue: SegmentIssue, st02: str = "0001", gs06: str = "9") -> GroupReport:
    s = SetReport("837", st02, "005010X222A1", 3, 0)
    s.issues = [issue]
    s.ack_code, s.codes = "R", ["5"]
    header = GroupHeader("HC", "A", "B", "20260101", "1200", gs06, "X", "005010X222A1")
    return GroupReport(header, [s], "R", 1, 1, 0)


def test_copied_values_lose_delimiters_and_characters_outside_the_x12_set():
    issue = SegmentIssue(
        "NM1",
        5,
        "2100A",
        "8",
        elements=[ElementIssue(3, "6", bad_value="A*B:C^D~E\x07F\ufffd" + "X" * 200)],
        contexts=[Context("CLM01", "C" * 38 + "*")],
    )
    data = build_999(_group_with(issue), envelope=ENV, st02="0001")
    segs = _segments(data)
    ik4 = next(s for s in segs if s.startswith("IK4*3**6*"))
    assert ik4.startswith("IK4*3**6*ABCDEFXXX") and len(ik4.split("*")[4]) <= 99
    assert "CTX*CLM01:" + "C" * 35 in segs  # CTX01-2 is AN 1/35
    assert validate_outbound(data) == []


def test_control_numbers_that_cannot_be_echoed_are_replaced_and_explained():
    issue = SegmentIssue("DMG", 11, "2010BA", "8", elements=[ElementIssue(2, "8", bad_value="1")])
    data = build_999(_group_with(issue, st02="12", gs06="A1"), envelope=ENV, st02="0001")
    segs = _segments(data)
    assert segs[3].startswith("AK1*HC*0*")  # AK102 is N0: GS06 A1 cannot be written
    assert "AK2*837*0012*005010X222A1" in segs
    assert segs[segs.index("IK3*ST*1**8") + 1] == "IK4*2*329*4*12"
    assert validate_outbound(data) == []


def test_every_finding_carries_its_snip_type_in_the_content():
    group = validate(B837.replace(b"DMG*D8*19800115", b"DMG*D8*19801340")).interchanges[0]
    content = ack_999_content(group.groups[0])
    ik3 = content["sets"][0]["ik3"][0]
    assert ik3["snip"] == 1 and ik3["elements"][0]["snip"] == 1  # an invalid date: syntax


# -- each fitting function on both sides of its bounds (mutation run, docs/mutation.md) ------


@pytest.mark.parametrize(
    ("gs01", "st01s", "expected"),
    [
        ("BE", ["837"], "BE"),  # a listed GS01 wins over what the sets imply
        ("ZQ", ["999", "836", "837"], "HC"),  # the first set ID that implies one
        ("ZQ", ["836"], None),
        ("FA", ["999"], None),  # FA is not an X231A1 AK101 code
        ("PI", ["275"], None),
        ("ZQ", [], None),
    ],
)
def test_ak101_is_gs01_when_listed_else_what_the_first_known_set_implies(gs01, st01s, expected):
    assert ak101(gs01, st01s) == expected


@pytest.mark.parametrize(
    ("st01", "functional_id", "expected"),
    [
        ("270", "HC", "270"),  # a listed ST01 wins over the functional ID
        ("83X", "HC", "837"),
        ("83X", "BE", "834"),
        ("83X", None, None),
        ("83X", "", None),
        ("83X", "PI", None),  # 275 is not an X231A1 AK201 code
        ("83X", "FA", None),  # FA stands for two sets: none implied
    ],
)
def test_ak201_is_st01_when_listed_else_the_set_the_functional_id_stands_for(
    st01, functional_id, expected
):
    assert ak201(st01, functional_id) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (None, ""),
        ("", ""),
        ("1", "1"),
        ("1234", "1234"),
        ("12345", ""),  # N0 1/4
        (" 725 ", "725"),
        ("C004", ""),
        ("\u0661\u0662", ""),  # digits, but not ASCII ones
    ],
)
def test_ik402_is_a_data_element_number_of_one_to_four_ascii_digits(reference, expected):
    assert ik402(reference) == expected


@pytest.mark.parametrize(
    ("value", "max_len", "banned", "expected"),
    [
        ("ABC", 3, "", "ABC"),  # exactly max_len: kept whole
        ("ABCD", 3, "", "ABC"),
        ("AB  C", 4, "", "AB"),  # cut, then the trailing blanks X12 suppresses
        ("AB ", 9, "", "AB"),
        ("A*B:C", 9, "*:", "ABC"),  # the interchange's delimiters never go out
        ("A\x07B", 9, "", "AB"),  # control characters dropped
        ("Caf\xe9*", 9, "*", "Caf\xe9"),  # Latin-1 (extended set) kept, delimiter dropped
        ("A\u0100B", 9, "", "AB"),  # outside Latin-1 dropped
        ("   ", 9, "", ""),
    ],
)
def test_fit_an_keeps_allowed_characters_within_bounds_without_trailing_blanks(
    value, max_len, banned, expected
):
    assert fit_an(value, max_len, banned) == expected


@pytest.mark.parametrize(
    ("value", "min_len", "max_len", "expected"),
    [
        ("HC", 2, 3, "HC"),
        ("ABC", 2, 3, "ABC"),
        ("ABCD", 2, 3, "ABC"),
        ("hc", 2, 3, "HC"),
        ("A-B", 2, 3, "AB"),
        ("H", 2, 3, ""),
        ("h-", 2, 3, ""),
        ("", 1, 1, ""),
    ],
)
def test_fit_id_is_upper_case_letters_and_digits_within_bounds_or_nothing(
    value, min_len, max_len, expected
):
    assert fit_id(value, min_len, max_len) == expected


@pytest.mark.parametrize(
    ("value", "maximum", "minimum", "expected"),
    [
        (None, 9, 1, ""),
        (0, 9, 1, "1"),
        (0, 9, 0, "0"),
        (5, 9, 1, "5"),
        (9, 9, 1, "9"),
        (12, 9, 1, "9"),
    ],
)
def test_fit_n0_keeps_a_number_inside_its_bounds(value, maximum, minimum, expected):
    assert fit_n0(value, maximum, minimum) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("NM1", "NM1"), ("nm1", "NM1"), ("ZZZZZ", "ZZZ"), ("N-", "UNK"), ("Q", "UNK"), ("", "UNK")],
)
def test_segment_id_is_an_id_of_two_or_three_or_unk(value, expected):
    assert segment_id(value) == expected


def _st_notes(st01: str, st02: str, st03: str, ak2=("837", "0001", "005010X222A1")):
    return [
        (n["position"], n["reference"], n["code"], n["bad_value"])
        for n in st_element_notes(st01, st02, st03, ak2=ak2)
    ]


def test_st_elements_echoed_by_ak2_need_no_note():
    assert _st_notes("837", "0001", "005010X222A1") == []
    assert _st_notes("837", "0001", "") == []  # no ST03 received: nothing to say about it


@pytest.mark.parametrize(
    ("st01", "st02", "st03", "expected"),
    [
        ("", "0001", "", [(1, "143", "1", "")]),  # missing
        ("83X", "0001", "", [(1, "143", "7", "83X")]),  # not a valid code
        ("837", "", "", [(2, "329", "1", "")]),
        ("837", "123", "", [(2, "329", "4", "123")]),  # AN 4/9: three is too short
        ("837", "12-4", "", [(2, "329", "6", "12-4")]),  # four is long enough: invalid
        ("837", "123456789", "", [(2, "329", "6", "123456789")]),  # nine: invalid, not long
        ("837", "1234567890", "", [(2, "329", "5", "1234567890")]),  # ten is too long
        ("837", "0001", "X" * 35, [(3, "1705", "6", "X" * 35)]),
        ("837", "0001", "X" * 36, [(3, "1705", "5", "X" * 36)]),  # AN 1/35
    ],
)
def test_each_st_element_ak2_could_not_echo_gets_its_ik4_code(st01, st02, st03, expected):
    assert _st_notes(st01, st02, st03) == expected


def test_an_st_note_is_a_whole_ik4_at_snip_level_1():
    (note,) = st_element_notes("83X", "0001", "", ak2=("837", "0001", ""))
    assert note == {
        "position": 1,
        "component": None,
        "repetition": None,
        "reference": "143",
        "code": "7",
        "bad_value": "83X",
        "snip": 1,
        "contexts": [],
    }
