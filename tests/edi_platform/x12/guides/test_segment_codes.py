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
