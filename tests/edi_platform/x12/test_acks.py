"""999 and TA1: content from reports, rendering into interchanges, TA1 policy."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from edi_platform.x12 import (
    Delimiters,
    EnvelopeParams,
    ack_999_content,
    ack_999_json,
    build_999,
    build_ta1,
    render_999_interchange,
    render_ta1_interchange,
    ta1_content,
    ta1_wanted,
    validate,
    validate_envelope,
)
from edi_platform.x12.engine import _guides
from edi_platform.x12.issues import Context, ElementIssue, SegmentIssue
from edi_platform.x12.model import GroupHeader
from edi_platform.x12.report import GroupReport, SetReport
from edi_platform.x12.segments import Segment

from .conftest import FIXTURES, MUTATIONS

ENV = EnvelopeParams(
    sender_qualifier="ZZ",
    sender_id="RECEIVER01",
    receiver_qualifier="ZZ",
    receiver_id="SUBMITTER01",
    sender_gs_code="RECEIVER01",
    receiver_gs_code="SUBMITTER01",
    usage_indicator="T",
    delimiters=Delimiters("*", "^", ":", "~"),
    isa13=42,
    gs06=7,
    timestamp=datetime(2026, 3, 4, 5, 6),
)


def _segments(data: bytes) -> list[str]:
    return [s for s in data.decode().split("~") if s]


def _group(path):
    return validate(path).interchanges[0].groups[0]


def test_999_content_is_json_data_with_ak1_ak2_ik5_ak9():
    content = ack_999_content(_group(FIXTURES / "834.x12"))
    assert json.loads(json.dumps(content)) == content
    assert content["ak1"] == ["BE", "101", "005010X220A1"]
    assert content["sets"][0]["ak2"] == ["834", "0001", "005010X220A1"]
    assert content["ak9"][:4] == ["A", 1, 1, 1]


@pytest.mark.parametrize(
    "path",
    [FIXTURES / "834.x12", FIXTURES / "837p.x12", MUTATIONS / "ik5_5_bad_date.x12"],
    ids=lambda p: p.name,
)
def test_999_json_is_the_999_content_encoded(path):
    group = _group(path)
    assert json.loads(ack_999_json(group)) == ack_999_content(group)


def test_999_json_of_a_group_of_thousands_of_sets_keeps_every_set_in_order():
    group = GroupReport(GroupHeader(functional_id="HC", control_number="9", version="005010X222A1"))
    for n in range(2501):
        rep = SetReport("837", f"{n:04d}", "005010X222A1", n * 30, n * 900)
        if n % 997 == 0:
            rep.ack_code, rep.codes = "R", ["5"]
            rep.issues = [SegmentIssue("CLM", 2, "2300", "8")]
        group.sets.append(rep)
    decoded = json.loads(ack_999_json(group))
    assert decoded == ack_999_content(group)
    assert [s["ak2"][1] for s in decoded["sets"]] == [f"{n:04d}" for n in range(2501)]


def test_999_json_of_a_group_without_sets_has_an_empty_set_list():
    group = GroupReport(GroupHeader(functional_id="BE", control_number="7", version="005010X220A1"))
    assert json.loads(ack_999_json(group))["sets"] == []


def test_999_interchange_has_one_gs_and_one_st_per_content_with_our_numbers():
    contents = [ack_999_content(_group(FIXTURES / n)) for n in ("834.x12", "837p.x12")]
    data = render_999_interchange(contents, envelope=ENV, st02s=["0005", "0006"])
    segs = _segments(data)
    assert [s.split("*")[0] for s in segs].count("GS") == 1
    assert [s for s in segs if s.startswith("ST*")] == [
        "ST*999*0005*005010X231A1",
        "ST*999*0006*005010X231A1",
    ]
    assert segs[1] == "GS*FA*RECEIVER01*SUBMITTER01*20260304*0506*7*X*005010X231A1"
    assert segs[0].split("*")[13] == "000000042"
    assert segs[-2] == "GE*2*7" and segs[-1] == "IEA*1*000000042"
    assert validate_envelope(data) == []


def test_rendering_is_deterministic():
    content = ack_999_content(_group(MUTATIONS / "ik5_4_se01_count.x12"))
    one = render_999_interchange([content], envelope=ENV, st02s=["0001"])
    two = render_999_interchange([json.loads(json.dumps(content))], envelope=ENV, st02s=["0001"])
    assert one == two


def test_rejected_set_is_answered_with_ik5_codes_and_ak9_counts():
    data = build_999(_group(MUTATIONS / "ik5_4_se01_count.x12"), envelope=ENV, st02="0001")
    segs = _segments(data)
    assert "IK5*R*4" in segs and "AK9*R*1*1*0" in segs


def test_group_error_is_answered_in_ak9():
    data = build_999(_group(MUTATIONS / "ak9_5_ge01_count.x12"), envelope=ENV, st02="0001")
    assert "AK9*R*2*1*1*5" in _segments(data)


def test_ak2_is_sent_even_without_st03(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"ST*834*0001*005010X220A1", b"ST*834*0001")
    segs = _segments(build_999(_group(data), envelope=ENV, st02="0001"))
    assert "AK2*834*0001" in segs
    assert any(s.startswith("IK5*") for s in segs)


def test_unknown_transaction_set_is_reported_not_dropped():
    segs = _segments(
        build_999(_group(MUTATIONS / "ik5_1_unsupported_set.x12"), envelope=ENV, st02="0001")
    )
    # AK201 only takes the set IDs X231A1 lists: the group's (BE -> 834) is written, and an
    # IK3/IK4 on the ST says that ST01 was 836 (an invalid code here)
    start = segs.index("AK2*834*0001*005010X220A1")
    assert segs[start + 1 : start + 4] == ["IK3*ST*1**8", "IK4*1*143*7*836", "IK5*R*1"]


def _group_with(issue: SegmentIssue) -> GroupReport:
    s = SetReport("837", "0001", "005010X222A1", 3, 0)
    s.issues = [issue]
    s.ack_code, s.codes = "R", ["5"]
    g = GroupReport(
        GroupHeader("HC", "A", "B", "20260101", "1200", "9", "X", "005010X222A1"), [s], "R", 1, 1, 0
    )
    return g


def test_ik3_ctx_and_ik4_segments_carry_positions_context_and_bad_value():
    issue = SegmentIssue(
        "SV1",
        20,
        "2400",
        "8",
        elements=[
            ElementIssue(1, "7", component=2, reference="234", bad_value="ZZ*9~"),
            ElementIssue(3, "I12", repetition=2, reference="355"),
        ],
        contexts=[
            Context("CLM01", "CLAIM0001"),
            Context("SITUATIONAL TRIGGER", "", "CLM", 17, "2300", 5),
        ],
    )
    segs = _segments(build_999(_group_with(issue), envelope=ENV, st02="0001"))
    start = segs.index("IK3*SV1*20*2400*8")
    assert segs[start + 1 : start + 5] == [
        "CTX*CLM01:CLAIM0001",
        "CTX*SITUATIONAL TRIGGER*CLM*17*2300*5",
        "IK4*1:2*234*7*ZZ9",  # delimiters inside a copied value are dropped
        "IK4*3::2*355*I12",
    ]


def test_bad_value_copy_is_trimmed_to_99_characters_without_trailing_blanks():
    issue = SegmentIssue(
        "NM1",
        5,
        "2100A",
        "8",
        elements=[
            ElementIssue(3, "5", bad_value="X" * 120),
            ElementIssue(4, "6", bad_value="AB  "),
        ],
    )
    content = ack_999_content(_group_with(issue))
    values = [e["bad_value"] for e in content["sets"][0]["ik3"][0]["elements"]]
    assert values == ["X" * 99, "AB"]


def test_ta1_interchange_is_isa_ta1_iea_with_zero_groups():
    ic = validate(MUTATIONS / "ta1_021_iea01_count.x12").interchanges[0]
    content = ta1_content(ic)
    assert json.loads(json.dumps(content)) == content
    data = render_ta1_interchange([content], envelope=ENV)
    segs = _segments(data)
    assert [s.split("*")[0] for s in segs] == ["ISA", "TA1", "IEA"]
    assert segs[1] == "TA1*000000101*260101*1200*R*021"
    assert segs[2] == "IEA*0*000000042"
    assert validate_envelope(data) == []
    assert build_ta1(ic, envelope=ENV) == data


def test_ta1_for_an_unreadable_isa_uses_zeros_for_what_is_missing():
    ic = validate(MUTATIONS / "ta1_004_terminator_letter.x12").interchanges[0]
    segs = _segments(build_ta1(ic, envelope=ENV))
    assert segs[1] == "TA1*000000101*260101*1200*R*004"


@pytest.mark.parametrize(
    ("policy", "name", "expected"),
    [
        ("never", "mutations/ta1_014_date.x12", False),
        ("always", "834.x12", True),
        ("on_error", "834.x12", False),
        ("on_error", "mutations/ta1_014_date.x12", True),
        ("on_request", "834.x12", False),
        ("on_request", "mutations/ta1_004_terminator_letter.x12", True),
    ],
)
def test_ta1_policy(policy, name, expected):
    ic = validate(FIXTURES / name).interchanges[0]
    assert ta1_wanted(ic, policy) is expected


def test_ta1_on_request_follows_isa14(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"*000000101*0*T*", b"*000000101*1*T*")
    assert ta1_wanted(validate(data).interchanges[0], "on_request")


def test_no_ta1_when_the_sender_cannot_be_identified():
    ic = validate(MUTATIONS / "ta1_026_element_separator_letter.x12").interchanges[0]
    assert not ic.sender_identified and not ta1_wanted(ic, "always")


def test_our_999_passes_the_999_guide_when_guides_are_installed():
    issue = SegmentIssue(
        "SV1",
        20,
        "2400",
        "8",
        elements=[ElementIssue(1, "7", component=2, reference="234", bad_value="ZZ")],
    )
    data = build_999(_group_with(issue), envelope=ENV, st02="0001")
    report = validate(data)
    assert report.interchanges[0].ta1_note == "000"
    assert report.interchanges[0].groups[0].codes == []
    s = report.interchanges[0].groups[0].sets[0]
    if _guides() is not None and s.guide is not None:
        assert (s.ack_code, list(s.issues)) == ("A", [])


def test_loop_ids_longer_than_ik303_allows_are_left_out_of_the_segment():
    issue = SegmentIssue("DMG", 11, "2100A", "8", elements=[ElementIssue(2, "8")])
    segs = _segments(build_999(_group_with(issue), envelope=ENV, st02="0001"))
    assert "IK3*DMG*11**8" in segs
    assert ack_999_content(_group_with(issue))["sets"][0]["ik3"][0]["loop_id"] == "2100A"


def test_segment_helper_is_not_needed_for_content():
    # content holds plain data only: no Segment objects leak into stored payloads
    content = ack_999_content(_group(MUTATIONS / "ik5_5_bad_date.x12"))
    assert "Segment(" not in repr(content) and not isinstance(content, Segment)


def test_a_set_outside_any_group_cannot_be_answered_with_a_999(fixture_bytes):
    data = fixture_bytes("834.x12")
    lines = [line for line in data.split(b"\n") if not line.startswith((b"GS", b"GE"))]
    ic = validate(b"\n".join(lines)).interchanges[0]
    assert ic.ta1_note == "024"
    assert [g.acknowledgeable for g in ic.groups] == [False]
    assert _group(FIXTURES / "834.x12").acknowledgeable


# -- what the mutation run found unpinned (docs/mutation.md) ---------------------------------


def test_ta1_never_means_never_even_when_isa14_asks_for_one(fixture_bytes):
    data = fixture_bytes("834.x12").replace(b"*000000101*0*T*", b"*000000101*1*T*")
    ic = validate(data).interchanges[0]
    assert ta1_wanted(ic, "on_request") and not ta1_wanted(ic, "never")


def test_ta1_content_is_the_whole_json_record():
    ic = validate(MUTATIONS / "ta1_021_iea01_count.x12").interchanges[0]
    assert ta1_content(ic, received=datetime(2030, 5, 6, 7, 8)) == {
        "type": "TA1",
        "control_number": "000000101",
        "date": "260101",
        "time": "1200",
        "ack_code": "R",
        "note_code": "021",
        "original_sender": [ic.header.sender_qualifier, ic.header.sender_id],
        "original_receiver": [ic.header.receiver_qualifier, ic.header.receiver_id],
    }
    assert ic.header.sender_id and ic.header.receiver_id


def test_a_ta1_for_a_bad_isa_date_carries_the_received_date_or_today_in_utc(monkeypatch):
    ic = validate(MUTATIONS / "ta1_014_date.x12").interchanges[0]
    given = ta1_content(ic, received=datetime(2030, 5, 6, 7, 8))
    assert (given["date"], given["time"]) == ("300506", "1200")  # ISA10 was fine
    # a zone whose date differs from UTC's right now (UTC+14 late in the UTC day, UTC-11 early)
    zone = "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Pago_Pago"
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        before = datetime.now(UTC).strftime("%y%m%d")
        assert datetime.now().strftime("%y%m%d") != before  # the zone does differ
        content = ta1_content(ic)
        after = datetime.now(UTC).strftime("%y%m%d")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert content["date"] in {before, after}


def _ctx_group(*contexts: Context, element_level: bool = False) -> list[str]:
    if element_level:
        issue = SegmentIssue(
            "DMG", 11, "2010BA", "8", elements=[ElementIssue(2, "8", contexts=list(contexts))]
        )
    else:
        issue = SegmentIssue("DMG", 11, "2010BA", "8", contexts=list(contexts))
    segs = _segments(build_999(_group_with(issue), envelope=ENV, st02="0001"))
    return [s for s in segs if s.startswith("CTX")]


def _trigger(n: int = 1, **kw) -> Context:
    kw.setdefault("segment_id", "CLM")
    kw.setdefault("position", n)
    kw.setdefault("loop_id", "2300")
    return Context("SITUATIONAL TRIGGER", **kw)


def test_at_most_nine_trigger_ctx_follow_an_ik3_and_ten_an_ik4_then_the_business_unit():
    many = [_trigger(n) for n in range(1, 13)]
    business = Context("CLM01", "CLAIM0001")
    after_ik3 = _ctx_group(*many, business)
    assert after_ik3[:9] == [f"CTX*SITUATIONAL TRIGGER*CLM*{n}*2300" for n in range(1, 10)]
    assert after_ik3[9:] == ["CTX*CLM01:CLAIM0001"]  # the overflow skipped, not the rest
    after_ik4 = _ctx_group(*many, element_level=True)
    assert after_ik4 == [f"CTX*SITUATIONAL TRIGGER*CLM*{n}*2300" for n in range(1, 11)]


def test_a_trigger_ctx_without_a_segment_id_is_not_written():
    assert _ctx_group(_trigger(segment_id=None), _trigger(2)) == [
        "CTX*SITUATIONAL TRIGGER*CLM*2*2300"
    ]


def test_trigger_ctx_fields_keep_to_their_bounds():
    ctx = _ctx_group(
        _trigger(1_000_000, loop_id="2300A"),  # CTX03 N0 1/6, CTX04 AN 1/4: left out, not cut
        _trigger(5, loop_id="2*0", element_position=3),  # no delimiter in a copied value
    )
    assert ctx == [
        "CTX*SITUATIONAL TRIGGER*CLM*999999",
        "CTX*SITUATIONAL TRIGGER*CLM*5*20*3",
    ]


def test_a_context_without_segment_or_loop_is_empty_strings_in_the_content():
    issue = SegmentIssue("CLM", 3, "2300", "8", contexts=[Context("CLM01", "C1")])
    content = ack_999_content(_group_with(issue))
    assert content["sets"][0]["ik3"][0]["contexts"] == [
        {
            "name": "CLM01",
            "reference": "C1",
            "segment_id": "",
            "position": None,
            "loop_id": "",
            "element_position": None,
        }
    ]


def _one_set(st01: str, st02: str, st03: str, functional_id: str = "HC") -> GroupReport:
    s = SetReport(st01, st02, st03, 3, 0)
    header = GroupHeader(functional_id, "A", "B", "20260101", "1200", "9", "X", st03)
    return GroupReport(header, [s], "A", 1, 1, 1)


@pytest.mark.parametrize("encode", [False, True], ids=["content", "json"])
def test_an_unlisted_st01_is_answered_with_the_set_the_functional_id_stands_for(encode):
    group = _one_set("83X", "0001", "005010X222A1")
    content = json.loads(ack_999_json(group)) if encode else ack_999_content(group)
    (response,) = content["sets"]
    assert response["ak2"] == ["837", "0001", "005010X222A1"]
    assert response["ik3"][0]["elements"][0]["bad_value"] == "83X"


@pytest.mark.parametrize(
    ("st02", "ak202"),
    [
        ("12", "0012"),
        ("X12", "0X12"),
        ("1234", "1234"),
        ("1234567890", "123456789"),
        ("12-4", "12-4"),
    ],
)
def test_ak202_is_an_4_to_9_padded_or_cut(st02, ak202):
    (response,) = ack_999_content(_one_set("837", st02, "005010X222A1"))["sets"]
    assert response["ak2"][1] == ak202


@pytest.mark.parametrize(
    ("st03", "ak203"),
    [
        ("005010X222A1", "005010X222A1"),
        (" ", ""),  # nothing X12 could write: left out
        ("X ", ""),  # a trailing blank X12 suppresses: not as received
        ("X\x07", ""),  # an unprintable character: not echoed
        ("X\xe9", "X\xe9"),  # extended character set (Latin-1): echoed
        ("X" * 35, "X" * 35),
        ("X" * 36, ""),  # AN 1/35
    ],
)
def test_ak203_echoes_st03_only_when_it_can_be_written_as_is(st03, ak203):
    (response,) = ack_999_content(_one_set("837", "0001", st03))["sets"]
    assert response["ak2"][2] == ak203


def _rendered(content: dict) -> list[str]:
    data = render_999_interchange([content], envelope=ENV, st02s=["0001"])
    return [s for s in _segments(data) if s.split("*")[0] in {"AK1", "AK2", "IK3", "IK4"}]


def _stored(ak1: list, *ak2s: list) -> dict:
    # content as stored earlier (JSON): rendering fits it again, whatever it holds
    sets = [{"ak2": ak2, "ik3": [], "ik5": ["A"]} for ak2 in ak2s]
    return {"type": "999", "ak1": ak1, "sets": sets, "ak9": ["A", 1, 1, 1]}


@pytest.mark.parametrize(
    ("ak1", "expected"),
    [
        (["HC", "1", "005010X222A1"], "AK1*HC*1*005010X222A1"),
        (["HC", "123456789", "005010X222A1"], "AK1*HC*123456789*005010X222A1"),
        (["HCX", "1234567890", "005010X222A1"], "AK1*HC*0*005010X222A1"),  # ID 2/2, N0 1/9
        (["HC", "", "005010X222A1X"], "AK1*HC*0*005010X222A1"),  # AN 1/12
        (["HC", "12A", "0050*10X:2"], "AK1*HC*0*005010X2"),  # no delimiter in a copy
        (["HC", "7", "***"], "AK1*HC*7*UNKNOWN"),
    ],
)
def test_a_stored_ak1_is_fitted_when_rendered(ak1, expected):
    assert _rendered(_stored(ak1, ["837", "0001", "X"]))[0] == expected


@pytest.mark.parametrize(
    ("ak2", "expected"),
    [
        (["837", "0001", "005010X222A1"], "AK2*837*0001*005010X222A1"),
        (["837", "0001"], "AK2*837*0001"),  # a short stored AK2: the rest empty
        (["837", "12"], "AK2*837*0012"),  # AN 4/9: padded
        (["837", "1234"], "AK2*837*1234"),
        (["837", "123456789"], "AK2*837*123456789"),
        (["837", "1234567890"], "AK2*837*123456789"),  # cut
        (["837", "12*4"], "AK2*837*0124"),  # a delimiter dropped, then padded
        (["837", "1234*"], "AK2*837*1234"),
        (["8370", "0001", "X" * 36], "AK2*837*0001*" + "X" * 35),  # ID 3/3, AN 1/35
        (["837", "0001", "0050*10X"], "AK2*837*0001*005010X"),
    ],
)
def test_a_stored_ak2_is_fitted_when_rendered(ak2, expected):
    assert _rendered(_stored(["HC", "1", "005010X222A1"], ak2))[1] == expected


def test_each_stored_ak2_of_a_group_is_fitted_on_its_own():
    content = _stored(
        ["HC", "1", "005010X222A1"],
        ["837", "0001", "005010X222A1"],
        ["837", "0002", "005010X222A1"],
        ["8370", "0003", "005010X222A1"],
        ["837", "0004", "X*Y"],
    )
    assert _rendered(content)[1:] == [
        "AK2*837*0001*005010X222A1",
        "AK2*837*0002*005010X222A1",
        "AK2*837*0003*005010X222A1",
        "AK2*837*0004*XY",
    ]


def test_stored_ik3_and_ik4_numbers_and_loop_are_fitted_when_rendered():
    element = {
        "position": 100,
        "component": 100,
        "repetition": 10_000,
        "reference": "66",
        "code": "7",
        "bad_value": "A*B",
        "contexts": [],
    }
    ik3 = {
        "segment_id": "NM1",
        "position": 1_000_000,
        "loop_id": "2*0",
        "code": "8",
        "contexts": [],
        "elements": [element],
    }
    content = _stored(["HC", "1", "005010X222A1"], ["837", "0001", "005010X222A1"])
    content["sets"][0]["ik3"] = [ik3]
    assert _rendered(content)[2:] == ["IK3*NM1*999999*20*8", "IK4*99:99:9999*66*7*AB"]


def _flagged(st01: str, st03: str, *issues: SegmentIssue, codes=("5",)) -> dict:
    s = SetReport(st01, "0001", st03, 3, 0)
    s.issues = list(issues)
    s.ack_code, s.codes = "R", list(codes)
    header = GroupHeader("HC", "A", "B", "20260101", "1200", "9", "X", "005010X222A1")
    (response,) = ack_999_content(GroupReport(header, [s], "R", 1, 1, 0))["sets"]
    return response


_BHT = SegmentIssue("BHT", 2, None, None, elements=[ElementIssue(2, "7", reference="353")])


def test_a_flagged_set_keeps_its_listed_st01_in_the_functional_id_s_group():
    assert _flagged("270", "005010X279A1", _BHT)["ak2"] == ["270", "0001", "005010X279A1"]


def test_what_ak2_could_not_echo_is_a_first_ik3_on_the_st_of_its_own():
    response = _flagged("83X", "X" * 36, _BHT)
    st, bht = response["ik3"]
    notes = [(e["position"], e["reference"], e["code"]) for e in st["elements"]]
    assert {k: v for k, v in st.items() if k != "elements"} == {
        "segment_id": "ST",
        "position": 1,
        "loop_id": "",
        "code": "8",
        "snip": 1,
        "contexts": [],
    }
    assert notes == [(1, "143", "7"), (3, "1705", "5")]
    # a finding without loop or IK304 code: no loop, IK304 8; no ST note on another segment
    assert (bht["segment_id"], bht["loop_id"], bht["code"]) == ("BHT", "", "8")
    assert [e["reference"] for e in bht["elements"]] == ["353"]


def test_st_notes_join_the_ik3_the_set_already_has_on_its_st():
    st_issue = SegmentIssue("ST", 1, None, "8", elements=[ElementIssue(3, "7", reference="1705")])
    response = _flagged("83X", "005010X222A1", st_issue, _BHT)
    assert [i["segment_id"] for i in response["ik3"]] == ["ST", "BHT"]
    st_elements = response["ik3"][0]["elements"]
    assert [(e["position"], e["reference"]) for e in st_elements] == [(3, "1705"), (1, "143")]


def test_ik5_carries_at_most_five_listed_codes():
    response = _flagged("837", "005010X222A1", _BHT, codes=("5", "ZZ", "1", "2", "3", "4", "6"))
    assert response["ik5"] == ["R", "5", "1", "2", "3", "4"]


def test_an_st01_nothing_can_stand_for_is_an_empty_ak201_in_the_content():
    (response,) = ack_999_content(_one_set("836", "0001", "X", functional_id="ZQ"))["sets"]
    assert response["ak2"] == ["", "0001", "X"]


def test_999_content_is_typed_and_ak9_carries_at_most_five_listed_codes():
    group = _one_set("837", "0001", "005010X222A1")
    group.ack_code, group.codes = "R", ["1", "ZZ", "2", "3", "4", "5", "6"]
    content = ack_999_content(group)
    assert content["type"] == "999"
    assert content["ak9"] == ["R", 1, 1, 1, "1", "2", "3", "4", "5"]


def test_a_copy_loses_its_delimiters_before_it_is_cut_to_length():
    # cut first, the cleaned value would come out one character short
    assert _rendered(_stored(["HC", "1", "X"], ["837", "0001", "*" + "X" * 35]))[1] == (
        "AK2*837*0001*" + "X" * 35
    )
    element = {"position": 3, "component": None, "repetition": None, "reference": "66"}
    element |= {"code": "7", "bad_value": "*" + "X" * 99, "contexts": []}
    ik3 = {"segment_id": "NM1", "position": 5, "loop_id": "2100", "code": "8"}
    ik3 |= {"contexts": [_context_dict("CLM01", "*" + "C" * 35)], "elements": [element]}
    content = _stored(["HC", "1", "X"], ["837", "0001", "X"])
    content["sets"][0]["ik3"] = [ik3]
    rendered = render_999_interchange([content], envelope=ENV, st02s=["0001"])
    segs = _segments(rendered)
    assert "IK4*3*66*7*" + "X" * 99 in segs and "CTX*CLM01:" + "C" * 35 in segs


def _context_dict(name: str, reference: str = "", **kw) -> dict:
    return {
        "name": name,
        "reference": reference,
        "segment_id": kw.get("segment_id", ""),
        "position": kw.get("position"),
        "loop_id": kw.get("loop_id", ""),
        "element_position": kw.get("element_position"),
    }


def test_a_stored_ak2_with_only_st01_is_padded():
    assert _rendered(_stored(["HC", "1", "X"], ["837"]))[1] == "AK2*837*0000"


def test_a_business_unit_ctx_needs_a_value_and_never_follows_an_ik4():
    assert _ctx_group(Context("CLM01", ""), Context("CLM01", "C2")) == ["CTX*CLM01:C2"]
    assert _ctx_group(Context("CLM01", "C1"), _trigger(1), element_level=True) == [
        "CTX*SITUATIONAL TRIGGER*CLM*1*2300"
    ]


def test_a_trigger_ctx_element_position_is_at_most_99():
    assert _ctx_group(_trigger(4, element_position=100)) == [
        "CTX*SITUATIONAL TRIGGER*CLM*4*2300*99"
    ]


def test_the_content_keeps_a_bad_value_as_received_less_trailing_blanks():
    issue = SegmentIssue("NM1", 5, "2100A", "8", elements=[ElementIssue(3, "6", bad_value="AB\t ")])
    content = ack_999_content(_group_with(issue))
    assert content["sets"][0]["ik3"][0]["elements"][0]["bad_value"] == "AB\t"
