"""270/271 Health Care Eligibility Benefit Inquiry and Response, 005010X279A1.

Written by us from the X279A1 TR3 structure: loops 2000A (information source), 2000B
(information receiver), 2000C (subscriber), 2000D (dependent) with their 2100x name loops,
2110x eligibility/benefit loops and, in the 271, 2115x (III), LS/2120x/LE benefit related
entity loops. Qualifier code lists cover the TR3 codes; where a 271 code list is very long
(AAA03, EB04, DTP01) the union over the guide's loops is used.
"""

from __future__ import annotations

from ..model import ElementDef, GuideDef, SegmentDef
from .common import envelope_rules
from .dsl import L, S, U

NM108_SOURCE = "24,46,FI,NI,PI,XV,XX"
COMM = "ED,EM,EX,FX,TE,UR,WP"
PER_SPEC = f"R:IC S R:ED,EM,FX,TE,UR,WP R S:{COMM} S S:{COMM} S"
NM108_RECEIVER = "24,34,46,FI,PI,PP,SV,XV,XX"
REF_RECEIVER = "0B,1C,1D,1J,4A,CT,EL,EO,HPI,JD,N5,N7,Q4,SY,TJ"
REF_MEMBER = "18,1L,1W,3H,49,6P,CE,CT,EA,EJ,F6,GH,HJ,IF,IG,ML,N6,NQ,SY,Y4"
PRV_CODES = "AD,AT,BI,CO,CV,H,HH,LA,OT,P1,P2,P3,PC,PE,R,RF,SB,SK,SU"
EQ02 = "S(R:AD,CJ,HC,ID,IV,N4,ZZ|R|S|S|S|S|S|N)"
C004 = "S@C004(R@1328|S@1328|S@1328|S@1328)"
HI_FIRST = "R(R:ABK,BK|R)"
HI_MORE = "S(R:ABF,BF|R)"
AAA03 = (
    "04,15,33,35,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,60,61,62,63,64,65,"
    "66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,97,98,AA,AE,AF,AG,AO,CI,E8,IA,MA,T4"
)
EB01 = "1,2,3,4,5,6,7,8,A,B,C,CB,D,E,F,G,H,I,J,K,L,M,MC,N,O,P,Q,R,S,T,U,V,W,X,Y"
EB02 = "CHD,DEP,ECH,EMP,ESP,FAM,IND,SPC,SPO"
EB04 = (
    "12,13,14,15,16,41,42,43,47,AP,C1,CO,CP,D,DB,EP,FF,GP,HM,HN,HS,IN,IP,LC,LD,LI,LT,MA,MB,"
    "MC,MH,MI,MP,OT,PE,PL,PP,PR,PS,QM,RP,SP,TF,WC,WU"
)
EB06 = "6,7,13,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36"
EB09 = "8H,99,CA,CE,D3,DB,DY,HS,LA,LE,M2,MN,P6,QA,S7,S8,VS,YY"
DTP271 = (
    "096,102,152,193,194,198,290,291,292,295,304,307,318,340,341,342,343,346,347,348,349,"
    "356,357,382,435,442,458,472,539,540,636,771"
)
NM1_2120 = (
    "13,1I,1P,2B,36,71,72,73,74,75,80,FA,GB,GP,I3,IL,LR,P3,P4,P5,PR,PRP,SEP,TTP,VER,VN,VY,X3,Y2"
)


NM1_RECEIVER = "R:1P,2B,36,80,FA,GP,P5,PR R:1,2 S S S N S R:24,34,46,FI,PI,PP,SV,XV,XX R"
NM1_2120_SPEC = f"R:{NM1_2120} R:1,2 S S S N S S:24,34,46,FA,FI,II,MI,NI,PI,PP,SV,XV,XX S"


def _mpi() -> SegmentDef:
    """MPI (military personnel information); not in the shared dictionary, so spelled out."""

    def el(seq, ref, name, usage, dtype, mn, mx):
        return ElementDef(seq, ref, name, usage, dtype, mn, mx)

    return SegmentDef(
        id="MPI",
        name="Military Personnel Information",
        usage="S",
        max_use=1,
        elements=[
            el(1, "1201", "Information Status Code", "R", "ID", 1, 1),
            el(2, "584", "Employment Status Code", "R", "ID", 2, 2),
            el(3, "1595", "Government Service Affiliation Code", "R", "ID", 1, 1),
            el(4, "352", "Description", "S", "AN", 1, 80),
            el(5, "1596", "Military Service Rank Code", "S", "ID", 2, 2),
            el(6, "1250", "Date Time Period Format Qualifier", "S", "ID", 2, 3),
            el(7, "1251", "Date Time Period", "S", "AN", 1, 35),
        ],
        syntax=["P0607"],
    )


def _st(st01: str) -> SegmentDef:
    return S("ST", "Transaction Set Header", "R", 1, f"R:{st01} R R:005010X279A1")


def _se() -> SegmentDef:
    return S("SE", "Transaction Set Trailer", "R", 1, "R R")


def _hl(level: str, name: str, parent: str, child: str) -> SegmentDef:
    return S("HL", name, "R", 1, f"R {parent} R:{level} R:{child}")


def _member_270(sfx: str, who: str, nm1: str, ins: str) -> list:
    """2100C/D and 2110C/D of a 270 (subscriber or dependent)."""
    return [
        L(
            f"2100{sfx}",
            f"{who} Name",
            "R",
            1,
            [
                S("NM1", f"{who} Name", "R", 1, nm1),
                S("REF", f"{who} Additional Identification", "S", 9, f"R:{REF_MEMBER} R S"),
                S("N3", f"{who} Address", "S", 1, "R S"),
                S("N4", f"{who} City, State, ZIP Code", "S", 1, "R S S S N N S"),
                S("PRV", "Provider Information", "S", 1, f"R:{PRV_CODES} R:PXC R"),
                S("DMG", f"{who} Demographic Information", "S", 1, "R:D8 R S:F,M,U"),
                S("INS", "Multiple Birth Sequence Number", "S", 1, ins),
                S(
                    "HI",
                    f"{who} Health Care Diagnosis Code",
                    "S",
                    1,
                    f"{HI_FIRST} {HI_MORE} {HI_MORE} {HI_MORE} {HI_MORE} {HI_MORE} "
                    f"{HI_MORE} {HI_MORE}",
                ),
                S("DTP", f"{who} Date", "S", 2, "R:102,291 R:D8,RD8 R"),
                L(
                    f"2110{sfx}",
                    f"{who} Eligibility or Benefit Inquiry",
                    "S",
                    99,
                    [
                        S(
                            "EQ",
                            f"{who} Eligibility or Benefit Inquiry",
                            "R",
                            1,
                            f"S@1365*99:$service_type {EQ02} S:FAM,IND N {C004}",
                            syntax="R0102",
                        ),
                        S("AMT", f"{who} Spend Down Amount", "S", 1, "R:R R"),
                        S("AMT", f"{who} Spend Down Total Billed Amount", "S", 1, "R:PB R"),
                        S(
                            "III",
                            f"{who} Eligibility or Benefit Additional Inquiry",
                            "S",
                            10,
                            "R:ZZ R:$pos",
                        ),
                        S("REF", f"{who} Additional Information", "S", 1, "R:9F,G1 R"),
                        S("DTP", f"{who} Eligibility/Benefit Date", "S", 1, "R:291 R:D8,RD8 R"),
                    ],
                ),
            ],
        )
    ]


def guide_270() -> GuideDef:
    """270 Eligibility, Coverage or Benefit Inquiry (005010X279A1)."""
    nm1_sub = "R:IL R:1,2 S S S N S S:II,MI S"
    nm1_dep = "R:03 R:1 S S S N S"
    ins_sub = "R:Y R:18 N N N N N N N N N N N N N N R"
    ins_dep = "R:N R:01,19,20,21,39,40,53,G8 N N N N N N N N N N N N N N R"
    root = L(
        "",
        "Eligibility, Coverage or Benefit Inquiry",
        "R",
        1,
        [
            _st("270"),
            S(
                "BHT",
                "Beginning of Hierarchical Transaction",
                "R",
                1,
                "R:0022 R:01,13,36 S R R S:RT",
            ),
            L(
                "2000A",
                "Information Source Level",
                "R",
                U,
                [
                    _hl("20", "Information Source Level", "N", "1"),
                    L(
                        "2100A",
                        "Information Source Name",
                        "R",
                        1,
                        [
                            S(
                                "NM1",
                                "Information Source Name",
                                "R",
                                1,
                                f"R:2B,36,GP,P5,PR R:1,2 S S S N S R:{NM108_SOURCE} R",
                            ),
                        ],
                    ),
                    L(
                        "2000B",
                        "Information Receiver Level",
                        "R",
                        U,
                        [
                            _hl("21", "Information Receiver Level", "R", "1"),
                            L(
                                "2100B",
                                "Information Receiver Name",
                                "R",
                                1,
                                [
                                    S(
                                        "NM1",
                                        "Information Receiver Name",
                                        "R",
                                        1,
                                        NM1_RECEIVER,
                                    ),
                                    S(
                                        "REF",
                                        "Information Receiver Additional Identification",
                                        "S",
                                        9,
                                        f"R:{REF_RECEIVER} R S",
                                    ),
                                    S("N3", "Information Receiver Address", "S", 1, "R S"),
                                    S(
                                        "N4",
                                        "Information Receiver City, State, ZIP Code",
                                        "S",
                                        1,
                                        "R S S S N N S",
                                    ),
                                    S(
                                        "PRV",
                                        "Information Receiver Provider Information",
                                        "S",
                                        1,
                                        f"R:{PRV_CODES} R:PXC R",
                                    ),
                                ],
                            ),
                            L(
                                "2000C",
                                "Subscriber Level",
                                "R",
                                U,
                                [
                                    _hl("22", "Subscriber Level", "R", "0,1"),
                                    S("TRN", "Subscriber Trace Number", "S", 2, "R:1 R R S"),
                                    *_member_270("C", "Subscriber", nm1_sub, ins_sub),
                                    L(
                                        "2000D",
                                        "Dependent Level",
                                        "S",
                                        U,
                                        [
                                            _hl("23", "Dependent Level", "R", "0"),
                                            S("TRN", "Dependent Trace Number", "S", 2, "R:1 R R S"),
                                            *_member_270("D", "Dependent", nm1_dep, ins_dep),
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
            _se(),
        ],
    )
    return GuideDef(
        st01="270",
        version="005010X279A1",
        name="Eligibility, Coverage or Benefit Inquiry 005010X279A1",
        root=root,
        functional_id="HS",
        rules=envelope_rules(),
        contexts={"2000C": ("TRN", "", 2, "TRN02"), "2000D": ("TRN", "", 2, "TRN02")},
        source="our definition (X279A1 TR3)",
    )


def _benefit_271(sfx: str, who: str) -> list:
    """2110x (EB), 2115x (III), LS, 2120x, LE of a 271."""
    return [
        L(
            f"2110{sfx}",
            f"{who} Eligibility or Benefit Information",
            "S",
            U,
            [
                S(
                    "EB",
                    f"{who} Eligibility or Benefit Information",
                    "R",
                    1,
                    f"R:{EB01} S:{EB02} S@1365*99:$service_type S:{EB04} S S:{EB06} S S S:{EB09} S "
                    f"S:N,U,W,Y S:N,U,W,Y S(R:AD,CJ,HC,ID,IV,N4,ZZ|R|S|S|S|S|S|N) {C004}",
                    syntax="P0910",
                ),
                S("HSD", "Health Care Services Delivery", "S", 9, "S S S S S S S S"),
                S(
                    "REF",
                    f"{who} Additional Identification",
                    "S",
                    9,
                    "R:18,1L,1W,49,6P,9F,ALS,CLI,F8,FO,G1,IG,N6,NQ,Y4 R S",
                ),
                S("DTP", f"{who} Eligibility/Benefit Date", "S", 20, f"R:{DTP271} R:D8,RD8 R"),
                S(
                    "AAA",
                    f"{who} Request Validation",
                    "S",
                    9,
                    f"R:N,Y N R:{AAA03} R:C,N,P,R,S,W,X,Y",
                ),
                S("MSG", "Message Text", "S", 10, "R"),
                L(
                    f"2115{sfx}",
                    f"{who} Eligibility or Benefit Additional Information",
                    "S",
                    10,
                    [
                        S(
                            "III",
                            f"{who} Eligibility or Benefit Additional Information",
                            "R",
                            1,
                            "R:GR,NI,ZZ R",
                        ),
                    ],
                ),
                S("LS", "Loop Header", "S", 1, "R:2120"),
                L(
                    f"2120{sfx}",
                    f"{who} Benefit Related Entity Name",
                    "S",
                    23,
                    [
                        S(
                            "NM1",
                            f"{who} Benefit Related Entity Name",
                            "R",
                            1,
                            NM1_2120_SPEC,
                        ),
                        S("N3", f"{who} Benefit Related Entity Address", "S", 1, "R S"),
                        S(
                            "N4",
                            f"{who} Benefit Related Entity City, State, ZIP Code",
                            "S",
                            1,
                            "R S S S N N S",
                        ),
                        S(
                            "PER",
                            f"{who} Benefit Related Entity Contact Information",
                            "S",
                            3,
                            PER_SPEC,
                        ),
                        S(
                            "PRV",
                            f"{who} Benefit Related Provider Information",
                            "S",
                            1,
                            f"R:{PRV_CODES} R:PXC R",
                        ),
                    ],
                ),
                S("LE", "Loop Trailer", "S", 1, "R:2120"),
            ],
        ),
    ]


def _member_271(sfx: str, who: str, nm1: str, ins: str) -> list:
    return [
        L(
            f"2100{sfx}",
            f"{who} Name",
            "R",
            1,
            [
                S("NM1", f"{who} Name", "R", 1, nm1),
                S("REF", f"{who} Additional Identification", "S", 9, f"R:{REF_MEMBER} R S"),
                S("N3", f"{who} Address", "S", 1, "R S"),
                S("N4", f"{who} City, State, ZIP Code", "S", 1, "R S S S N N S"),
                S(
                    "AAA",
                    f"{who} Request Validation",
                    "S",
                    9,
                    f"R:N,Y N R:{AAA03} R:C,N,P,R,S,W,X,Y",
                ),
                S("PRV", "Provider Information", "S", 1, f"R:{PRV_CODES} R:PXC R"),
                S("DMG", f"{who} Demographic Information", "S", 1, "R:D8 R S:F,M,U"),
                S("INS", f"{who} Relationship", "S", 1, ins),
                S(
                    "HI",
                    f"{who} Health Care Diagnosis Code",
                    "S",
                    1,
                    f"{HI_FIRST} {HI_MORE} {HI_MORE} {HI_MORE} {HI_MORE} {HI_MORE} {HI_MORE} "
                    f"{HI_MORE}",
                ),
                S("DTP", f"{who} Date", "S", 9, f"R:{DTP271} R:D8,RD8 R"),
                _mpi(),
                *_benefit_271(sfx, who),
            ],
        ),
    ]


def guide_271() -> GuideDef:
    """271 Eligibility, Coverage or Benefit Information (005010X279A1)."""
    nm1_sub = "R:IL R:1,2 S S S N S S:II,MI S"
    nm1_dep = "R:03 R:1 S S S N S"
    ins_sub = "R:Y R:18 S:001 S:25 N N N N N N N N N N N N S"
    ins_dep = "R:N R:01,19,20,21,39,40,53,G8 S:001 S:25 N N N N N N N N N N N N S"
    aaa = f"R:N,Y N R:{AAA03} R:C,N,P,R,S,W,X,Y"
    root = L(
        "",
        "Eligibility, Coverage or Benefit Information",
        "R",
        1,
        [
            _st("271"),
            S("BHT", "Beginning of Hierarchical Transaction", "R", 1, "R:0022 R:06,11 S R R S"),
            L(
                "2000A",
                "Information Source Level",
                "R",
                U,
                [
                    _hl("20", "Information Source Level", "N", "0,1"),
                    S("AAA", "Request Validation", "S", 9, aaa),
                    L(
                        "2100A",
                        "Information Source Name",
                        "R",
                        1,
                        [
                            S(
                                "NM1",
                                "Information Source Name",
                                "R",
                                1,
                                f"R:2B,36,GP,P5,PR R:1,2 S S S N S R:{NM108_SOURCE} R",
                            ),
                            S(
                                "PER",
                                "Information Source Contact Information",
                                "S",
                                3,
                                PER_SPEC,
                            ),
                            S("AAA", "Request Validation", "S", 9, aaa),
                        ],
                    ),
                    L(
                        "2000B",
                        "Information Receiver Level",
                        "S",
                        U,
                        [
                            _hl("21", "Information Receiver Level", "R", "0,1"),
                            L(
                                "2100B",
                                "Information Receiver Name",
                                "R",
                                1,
                                [
                                    S(
                                        "NM1",
                                        "Information Receiver Name",
                                        "R",
                                        1,
                                        NM1_RECEIVER,
                                    ),
                                    S(
                                        "REF",
                                        "Information Receiver Additional Identification",
                                        "S",
                                        9,
                                        f"R:{REF_RECEIVER} R S",
                                    ),
                                    S(
                                        "AAA",
                                        "Information Receiver Request Validation",
                                        "S",
                                        9,
                                        aaa,
                                    ),
                                    S(
                                        "PRV",
                                        "Information Receiver Provider Information",
                                        "S",
                                        1,
                                        f"R:{PRV_CODES} R:PXC R",
                                    ),
                                ],
                            ),
                            L(
                                "2000C",
                                "Subscriber Level",
                                "S",
                                U,
                                [
                                    _hl("22", "Subscriber Level", "R", "0,1"),
                                    S("TRN", "Subscriber Trace Number", "S", 3, "R:1,2 R R S"),
                                    *_member_271("C", "Subscriber", nm1_sub, ins_sub),
                                    L(
                                        "2000D",
                                        "Dependent Level",
                                        "S",
                                        U,
                                        [
                                            _hl("23", "Dependent Level", "R", "0"),
                                            S(
                                                "TRN",
                                                "Dependent Trace Number",
                                                "S",
                                                3,
                                                "R:1,2 R R S",
                                            ),
                                            *_member_271("D", "Dependent", nm1_dep, ins_dep),
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
            _se(),
        ],
    )
    return GuideDef(
        st01="271",
        version="005010X279A1",
        name="Eligibility, Coverage or Benefit Information 005010X279A1",
        root=root,
        functional_id="HB",
        rules=envelope_rules(),
        contexts={"2000C": ("TRN", "", 2, "TRN02"), "2000D": ("TRN", "", 2, "TRN02")},
        source="our definition (X279A1 TR3)",
    )
