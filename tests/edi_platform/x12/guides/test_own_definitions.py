"""Our own definitions (270/271 X279A1, 276/277 X212, 837D X224A2) judge bad data."""

from __future__ import annotations

from .helpers import drop, replace, run, summary


def test_270_requires_bht() -> None:
    assert summary(run("270", drop("BHT"))) == [("BHT", 2, None, "3", [])]


def test_270_trace_type_code_is_checked() -> None:
    found = summary(run("270", replace("TRN", "TRN*9*TRACE01*9876543210")))
    assert found == [("TRN", 8, "2000C", "8", [(1, None, None, "7")])]


def test_271_benefit_information_code_is_checked() -> None:
    found = summary(run("271", replace("EB*1", "EB*ZZ*IND*30**GOLD PLAN")))
    assert found == [("EB", 14, "2110C", "8", [(1, None, None, "7")])]


def test_271_loop_trailer_names_the_2120_loop() -> None:
    found = summary(run("271", replace("LE", "LE*2100")))
    assert found == [("LE", 18, "2110C", "8", [(1, None, None, "7")])]


def test_276_gender_code_is_checked() -> None:
    found = summary(run("276", replace("DMG", "DMG*D8*19800101*X")))
    assert found == [("DMG", 10, "2000D", "8", [(3, None, None, "7")])]


def test_276_subscriber_name_loop_is_required() -> None:
    found = summary(run("276", drop("NM1*IL")))
    assert ("NM1", 11, "2100D", "3", []) in found


def test_277_status_category_code_is_checked() -> None:
    found = summary(run("277", replace("STC", "STC*ZZ:20*20240101**100.00*0.00")))
    assert found == [("STC", 12, "2200D", "8", [(1, 1, None, "7")])]


def test_837d_professional_service_line_is_not_in_the_dental_guide() -> None:
    found = summary(run("837D", replace("SV3", "SV1*HC:99213*100.00*UN*1***1")))
    assert found == [("SV1", 21, "2400", "6", []), ("SV3", 22, "2400", "3", [])]


def test_837d_tooth_code_list_qualifier_is_checked() -> None:
    found = summary(run("837D", replace("TOO", "TOO*XX*8*M:O")))
    assert found == [("TOO", 22, "2400", "8", [(1, None, None, "7")])]


def test_837d_tooth_surface_codes_are_checked() -> None:
    found = summary(run("837D", replace("TOO", "TOO*JP*8*M:Q")))
    assert found == [("TOO", 22, "2400", "8", [(3, 2, None, "7")])]


def test_837d_assistant_surgeon_loops_at_claim_and_line_level() -> None:
    from .helpers import insert_after

    assert (
        summary(run("837D", insert_after("DTP*472", "NM1*DD*1*SURGEON*ANN****XX*1234567893"))) == []
    )
    claim = summary(run("837D", insert_after("DTP*472", "NM1*DD*1")))
    line = summary(run("837D", insert_after("TOO", "NM1*DD*1")))
    assert claim == [("NM1", 20, "2310D", "8", [(3, None, None, "1")])]
    assert line == [("NM1", 23, "2420B", "8", [(3, None, None, "1")])]
