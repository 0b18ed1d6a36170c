"""IK304 codes with positions (IK302) and loop ids (IK303) on edited synthetic sets."""

from __future__ import annotations

from .helpers import drop, insert_after, replace, run, summary


def test_unrecognized_segment_id_is_1() -> None:
    assert summary(run("834", insert_after("BGN", "ZZZ*X"))) == [("ZZZ", 3, None, "1", [])]


def test_guide_segment_outside_any_open_loop_is_unexpected_2() -> None:
    # HD (834 loop 2300) right after BGN: no 2000/2300 loop is open there
    assert summary(run("834", insert_after("BGN", "HD*021**HLT"))) == [("HD", 3, None, "2", [])]


def test_required_segment_missing_is_3_where_it_was_expected() -> None:
    assert summary(run("834", drop("BGN"))) == [("BGN", 2, None, "3", [])]


def test_loop_over_maximum_is_4_on_its_trigger() -> None:
    edited = run("834", insert_after("N1*P5", "N1*P5*OTHER EMPLOYER*FI*123456780"))
    assert summary(edited) == [("N1", 6, "1000A", "4", [])]


def test_segment_over_maximum_use_is_5() -> None:
    edited = run("834", insert_after("DMG", "DMG*D8*19800101*F"))
    assert summary(edited) == [("DMG", 16, "2100A", "5", [])]


def test_known_segment_not_in_this_transaction_set_is_6() -> None:
    edited = run("834", insert_after("BGN", "BEG*00*SA*PO1**20240101"))
    assert summary(edited) == [("BEG", 3, None, "6", [])]


def test_segment_of_an_open_loop_met_again_later_is_out_of_sequence_7() -> None:
    def move_bgn(texts: list[str]) -> list[str]:
        bgn = texts.pop(1)
        texts.insert(4, bgn)  # after the 1000A N1 loop
        return texts

    assert summary(run("834", move_bgn)) == [
        ("BGN", 2, None, "3", []),
        ("BGN", 5, "1000A", "7", []),
    ]


def test_element_errors_are_8_with_their_ik4() -> None:
    edited = run("834", replace("DMG", "DMG*D8*19801340*F"))
    assert summary(edited) == [("DMG", 15, "2100A", "8", [(2, None, None, "8")])]


def test_subscriber_is_patient_requires_subscriber_dmg_i6() -> None:
    # X222A1 2010BA DMG: required when the subscriber is the patient (SBR02 = 18)
    edited = run("837P", replace("DMG*D8*19800101*F", "PER*IC*X*TE*5555551234"))
    found = summary(edited)
    assert ("DMG", 23, "2000B", "I6", []) in found
    issue = next(i for i in edited if i.code == "I6")
    assert issue.rejects is True
    assert issue.contexts[0].name == "SITUATIONAL TRIGGER"
    assert (issue.contexts[0].segment_id, issue.contexts[0].position) == ("SBR", 12)


def test_patient_level_when_subscriber_is_patient_is_i9_and_does_not_reject() -> None:
    def add_patient(texts: list[str]) -> list[str]:
        texts = replace("HL*2*1*22*0", "HL*2*1*22*1")(texts)
        return insert_after(
            "NM1*PR",
            "HL*3*2*23*0",
            "PAT*19",
            "NM1*QC*1*DOE*TED",
            "N3*1 MAIN ST",
            "N4*ANYTOWN*NY*12345",
            "DMG*D8*20100101*M",
        )(texts)

    edited = run("837P", add_patient)
    assert summary(edited) == [("HL", 18, "2000C", "I9", [])]
    assert edited[0].rejects is False
    assert edited[0].contexts[0].element_position == 2


def test_qualifier_of_a_loop_not_open_here_is_unexpected_2() -> None:
    # DTP*348 is a 2300 (health coverage) date; at member level no 2300 loop is open
    edited = run("834", replace("DTP*356", "DTP*348*D8*20240101"))
    assert summary(edited) == [("DTP", 10, "2000", "2", [])]


def test_qualifier_of_an_earlier_sibling_loop_is_out_of_sequence_7() -> None:
    # 837D 2420B (assistant surgeon, NM1*DD) after 2420C (supervising, NM1*DQ)
    edited = run("837D", insert_after("TOO", "NM1*DQ*1*SUPERVISOR*AL", "NM1*DD*1*X"))
    assert summary(edited) == [("NM1", 24, "2420C", "7", [])]


def _swap_member_refs(texts: list[str]) -> list[str]:
    i, j = texts.index("REF*0F*SUB0001"), texts.index("REF*1L*GRP01")
    texts[i], texts[j] = texts[j], texts[i]
    return texts


def test_same_position_group_in_any_order_owes_nothing() -> None:
    # X220A1 2000 REF*0F (required) and REF*1L share a position
    assert summary(run("834", _swap_member_refs)) == []


def test_required_member_of_a_position_group_is_missing_when_the_group_is_left() -> None:
    assert summary(run("834", drop("REF*0F"))) == [("REF", 9, "2000", "3", [])]
