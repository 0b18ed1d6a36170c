"""WEDI SNIP types 3-5: each check with a file that triggers it and one that satisfies it.

Files are our fixtures (tests/fixtures/x12) with one targeted edit; every finding must carry
its SNIP type, and the 999 built from it must pass our own X231A1 guide (conftest fixture).
"""

from __future__ import annotations

import pytest

from edi_platform.x12 import ack_999_content, validate

from .conftest import FIXTURES


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edit(name: str, *pairs: tuple[bytes, bytes]) -> bytes:
    data = load(name)
    for old, new in pairs:
        assert old in data, old
        data = data.replace(old, new, 1)
    return data


def findings(data: bytes, **options) -> list[tuple]:
    """(segment, IK304, SNIP type, [(IK401, component, IK403)], CTX names) per finding."""
    s = validate(data, **options).interchanges[0].groups[0].sets[0]
    return [
        (
            i.segment_id,
            i.code,
            i.snip,
            [(e.position, e.component, e.code) for e in i.elements],
            sorted(c.name for c in i.contexts),
        )
        for i in s.issues
    ]


def snip_findings(data: bytes, **options) -> list[tuple]:
    return [f for f in findings(data, snip_level=5, **options) if f[2] >= 3]


@pytest.mark.parametrize(
    "name",
    [
        "834.x12",
        "835.x12",
        "837p.x12",
        "837i.x12",
        "837d.x12",
        "270.x12",
        "271.x12",
        "276.x12",
        "277.x12",
        "277ca.x12",
    ],
)
def test_our_fixtures_satisfy_every_snip_check(name):
    assert snip_findings(load(name)) == []


# -- SNIP 3: balancing ------------------------------------------------------------------------
BALANCING = [
    (
        "837P CLM02 = sum of SV102",
        "837p.x12",
        [(b"CLM*TESTCLAIM1*100.00", b"CLM*TESTCLAIM1*150.00")],
        ("CLM", "8", 3, [(2, None, "I12")], ["CLM01"]),
    ),
    (
        "837I CLM02 = sum of SV203",
        "837i.x12",
        [(b"SV2*0450*HC:99283*250.00", b"SV2*0450*HC:99283*240.00")],
        ("CLM", "8", 3, [(2, None, "I12")], ["CLM01"]),
    ),
    (
        "837D CLM02 = sum of SV302",
        "837d.x12",
        [(b"SV3*AD:D1110*120.00", b"SV3*AD:D1110*20.00")],
        ("CLM", "8", 3, [(2, None, "I12")], ["CLM01"]),
    ),
    (
        "835 BPR02 = sum CLP04 - PLB",
        "835.x12",
        [(b"BPR*I*80.00", b"BPR*I*90.00")],
        ("BPR", "8", 3, [(2, None, "I12")], []),
    ),
    (
        "835 CLP03 - CLP04 = CAS",
        "835.x12",
        [(b"CAS*PR*2*20.00", b"CAS*PR*2*15.00")],
        None,  # two findings: the line and the claim
    ),
]


@pytest.mark.parametrize(
    ("label", "name", "edits", "expected"), BALANCING, ids=[b[0] for b in BALANCING]
)
def test_balancing(label, name, edits, expected):
    found = snip_findings(edit(name, *edits))
    if expected is None:
        assert [f[0] for f in found] == ["CLP", "SVC"] and all(f[2] == 3 for f in found)
    else:
        assert found == [expected]
    # SNIP level 2 switches balancing off
    assert [
        f for f in findings(edit(name, *edits), snip_level=2, code_sets=False) if f[2] == 3
    ] == []


def test_835_provider_adjustments_enter_the_payment_total():
    data = edit(
        "835.x12",
        (b"BPR*I*80.00", b"BPR*I*70.00"),
        (b"SE*16*0001", b"PLB*1234567893*20261231*WO:X1*10.00~\nSE*17*0001"),
    )
    assert snip_findings(data) == []
    assert snip_findings(data.replace(b"WO:X1*10.00", b"WO:X1*5.00"))[0][0] == "BPR"


def test_835_debit_balances_with_bpr02_negated_by_its_flag():
    # recoupments above the claims paid: 80 - 100 = -20, sent as BPR02 20 with BPR03 D
    data = edit(
        "835.x12",
        (b"BPR*I*80.00*C", b"BPR*I*20.00*D"),
        (b"SE*16*0001", b"PLB*1234567893*20261231*WO:X1*100.00~\nSE*17*0001"),
    )
    assert snip_findings(data) == []
    assert snip_findings(data.replace(b"BPR*I*20.00*D", b"BPR*I*20.00*C"))[0][0] == "BPR"


COB_837P = (
    b"SBR*S*01*******CI~\nAMT*D*60.00~\nOI***Y***Y~\nNM1*IL*1*TESTLAST*TESTFIRST****MI*TESTMEM009~\n"
    b"NM1*PR*2*OTHER PAYER*****PI*OTHERPAY1~\n"
)


def _cob(claim_cas: bytes, svd: bytes) -> bytes:
    data = load("837p.x12")
    data = data.replace(b"LX*1~", COB_837P.replace(b"AMT*D", claim_cas + b"AMT*D") + b"LX*1~", 1)
    data = data.replace(b"DTP*472*D8*20251215~", b"DTP*472*D8*20251215~\n" + svd, 1)
    count = data.count(b"~") - 4  # segments from ST to SE (ISA, GS, GE, IEA are not)
    return data.replace(b"SE*23*0001", b"SE*%d*0001" % count)


def test_837_cob_amounts_balance_per_other_payer():
    good = _cob(b"CAS*CO*45*10.00~\n", b"SVD*OTHERPAY1*70.00*HC:99213**1~\nCAS*PR*1*30.00~\n")
    assert snip_findings(good) == []
    # claim level: CLM02 = AMT*D + claim CAS + line CAS (60 + 10 + 30 = 100)
    bad_claim = _cob(b"CAS*CO*45*5.00~\n", b"SVD*OTHERPAY1*70.00*HC:99213**1~\nCAS*PR*1*30.00~\n")
    assert [(f[0], f[2], f[3]) for f in snip_findings(bad_claim)] == [
        ("AMT", 3, [(2, None, "I12")])
    ]
    # line level: SVD02 = SV102 - 2430 CAS (100 - 30 = 70)
    bad_line = _cob(b"CAS*CO*45*10.00~\n", b"SVD*OTHERPAY1*75.00*HC:99213**1~\nCAS*PR*1*30.00~\n")
    assert ("SVD", 3, [(2, None, "I12")]) in [(f[0], f[2], f[3]) for f in snip_findings(bad_line)]


def test_834_control_totals():
    qty = b"N1*IN**FI*999000222~\nQTY*TO*1~\nQTY*ET*1~\nQTY*DT*0~"
    good = edit("834.x12", (b"N1*IN**FI*999000222~", qty), (b"SE*14*", b"SE*17*"))
    assert snip_findings(good) == []
    bad = good.replace(b"QTY*DT*0", b"QTY*DT*2")
    assert [(f[0], f[2], f[3]) for f in snip_findings(bad)] == [("QTY", 3, [(2, None, "I12")])]


# -- SNIP 4: situational rules (data in guides/definitions/snip_*.py) ---------------------------
SITUATIONAL = [
    (
        "837P REF*F8 when CLM05-3 is 7",
        "837p.x12",
        [(b"11:B:1*Y", b"11:B:7*Y")],
        [(b"HI*ABK:J069~", b"REF*F8*PAYERCLAIM1~\nHI*ABK:J069~"), (b"SE*23*", b"SE*24*")],
        ("REF", "I6", 4, [], ["CLM01", "SITUATIONAL TRIGGER"]),
    ),
    (
        "837P 2000C when SBR02 is not 18",
        "837p.x12",
        [(b"SBR*P*18*", b"SBR*P**")],
        None,  # satisfied: see test_patient_level_is_present_when_sbr02_is_absent
        ("HL", "I6", 4, [], ["SITUATIONAL TRIGGER"]),
    ),
    (
        "837P CLM11-4 when CLM11-1 is AA",
        "837p.x12",
        [(b"*Y*A*Y*I~", b"*Y*A*Y*I**AA~\nDTP*439*D8*20251201~"), (b"SE*23*", b"SE*24*")],
        [(b"*Y*A*Y*I~", b"*Y*A*Y*I**AA:::NY~\nDTP*439*D8*20251201~"), (b"SE*23*", b"SE*24*")],
        ("CLM", "8", 4, [(11, 4, "I9")], ["CLM01", "SITUATIONAL TRIGGER"]),
    ),
    (
        "837P DTP*439 when CLM11-1 is OA",
        "837p.x12",
        [(b"*Y*A*Y*I~", b"*Y*A*Y*I**OA~")],
        [(b"*Y*A*Y*I~", b"*Y*A*Y*I**OA~\nDTP*439*D8*20251201~"), (b"SE*23*", b"SE*24*")],
        ("DTP", "I6", 4, [], ["CLM01", "SITUATIONAL TRIGGER"]),
    ),
    (
        "837P 2310B not used when it repeats the billing NPI",
        "837p.x12",
        [(b"LX*1~", b"NM1*82*1*DOC*JANE****XX*1234567893~\nLX*1~"), (b"SE*23*", b"SE*24*")],
        [(b"LX*1~", b"NM1*82*1*DOC*JANE****XX*1245319599~\nLX*1~"), (b"SE*23*", b"SE*24*")],
        ("NM1", "I9", 4, [], ["CLM01", "SITUATIONAL TRIGGER"]),
    ),
    (
        "837P 2420A not used when it repeats the claim's rendering NPI",
        "837p.x12",
        [
            (b"LX*1~", b"NM1*82*1*DOC*JANE****XX*1245319599~\nLX*1~"),
            (b"D8*20251215~", b"D8*20251215~\nNM1*82*1*DOC*JANE****XX*1245319599~"),
            (b"SE*23*", b"SE*25*"),
        ],
        [
            (b"LX*1~", b"NM1*82*1*DOC*JANE****XX*1245319599~\nLX*1~"),
            (b"D8*20251215~", b"D8*20251215~\nNM1*82*1*DOC*JOHN****XX*1245319607~"),
            (b"SE*23*", b"SE*25*"),
        ],
        ("NM1", "I9", 4, [], ["CLM01", "SITUATIONAL TRIGGER"]),
    ),
    (
        "837P SV107 points to a diagnosis sent",
        "837p.x12",
        [(b"SV1*HC:99213*100.00*UN*1***1", b"SV1*HC:99213*100.00*UN*1***2")],
        [(b"HI*ABK:J069", b"HI*ABK:J069*ABF:R05"), (b"***1~", b"***2~")],
        ("SV1", "8", 4, [(7, 1, "7")], ["CLM01", "SITUATIONAL TRIGGER"]),
    ),
    (
        "835 BPR04 NON when BPR01 is H",
        "835.x12",
        [
            (
                b"BPR*I*80.00*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*999988880*DA*98765",
                b"BPR*H*80.00*C*CHK",
            )
        ],
        [
            (
                b"BPR*I*80.00*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*999988880*DA*98765",
                b"BPR*H*80.00*C*NON",
            )
        ],
        ("BPR", "8", 4, [(4, None, "7")], ["SITUATIONAL TRIGGER"]),
    ),
    (
        "835 bank data required for ACH",
        "835.x12",
        [(b"*01*999988880*DA*98765*", b"*****")],
        None,
        ("BPR", "8", 4, [(12, None, "I9")], ["SITUATIONAL TRIGGER"]),
    ),
    (
        "835 bank data not sent for CHK",
        "835.x12",
        [(b"*C*ACH*CCP*", b"*C*CHK*CCP*")],
        [
            (
                b"*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*999988880*DA*98765*",
                b"*C*CHK************",
            )
        ],
        ("BPR", "8", 4, [(6, None, "I13")], ["SITUATIONAL TRIGGER"]),
    ),
    (
        "834 subscriber is self",
        "834.x12",
        [(b"INS*Y*18*", b"INS*Y*19*")],
        None,
        ("INS", "8", 4, [(2, None, "7")], ["SITUATIONAL TRIGGER"]),
    ),
    (
        "834 dependent is not self",
        "834.x12",
        [(b"INS*Y*18*", b"INS*N*18*")],
        [(b"INS*Y*18*", b"INS*N*19*")],
        ("INS", "8", 4, [(2, None, "7")], ["SITUATIONAL TRIGGER"]),
    ),
    (
        "270 III02 is a place of service when III01 is ZZ",
        "270.x12",
        [(b"EQ*30~", b"EQ*30~\nIII*ZZ*30~"), (b"SE*13*", b"SE*14*")],
        [(b"EQ*30~", b"EQ*30~\nIII*ZZ*11~"), (b"SE*13*", b"SE*14*")],
        ("III", "8", 4, [(2, None, "7")], ["SITUATIONAL TRIGGER"]),
    ),
]


@pytest.mark.parametrize(
    ("label", "name", "trigger", "satisfy", "expected"),
    SITUATIONAL,
    ids=[s[0] for s in SITUATIONAL],
)
def test_situational_rule(label, name, trigger, satisfy, expected):
    found = snip_findings(edit(name, *trigger))
    assert expected in found, found
    if satisfy is not None:
        assert snip_findings(edit(name, *satisfy)) == []
    # SNIP level 3 switches situational rules off
    assert [
        f for f in findings(edit(name, *trigger), snip_level=3, code_sets=False) if f[2] == 4
    ] == []


def test_270_iii_place_of_service_is_judged_on_the_plan_date():
    # POS 27 starts 2023-10-01: a 270 planned before then asks about a code not yet in use
    iii = [(b"EQ*30~", b"EQ*30~\nIII*ZZ*27~"), (b"SE*13*", b"SE*14*")]
    before = [(b"DTP*291*D8*20260101", b"DTP*291*D8*20230101")]
    assert ("III", "8", 4, [(2, None, "7")], ["SITUATIONAL TRIGGER"]) in snip_findings(
        edit("270.x12", *iii, *before)
    )
    assert snip_findings(edit("270.x12", *iii)) == []


def test_a_program_reads_dates_only_for_checks_that_wait_for_them():
    from edi_platform.x12.snip import program_for

    # the 834's checks judge no dated list: its DTP segments are not read at all
    assert "DTP" not in program_for("005010X220A1", 4, True).dispatch
    assert "DTP" in program_for("005010X222A1", 4, True).dispatch  # POS on the service date


def test_patient_level_is_present_when_sbr02_is_absent():
    patient = (
        b"HL*3*2*23*0~\nPAT*19~\nNM1*QC*1*KIDLAST*KIDFIRST~\nN3*200 TEST AVENUE~\n"
        b"N4*TESTCITY*NY*10001~\nDMG*D8*20100115*F~\nCLM*"
    )
    data = edit(
        "837p.x12",
        (b"SBR*P*18*", b"SBR*P**"),
        (b"HL*2*1*22*0~", b"HL*2*1*22*1~"),
        (b"CLM*", patient),
        (b"SE*23*", b"SE*29*"),
    )
    assert snip_findings(data) == []


# -- SNIP 5: code sets -------------------------------------------------------------------------
CODE_SETS = [
    (
        "NPI check digit",
        "837p.x12",
        [(b"XX*1234567893", b"XX*1234567890")],
        ("NM1", [(9, None, "I12")]),
    ),
    (
        "NPI first digit",
        "835.x12",
        [(b"XX*1234567893", b"XX*3234567893")],
        ("N1", [(4, None, "I12")]),
    ),
    (
        "tax id",
        "837p.x12",
        [(b"REF*EI*999000444", b"REF*EI*99-000444")],
        ("REF", [(2, None, "I12")]),
    ),
    ("taxonomy", "837i.x12", [(b"PXC*282N00000X", b"PXC*282N00000Y")], ("PRV", [(3, None, "7")])),
    (
        "ZIP",
        "837p.x12",
        [(b"N4*TESTCITY*NY*10001~", b"N4*TESTCITY*NY*1001~")],
        ("N4", [(3, None, "I12")]),
    ),
    (
        "state",
        "270.x12",
        [(b"DMG*D8*19800115~", b"N4*TESTCITY*QQ*10001~\nDMG*D8*19800115~"), (b"SE*13*", b"SE*14*")],
        ("N4", [(2, None, "7")]),
    ),
    ("ICD-9 code under ABK", "837p.x12", [(b"HI*ABK:J069", b"HI*ABK:4019")], ("HI", [(1, 2, "7")])),
    ("ICD-10 code under BK", "837p.x12", [(b"HI*ABK:J069", b"HI*BK:J069")], ("HI", [(1, 2, "7")])),
    (
        "ICD-10-PCS shape",
        "837i.x12",
        [(b"HI*ABK:R0789~", b"HI*ABK:R0789~\nHI*BBR:0DT7IZZ~"), (b"SE*26*", b"SE*27*")],
        ("HI", [(1, 2, "7")]),
    ),
    ("CPT/HCPCS", "837p.x12", [(b"SV1*HC:99213", b"SV1*HC:9921")], ("SV1", [(1, 2, "7")])),
    ("CDT", "837d.x12", [(b"SV3*AD:D1110", b"SV3*AD:11100")], ("SV3", [(1, 2, "7")])),
    ("revenue code", "837i.x12", [(b"SV2*0450*", b"SV2*45*")], ("SV2", [(1, None, "7")])),
    ("place of service", "837p.x12", [(b"***11:B:1*", b"***30:B:1*")], ("CLM", [(5, 1, "7")])),
    (
        "POS before its start",
        "837p.x12",
        [(b"***11:B:1*", b"***10:B:1*"), (b"DTP*472*D8*20251215", b"DTP*472*D8*20211215")],
        ("CLM", [(5, 1, "7")]),
    ),
]


@pytest.mark.parametrize(
    ("label", "name", "edits", "expected"), CODE_SETS, ids=[c[0] for c in CODE_SETS]
)
def test_code_set(label, name, edits, expected):
    found = [(f[0], f[3]) for f in snip_findings(edit(name, *edits)) if f[2] == 5]
    assert expected in found, found
    off = findings(edit(name, *edits), snip_level=4, code_sets=False)
    assert [f for f in off if f[2] == 5] == []


def test_pos_10_is_accepted_from_its_start_date():
    data = edit("837p.x12", (b"***11:B:1*", b"***10:B:1*"))  # service date 2025-12-15
    assert snip_findings(data) == []


def test_npi_luhn_with_the_80840_prefix():
    from edi_platform.x12.snip.values import check_npi

    assert check_npi("1234567893") is None  # the CMS example NPI
    assert check_npi("1245319599") is None
    assert check_npi("1234567890") is not None and check_npi("12345") is not None


@pytest.fixture
def code_lists(tmp_path, monkeypatch):
    """A private code-list folder (EDI_X12_CODE_LISTS_DIR) where tests install lists."""
    from edi_platform.x12.codelists import reset_cache

    monkeypatch.setenv("EDI_X12_CODE_LISTS_DIR", str(tmp_path))
    reset_cache()

    def install(name: str, rows: str, *, complete: bool = True) -> None:
        from edi_platform.x12.codelists import refresh_list

        src = tmp_path / f"src_{name}.csv"
        src.write_text(
            f"# name: {name}\n# as_of: 2026-01-01\n# complete: {'yes' if complete else 'no'}\n"
            f"code,start,end,description\n{rows}"
        )
        refresh_list(name, src)

    yield install
    reset_cache()


def test_carc_deactivated_before_the_service_date(code_lists):
    code_lists("carc", "2,1995-01-01,,Coinsurance Amount\n42,1995-01-01,2007-06-30,Old fee\n")
    data = edit("835.x12", (b"CAS*PR*2*20.00", b"CAS*CO*42*20.00"))
    found = [(f[0], f[3]) for f in snip_findings(data)]
    assert ("CAS", [(2, None, "7")]) in found
    # an 835 reversal (CLP02 22) reports the earlier adjudication's codes: allowed
    reversal = data.replace(b"CLP*TESTCLAIM1*1*", b"CLP*TESTCLAIM1*22*")
    assert [f for f in snip_findings(reversal) if f[0] == "CAS"] == []


def test_an_unknown_code_is_invalid_only_in_a_complete_list(code_lists):
    data = edit("835.x12", (b"CAS*PR*2*20.00", b"CAS*PR*ZZ9*20.00"))
    code_lists("carc", "2,1995-01-01,,Coinsurance Amount\n", complete=False)
    assert [f for f in snip_findings(data) if f[0] == "CAS"] == []
    code_lists("carc", "2,1995-01-01,,Coinsurance Amount\n", complete=True)
    assert [(f[0], f[3]) for f in snip_findings(data)] == [("CAS", [(2, None, "7")])]


def test_rarc_and_claim_status_codes_are_judged_by_their_lists(code_lists):
    code_lists("rarc", "N130,2000-01-01,,Consult plan benefit documents\n")
    lq = edit(
        "835.x12", (b"CAS*PR*2*20.00~", b"CAS*PR*2*20.00~\nLQ*HE*N999~"), (b"SE*16*", b"SE*17*")
    )
    assert [(f[0], f[3]) for f in snip_findings(lq)] == [("LQ", [(2, None, "7")])]
    assert snip_findings(lq.replace(b"LQ*HE*N999", b"LQ*HE*N130")) == []
    code_lists("claim_status", "20,1990-01-01,,Accepted for processing\n")
    found = [(f[0], f[3]) for f in snip_findings(load("277ca.x12"))]
    assert found.count(("STC", [(1, 2, "7")])) == 2  # the two STC*A1:19 (19 is not listed)


def test_code_list_status_names_missing_subset_and_stale_lists(tmp_path, monkeypatch):
    from datetime import date

    from edi_platform.x12 import codelists

    warnings = codelists.code_list_status(today=date(2025, 2, 1))
    assert all("subset" in w for w in warnings) and len(warnings) == 4  # pos is complete
    stale = codelists.code_list_status(today=date(2026, 12, 1))
    assert sum("out of date" in w for w in stale) == 5
    monkeypatch.setattr(codelists, "PACKAGE_DIR", tmp_path / "none")
    codelists.reset_cache()
    missing = codelists.code_list_status()
    assert len(missing) == 5 and all("is missing" in w for w in missing)
    # the checks that need a missing list are skipped, never an error
    assert snip_findings(edit("837p.x12", (b"***11:B:1*", b"***30:B:1*"))) == []
    monkeypatch.undo()
    codelists.reset_cache()


def test_refresh_refuses_a_bad_file_and_changes_nothing(tmp_path, monkeypatch, capsys):
    from edi_platform.x12.__main__ import main
    from edi_platform.x12.codelists import reset_cache

    monkeypatch.setenv("EDI_X12_CODE_LISTS_DIR", str(tmp_path))
    reset_cache()
    bad = tmp_path / "bad.csv"
    bad.write_text("code,start,end,description\n45,2001-13-01,,Charge exceeds\n")
    assert main(["codes", "refresh", "carc", str(bad)]) == 1
    assert "not a YYYY-MM-DD date" in capsys.readouterr().err
    assert not (tmp_path / "carc.csv").exists()
    good = tmp_path / "good.csv"
    good.write_text("# complete: yes\ncode,start,end,description\n45,2001-01-01,,Charge exceeds\n")
    assert main(["codes", "refresh", "carc", str(good)]) == 0
    assert (tmp_path / "carc.csv").read_text().startswith("# name: carc\n")
    monkeypatch.undo()
    reset_cache()


def test_the_999_content_and_the_report_name_the_snip_type_of_each_finding():
    data = edit("837p.x12", (b"CLM*TESTCLAIM1*100.00", b"CLM*TESTCLAIM1*150.00"))
    report = validate(data)
    content = ack_999_content(report.interchanges[0].groups[0])
    ik3 = content["sets"][0]["ik3"][0]
    assert (ik3["segment_id"], ik3["snip"], ik3["elements"][0]["snip"]) == ("CLM", 3, 3)
    issue = report.to_dict()["interchanges"][0]["groups"][0]["sets"][0]["issues"][0]
    assert issue["snip"] == 3 and issue["elements"][0]["snip"] == 3


def test_subscriber_who_is_the_patient_needs_the_subscriber_dmg():
    # X222A1 2010BA DMG: required when the subscriber is the patient (SBR02 = 18)
    data = edit("837p.x12", (b"DMG*D8*19800115*F~\n", b""), (b"SE*23*", b"SE*22*"))
    found = snip_findings(data)
    assert ("DMG", "I6", 4, [], ["SITUATIONAL TRIGGER"]) in found
    issue = next(
        i for i in validate(data).interchanges[0].groups[0].sets[0].issues if i.code == "I6"
    )
    assert issue.rejects and (issue.contexts[0].segment_id, issue.contexts[0].position) == (
        "SBR",
        12,
    )


def test_patient_level_when_the_subscriber_is_the_patient_is_not_used_and_accepted():
    patient = (
        b"HL*3*2*23*0~\nPAT*19~\nNM1*QC*1*KIDLAST*KIDFIRST~\nN3*200 TEST AVENUE~\n"
        b"N4*TESTCITY*NY*10001~\nDMG*D8*20100115*F~\nCLM*"
    )
    data = edit(
        "837p.x12",
        (b"HL*2*1*22*0~", b"HL*2*1*22*1~"),
        (b"CLM*", patient),
        (b"SE*23*", b"SE*29*"),
    )
    assert snip_findings(data) == [("HL", "I9", 4, [], ["SITUATIONAL TRIGGER"])]
    s = validate(data).interchanges[0].groups[0].sets[0]
    assert s.ack_code == "E" and list(s.codes) == ["I5"]


def test_835_cas_adds_every_amount_of_its_six_triples_and_nothing_else():
    # CAS03, 06, 09, 12, 15 and 18 are amounts; the quantities (CAS04, 07, ...) are not
    six = b"CAS*PR*2*1.00*9*1*2.00*9*1*3.00*9*1*4.00*9*1*5.00*9*1*5.00*9"
    assert snip_findings(edit("835.x12", (b"CAS*PR*2*20.00", six))) == []
    off = six.replace(b"5.00*9", b"5.01*9", 1)  # one cent more in the fifth amount
    assert [f[0] for f in snip_findings(edit("835.x12", (b"CAS*PR*2*20.00", off)))] == [
        "CLP",
        "SVC",
    ]
