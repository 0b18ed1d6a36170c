"""SNIP 4 situational rules and SNIP 5 code-set fields of the 835 (X221A1), as data.

The BPR rules follow the TR3 code notes as X12 RFIs 2228 and 473 read them: a zero payment
(that is not a prenotification) is "notification only" (BPR01 H) with no money moved (BPR04
NON); the sending and receiving bank data (BPR06-BPR09, BPR12-BPR15) are required when
BPR04 is ACH, BOP or FWT and not sent otherwise.
"""

from __future__ import annotations

from ...snip.rules import C, Field, M, Rule

_BANK = ("ACH", "BOP", "FWT")
_NOT_BANK = ("CHK", "NON")
_BANK_ELEMENTS = (6, 7, 8, 9, 12, 13, 14, 15)

SITUATIONAL: dict[str, tuple[Rule, ...]] = {
    "835": (
        Rule(
            "835-BPR01-H",
            "value_in",
            M("BPR", C(2, "0", "0.0", "0.00"), C(1, "P", negate=True)),
            "BPR01: a zero payment (BPR02 0) that is not a prenotification (P) is "
            "notification only (H)",
            element=1,
            values=frozenset({"H"}),
        ),
        Rule(
            "835-BPR04-NON",
            "value_in",
            M("BPR", C(1, "H")),
            "BPR04: notification only (BPR01 H) moves no money (NON)",
            element=4,
            values=frozenset({"NON"}),
        ),
        *(
            Rule(
                f"835-BPR{e:02d}-required",
                "requires_element",
                M("BPR", C(4, *_BANK)),
                f"BPR{e:02d}: required when BPR04 is ACH, BOP or FWT",
                element=e,
            )
            for e in _BANK_ELEMENTS
        ),
        *(
            Rule(
                f"835-BPR{e:02d}-not-used",
                "forbids_element",
                M("BPR", C(4, *_NOT_BANK)),
                f"BPR{e:02d}: not sent when BPR04 is CHK or NON",
                element=e,
            )
            for e in _BANK_ELEMENTS
        ),
    )
}

_RARC = tuple(Field(M("MOA"), e, "rarc") for e in (3, 4, 5, 6, 7)) + tuple(
    Field(M("MIA"), e, "rarc") for e in (5, 20, 21, 22, 23, 24)
)
CODE_SETS: dict[str, tuple[Field, ...]] = {
    "835": (
        Field(M("NM1", C(8, "XX")), 9, "npi"),
        Field(M("N1", C(3, "XX")), 4, "npi"),
        Field(M("N1", C(3, "FI")), 4, "ein"),
        Field(M("REF", C(1, "TJ")), 2, "ein"),
        Field(M("N4"), 0, "postal"),
        Field(M("SVC"), 1, "procedure"),
        *(Field(M("CAS"), e, "carc") for e in (2, 5, 8, 11, 14, 17)),
        Field(M("LQ", C(1, "HE")), 2, "rarc"),
        *_RARC,
    )
}
