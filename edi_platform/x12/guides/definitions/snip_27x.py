"""SNIP 4 situational rules and SNIP 5 code-set fields of the 270/271 (X279A1), as data.

III (eligibility or benefit additional inquiry/information): III01 ZZ (mutually defined)
says that III02 is a place of service code (CMS POS list, external code source 237); with
III01 BF/BK/ABF/ABK, III02 is a diagnosis code.
"""

from __future__ import annotations

from ...snip.rules import C, Field, M, Rule

SITUATIONAL: dict[str, tuple[Rule, ...]] = {
    "27X": (
        Rule(
            "27X-III02-POS",
            "value_in",
            M("III", C(1, "ZZ")),
            "III02: with III01 ZZ it is a place of service code",
            element=2,
            code_list="pos",
        ),
    )
}
CODE_SETS: dict[str, tuple[Field, ...]] = {
    "27X": (
        Field(M("NM1", C(8, "XX")), 9, "npi"),
        Field(M("NM1", C(8, "FI")), 9, "ein"),
        Field(M("PRV", C(2, "PXC")), 3, "taxonomy"),
        Field(M("N4"), 0, "postal"),
        Field(M("HI"), 0, "diagnosis"),
        Field(M("III", C(1, "ABK", "ABF", "BK", "BF")), 0, "diagnosis"),
    )
}
