"""Envelope and structure checks of issue 13 (#1, #2, #6, #7), each with a file that
triggers it and one that passes: HL and LX numbering, versions without a guide, GS06
uniqueness, TA1 segments received inside an interchange, trailing separators, TA104 E."""

from __future__ import annotations

import pytest

from edi_platform.x12 import validate

from .conftest import FIXTURES


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _set(data: bytes):
    return validate(data).interchanges[0].groups[0].sets[0]


def _findings(s) -> list[str]:
    out = []
    for i in s.issues:
        out.append(f"{i.segment_id}@{i.position}:{i.code}")
        out += [f"  {e.position}:{e.code}:{e.reference}" for e in i.elements]
    return out


# -- HL numbering (#1) -------------------------------------------------------------------
HL_CASES = {
    "837p.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*2*1*22*0~", b"HL*2*7*22*0~"),
    "837i.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*2*1*22*0~", b"HL*2*7*22*0~"),
    "837d.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*2*1*22*0~", b"HL*2*7*22*0~"),
    "270.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*3*2*22*0~", b"HL*3*9*22*0~"),
    "271.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*3*2*22*0~", b"HL*3*9*22*0~"),
    "276.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*2*1*21*1~", b"HL*2*5*21*1~"),
    "277.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*2*1*21*1~", b"HL*2*5*21*1~"),
    "277ca.x12": (b"HL*1**20*1~", b"HL*63**20*1~", b"HL*2*1*21*1~", b"HL*2*5*21*1~"),
}


@pytest.mark.parametrize("name", sorted(HL_CASES))
def test_hl_numbering_is_checked_in_every_hierarchical_guide(name):
    first, first_bad, child, child_bad = HL_CASES[name]
    data = _load(name)
    assert first in data and child in data
    assert _set(data).ack_code == "A"  # the fixture numbers its HLs correctly
    s = _set(data.replace(first, first_bad))
    assert s.ack_code == "R" and "  1:I12:628" in _findings(s)
    s = _set(data.replace(child, child_bad))
    assert s.ack_code == "R" and "  2:I12:734" in _findings(s)


def test_one_wrong_hl_number_is_one_finding_not_a_cascade():
    data = _load("837p.x12").replace(b"HL*1**20*1~", b"HL*63**20*1~")
    data = data.replace(b"HL*2*1*22*0~", b"HL*64*63*22*0~")
    assert _findings(_set(data)) == ["HL@6:8", "  1:I12:628"]


def test_lx_numbering_restarts_at_one_in_each_claim():
    data = _load("837p.x12")
    assert _set(data).ack_code == "A"
    s = _set(data.replace(b"LX*1~", b"LX*2~"))
    assert s.ack_code == "R" and "  1:I12:554" in _findings(s)
    assert [c.name for c in s.issues[0].contexts] == ["CLM01"]


# -- versions without a guide (#2) -----------------------------------------------------------
def test_a_supported_type_in_a_version_without_a_guide_is_not_accepted():
    data = _load("837p.x12").replace(b"005010X222A1", b"005010X291")
    s = _set(data)
    assert (s.ack_code, list(s.codes), s.guide) == ("R", ["I6"], None)
    assert _set(data.replace(b"005010X291", b"005010X222A1")).ack_code == "A"


def test_a_bare_005010_999_holding_a_997_ak5_is_validated_against_x231a1():
    data = _load("999.x12").replace(b"005010X231A1", b"005010").replace(b"IK5*R*5", b"AK5*R*5")
    s = _set(data)
    assert (s.guide, s.guide_version_matched) == ("005010X231A1", False)
    assert s.ack_code == "R" and any(i.segment_id == "AK5" for i in s.issues)
    clean = _load("999.x12").replace(b"005010X231A1", b"005010")
    assert _set(clean).ack_code == "A"


def test_reject_policy_answers_a_mapped_version_with_i6():
    data = _load("834.x12").replace(b"005010X220A1", b"005010X220A2")
    assert _set(data).guide_version_matched is False
    s = validate(data, version_fallback="reject").interchanges[0].groups[0].sets[0]
    assert (s.ack_code, list(s.codes)) == ("R", ["I6"])


# -- GS06 uniqueness, TA1 inside, trailing separators, TA104 E (#6, #7) -----------------------
def _two_groups(gs06_second: bytes) -> bytes:
    lines = _load("834.x12").split(b"\n")
    group = lines[1:-2]
    second = [line.replace(b"*101*X*", b"*" + gs06_second + b"*X*") for line in group]
    second = [line.replace(b"GE*1*101", b"GE*1*" + gs06_second) for line in second]
    return b"\n".join([lines[0], *group, *second, lines[-2].replace(b"IEA*1", b"IEA*2"), b""])


def test_two_groups_sharing_gs06_in_one_interchange_get_ak905_19():
    report = validate(_two_groups(b"101"))
    first, second = report.interchanges[0].groups
    assert (first.ack_code, first.codes) == ("A", [])
    assert (second.ack_code, second.codes) == ("R", ["19"])
    ok = validate(_two_groups(b"102")).interchanges[0].groups
    assert [g.codes for g in ok] == [[], []]


@pytest.mark.parametrize(
    ("ta1", "expected"),
    [
        (b"TA1*000000123*260101*1200*A*000~", ("A", "000")),
        (b"TA1*000000123*260101*1200*A*000*X~", ("E", "024")),
        (b"TA1*12*260101*1200*A*000~", ("E", "024")),
        (b"TA1*000000123*261340*1200*A*000~", ("E", "024")),
        (b"TA1*000000123*260101*2500*A*000~", ("E", "024")),
        (b"TA1*000000123*260101*1200*Q*000~", ("E", "024")),
        (b"TA1*000000123*260101*1200*A*999~", ("E", "024")),
    ],
    ids=["valid", "six-elements", "ta101", "ta102", "ta103", "ta104", "ta105"],
)
def test_ta1_segments_inside_an_interchange_are_validated(ta1, expected):
    data = _load("834.x12").replace(b"GS*BE*", ta1 + b"\nGS*BE*", 1)
    ic = validate(data).interchanges[0]
    assert (ic.ta1_code, ic.ta1_note) == expected
    assert ic.groups[0].ack_code == "A"  # the interchange is accepted (with errors noted)
    assert ic.verdict == ("accepted" if expected[0] == "A" else "accepted_with_errors")


def test_a_fatal_finding_outranks_a_noted_one_in_ta104():
    data = _load("834.x12").replace(b"GS*BE*", b"TA1*12*260101*1200*A*000~\nGS*BE*", 1)
    data = data.replace(b"IEA*1*000000101", b"IEA*1*000000999")
    ic = validate(data).interchanges[0]
    assert (ic.ta1_code, ic.ta1_note) == ("R", "001")


def test_a_trailing_element_separator_is_an_ik3_syntax_error():
    data = _load("834.x12")
    assert _set(data).ack_code == "A"
    s = _set(data.replace(b"REF*38*POLICY0001~", b"REF*38*POLICY0001*~"))
    assert (s.ack_code, _findings(s)) == ("R", ["REF@3:8"])
    assert s.issues[0].snip == 1 and "trailing" in s.issues[0].message
