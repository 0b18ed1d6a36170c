"""276/277 Health Care Claim Status Request and Response, 005010X212.

Written by us from the X212 TR3 structure: hierarchical levels 2000A payer (HL03 20),
2000B information receiver (21), 2000C service provider (19), 2000D subscriber (22),
2000E dependent (23); each with its 2100x name loop. The 276 carries the claim status
inquiry in 2200D/E (TRN, REF, AMT, DTP) and the service line inquiry in 2210D/E (SVC);
the 277 answers with TRN/STC in 2200B..E and service line status in 2220D/E. The REF
segments of one loop share a position in the TR3, so any order is accepted.
"""

from __future__ import annotations

from ..model import GuideDef
from .common import envelope_rules
from .dsl import L, S, U, group

SVC01 = "R(R:AD,ER,HC,HP,IV,N4,NU,WK|R|S|S|S|S|S|N)"
# STC01-2 is checked for length only: its code source depends on STC01-4 (e.g. RX:
# NCPDP reject codes) and the external claim status list changes several times a year.
STC01 = "R(R:$claim_status_cat|R|S|S:RX)"
STC_MORE = "S(R:$claim_status_cat|R|S|S:RX)"
NM1_PAYER = "R:PR R:2 R N N N N R:24,46,FI,NI,PI,XV R"
NM1_RECEIVER = "R:41 R:1,2 R S S N S R:46 R"
NM1_PROVIDER = "R:1P R:1,2 R S S N S R:FI,SV,XX R"
NM1_SUBSCRIBER = "R:IL R:1,2 R S S N S R:II,MI R"
NM1_DEPENDENT = "R:QC R:1 R S S N S"


def _st(st01: str):
    return S("ST", "Transaction Set Header", "R", 1, f"R:{st01} R R:005010X212")


def _se():
    return S("SE", "Transaction Set Trailer", "R", 1, "R R")


def _hl(level: str, name: str, parent: str, child: str):
    child = child if child[:2] in ("S:", "N") else f"R:{child}"
    return S("HL", name, "R", 1, f"R {parent} R:{level} {child}")


def _claim_276(sfx: str, usage: str) -> list:
    return [
        L(
            f"2200{sfx}",
            "Claim Status Tracking Number",
            usage,
            U,
            [
                S("TRN", "Claim Status Tracking Number", "R", 1, "R:1 R"),
                *group(
                    S("REF", "Payer Claim Control Number", "S", 1, "R:1K R"),
                    S("REF", "Institutional Bill Type Identification", "S", 1, "R:BLT R"),
                    S("REF", "Application or Location System Identifier", "S", 1, "R:LU R"),
                    S("REF", "Group Number", "S", 1, "R:6P R"),
                    S("REF", "Patient Control Number", "S", 1, "R:EJ R"),
                    S("REF", "Pharmacy Prescription Number", "S", 1, "R:XZ R"),
                    S("REF", "Claim Identification Number for Clearinghouses", "S", 1, "R:D9 R"),
                ),
                S("AMT", "Claim Submitted Charges", "S", 1, "R:T3 R"),
                S("DTP", "Claim Service Date", "S", 1, "R:472 R:D8,RD8 R"),
                L(
                    f"2210{sfx}",
                    "Service Line Information",
                    "S",
                    U,
                    [
                        S("SVC", "Service Line Information", "R", 1, f"{SVC01} R S S N N S"),
                        S("REF", "Service Line Item Identification", "S", 1, "R:FJ R"),
                        S("DTP", "Service Line Date", "R", 1, "R:472 R:D8,RD8 R"),
                    ],
                ),
            ],
        ),
    ]


def guide_276() -> GuideDef:
    """276 Health Care Claim Status Request (005010X212)."""
    root = L(
        "",
        "Health Care Claim Status Request",
        "R",
        1,
        [
            _st("276"),
            S("BHT", "Beginning of Hierarchical Transaction", "R", 1, "R:0010 R:13 R R R"),
            L(
                "2000A",
                "Information Source Level",
                "R",
                U,
                [
                    _hl("20", "Information Source Level", "N", "1"),
                    L("2100A", "Payer Name", "R", 1, [S("NM1", "Payer Name", "R", 1, NM1_PAYER)]),
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
                                    S("NM1", "Information Receiver Name", "R", 1, NM1_RECEIVER),
                                ],
                            ),
                            L(
                                "2000C",
                                "Service Provider Level",
                                "R",
                                U,
                                [
                                    _hl("19", "Service Provider Level", "R", "1"),
                                    L(
                                        "2100C",
                                        "Provider Name",
                                        "R",
                                        1,
                                        [
                                            S("NM1", "Provider Name", "R", 1, NM1_PROVIDER),
                                        ],
                                    ),
                                    L(
                                        "2000D",
                                        "Subscriber Level",
                                        "R",
                                        U,
                                        [
                                            _hl("22", "Subscriber Level", "R", "0,1"),
                                            S(
                                                "DMG",
                                                "Subscriber Demographic Information",
                                                "S",
                                                1,
                                                "R:D8 R S:F,M,U",
                                            ),
                                            L(
                                                "2100D",
                                                "Subscriber Name",
                                                "R",
                                                1,
                                                [
                                                    S(
                                                        "NM1",
                                                        "Subscriber Name",
                                                        "R",
                                                        1,
                                                        NM1_SUBSCRIBER,
                                                    ),
                                                ],
                                            ),
                                            *_claim_276("D", "S"),
                                            L(
                                                "2000E",
                                                "Dependent Level",
                                                "S",
                                                U,
                                                [
                                                    _hl("23", "Dependent Level", "R", "S:0"),
                                                    S(
                                                        "DMG",
                                                        "Dependent Demographic Information",
                                                        "R",
                                                        1,
                                                        "R:D8 R S:F,M,U",
                                                    ),
                                                    L(
                                                        "2100E",
                                                        "Dependent Name",
                                                        "R",
                                                        1,
                                                        [
                                                            S(
                                                                "NM1",
                                                                "Dependent Name",
                                                                "R",
                                                                1,
                                                                NM1_DEPENDENT,
                                                            ),
                                                        ],
                                                    ),
                                                    *_claim_276("E", "R"),
                                                ],
                                            ),
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
        st01="276",
        version="005010X212",
        name="Health Care Claim Status Request 005010X212",
        root=root,
        functional_id="HR",
        rules=envelope_rules(),
        contexts={"2200D": ("TRN", "", 2, "TRN02"), "2200E": ("TRN", "", 2, "TRN02")},
        source="our definition (X212 TR3)",
    )


def _stc(name: str) -> object:
    return S("STC", name, "R", U, f"{STC01} R N S S S N S S {STC_MORE} {STC_MORE} S")


def _claim_277(sfx: str) -> list:
    return [
        L(
            f"2200{sfx}",
            "Claim Status Tracking Number",
            "S",
            U,
            [
                S("TRN", "Claim Status Tracking Number", "R", 1, "R:2 R"),
                _stc("Claim Level Status Information"),
                *group(
                    S("REF", "Payer Claim Control Number", "S", 1, "R:1K R"),
                    S("REF", "Institutional Bill Type Identification", "S", 1, "R:BLT R"),
                    S("REF", "Patient Control Number", "S", 1, "R:EJ R"),
                    S("REF", "Pharmacy Prescription Number", "S", 1, "R:XZ R"),
                    S("REF", "Voucher Identifier", "S", 1, "R:VV R"),
                    S("REF", "Claim Identification Number for Clearinghouses", "S", 1, "R:D9 R"),
                ),
                S("DTP", "Claim Service Date", "S", 1, "R:472 R:D8,RD8 R"),
                L(
                    f"2220{sfx}",
                    "Service Line Information",
                    "S",
                    U,
                    [
                        S("SVC", "Service Line Information", "R", 1, f"{SVC01} R R S N N S"),
                        _stc("Service Line Status Information"),
                        S("REF", "Service Line Item Identification", "S", 1, "R:FJ R"),
                        S("DTP", "Service Line Date", "S", 1, "R:472 R:D8,RD8 R"),
                    ],
                ),
            ],
        ),
    ]


def guide_277() -> GuideDef:
    """277 Health Care Claim Status Response (005010X212)."""
    per = "R:IC S R:ED,EM,FX,TE,UR R S:EX,FX,TE S S:EX S"
    root = L(
        "",
        "Health Care Claim Status Response",
        "R",
        1,
        [
            _st("277"),
            S("BHT", "Beginning of Hierarchical Transaction", "R", 1, "R:0010 R:08 R R R R:DG"),
            L(
                "2000A",
                "Information Source Level",
                "R",
                U,
                [
                    _hl("20", "Information Source Level", "N", "1"),
                    L(
                        "2100A",
                        "Payer Name",
                        "R",
                        1,
                        [
                            S("NM1", "Payer Name", "R", 1, NM1_PAYER),
                            S("PER", "Payer Contact Information", "S", 1, per),
                        ],
                    ),
                    L(
                        "2000B",
                        "Information Receiver Level",
                        "R",
                        U,
                        [
                            _hl("21", "Information Receiver Level", "R", "0,1"),
                            L(
                                "2100B",
                                "Information Receiver Name",
                                "R",
                                1,
                                [
                                    S("NM1", "Information Receiver Name", "R", 1, NM1_RECEIVER),
                                ],
                            ),
                            L(
                                "2200B",
                                "Information Receiver Trace Identifier",
                                "S",
                                1,
                                [
                                    S(
                                        "TRN",
                                        "Information Receiver Trace Identifier",
                                        "R",
                                        1,
                                        "R:2 R",
                                    ),
                                    _stc("Information Receiver Status Information"),
                                ],
                            ),
                            L(
                                "2000C",
                                "Service Provider Level",
                                "S",
                                U,
                                [
                                    _hl("19", "Service Provider Level", "R", "0,1"),
                                    L(
                                        "2100C",
                                        "Provider Name",
                                        "R",
                                        1,
                                        [
                                            S("NM1", "Provider Name", "R", 1, NM1_PROVIDER),
                                        ],
                                    ),
                                    L(
                                        "2200C",
                                        "Provider of Service Trace Identifier",
                                        "S",
                                        1,
                                        [
                                            S(
                                                "TRN",
                                                "Provider of Service Trace Identifier",
                                                "R",
                                                1,
                                                "R:1,2 R",
                                            ),
                                            _stc("Provider Status Information"),
                                        ],
                                    ),
                                    L(
                                        "2000D",
                                        "Subscriber Level",
                                        "S",
                                        U,
                                        [
                                            _hl("22", "Subscriber Level", "R", "0,1"),
                                            L(
                                                "2100D",
                                                "Subscriber Name",
                                                "R",
                                                1,
                                                [
                                                    S(
                                                        "NM1",
                                                        "Subscriber Name",
                                                        "R",
                                                        1,
                                                        NM1_SUBSCRIBER,
                                                    ),
                                                ],
                                            ),
                                            *_claim_277("D"),
                                            L(
                                                "2000E",
                                                "Dependent Level",
                                                "S",
                                                U,
                                                [
                                                    _hl("23", "Dependent Level", "R", "S:0"),
                                                    L(
                                                        "2100E",
                                                        "Dependent Name",
                                                        "R",
                                                        1,
                                                        [
                                                            S(
                                                                "NM1",
                                                                "Dependent Name",
                                                                "R",
                                                                1,
                                                                NM1_DEPENDENT,
                                                            ),
                                                        ],
                                                    ),
                                                    *_claim_277("E"),
                                                ],
                                            ),
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
        st01="277",
        version="005010X212",
        name="Health Care Claim Status Response 005010X212",
        root=root,
        functional_id="HN",
        rules=envelope_rules(),
        contexts={"2200D": ("TRN", "", 2, "TRN02"), "2200E": ("TRN", "", 2, "TRN02")},
        source="our definition (X212 TR3)",
    )
