"""IK403 codes with element positions (IK401 incl. component and repetition)."""

from __future__ import annotations

import pytest

from .helpers import insert_after, replace, run, summary

CASES = [
    # (IK403, sample, edit, expected summary)
    (
        "1",
        "834",
        replace("BGN", "BGN*00**20240101*1200****2"),
        [("BGN", 2, None, "8", [(2, None, None, "1")])],
    ),
    (
        "2",
        "834",
        replace("NM1*IL", "NM1*IL*1*DOE*JANE****34"),
        [("NM1", 11, "2100A", "8", [(9, None, None, "2")])],
    ),
    (
        "3",
        "834",
        replace("N3", "N3*1 MAIN ST*APT 2*EXTRA"),
        [("N3", 13, "2100A", "8", [(3, None, None, "3")])],
    ),
    (
        "4",
        "834",
        replace("NM1*IL", "NM1*IL*1*DOE*JANE****34*9"),
        [("NM1", 11, "2100A", "8", [(9, None, None, "4")])],
    ),
    (
        "5",
        "834",
        replace("BGN", "BGN*00*" + "X" * 51 + "*20240101*1200****2"),
        [("BGN", 2, None, "8", [(2, None, None, "5")])],
    ),
    (
        "6",
        "837P",
        replace("CLM", "CLM*CLAIM001*1O0.00***11:B:1*Y*A*Y*Y"),
        [("CLM", 18, "2300", "8", [(2, None, None, "6")])],
    ),
    (
        "7",
        "834",
        replace("INS", "INS*Q*18*021*28*A***FT"),
        [("INS", 7, "2000", "8", [(1, None, None, "7")])],
    ),
    (
        "8",
        "834",
        replace("DMG", "DMG*D8*19801340*F"),
        [("DMG", 15, "2100A", "8", [(2, None, None, "8")])],
    ),
    (
        "8",
        "276",
        replace("DTP", "DTP*472*RD8*20240102-20240101"),
        [("DTP", 16, "2200D", "8", [(3, None, None, "8")])],
    ),
    (
        "9",
        "834",
        replace("BGN", "BGN*00*REF123*20240101*2561****2"),
        [("BGN", 2, None, "8", [(4, None, None, "9")])],
    ),
    (
        "10",
        "837P",
        replace("N4*ANYTOWN*NY*123450000", "N4*ANYTOWN*NY*123450000****ON"),
        [("N4", 9, "2010AA", "8", [(7, None, None, "10"), (4, None, None, "2")])],
    ),
    (
        "12",
        "834",
        replace("REF*0F", "REF*0F*SUB^0001"),
        [("REF", 8, "2000", "8", [(2, None, None, "12")])],
    ),
    (
        "13",
        "834",
        replace("N3", "N3*1 MAIN:ST"),
        [("N3", 13, "2100A", "8", [(1, None, None, "13")])],
    ),
    (
        "I6",
        "834",
        replace("INS", "INS*Y*18*026*28*A***FT"),  # 026: an HD01 maintenance type only
        [("INS", 7, "2000", "8", [(3, None, None, "I6")])],
    ),
    (
        "I9",
        "837P",
        replace("N4*ANYTOWN*NY*12345", "N4*ANYTOWN**12345"),
        [("N4", 9, "2010AA", "8", [(2, None, None, "I9")])],
    ),
    (
        "I10",
        "837P",
        replace("REF*EI", "REF*EI*123456789*DESCRIPTION"),
        [("REF", 10, "2010AA", "8", [(3, None, None, "I10")])],
    ),
    (
        "I12",
        "837P",
        insert_after("DMG", "REF*SY*12345"),
        [("REF", 17, "2010BA", "8", [(2, None, None, "I12")])],
    ),
    (
        "I13",
        "837P",
        replace("NM1*41", "NM1*41*2*SUBMITTER CO*JOHN****46*SUB01"),
        [("NM1", 3, "1000A", "8", [(4, None, None, "I13")])],
    ),
    (
        "1",
        "837P",
        replace("CLM", "CLM*CLAIM001*100.00***11::1*Y*A*Y*Y"),
        [("CLM", 18, "2300", "8", [(5, 2, None, "1")])],
    ),
    (
        "5",
        "270",
        replace("EQ", "EQ*30^ZZZ"),
        [("EQ", 12, "2110C", "8", [(1, None, 2, "5"), (1, None, 2, "7")])],
    ),
]


@pytest.mark.parametrize(
    ("code", "sample", "edit", "expected"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_element_code(code: str, sample: str, edit, expected) -> None:
    found = summary(run(sample, edit))
    assert found == expected
    assert code in [e[3] for issue in found for e in issue[4]]


@pytest.mark.parametrize(
    ("code", "rejects"), [("I10", False), ("I13", False), ("I12", True), ("7", True)]
)
def test_severity_follows_the_documented_rule(code: str, rejects: bool) -> None:
    case = next(c for c in CASES if c[0] == code)
    issues = run(case[1], case[2])
    assert [i.rejects for i in issues] == [rejects]


def test_ik4_carries_reference_name_and_bad_value_but_message_has_no_value() -> None:
    (issue,) = run("834", replace("DMG", "DMG*D8*19801340*F"))
    (element,) = issue.elements
    assert (element.reference, element.name, element.bad_value) == (
        "1251",
        "Member Birth Date",
        "19801340",
    )
    assert "DMG02" in issue.message and "Member Birth Date" in issue.message
    assert "19801340" not in issue.message
