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
