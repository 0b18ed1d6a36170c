"""SNIP 4 situational rules and SNIP 5 code-set fields of the 834 (X220A1), as data.

INS01 says whether the member is the subscriber (Y) or a dependent (N) and INS02 is the
member's relationship to the subscriber: the subscriber is "self" (18), a dependent is not.
"""

from __future__ import annotations

from ...snip.rules import C, Field, M, Rule

SITUATIONAL: dict[str, tuple[Rule, ...]] = {
    "834": (
        Rule(
            "834-INS02-self",
            "value_in",
            M("INS", C(1, "Y")),
            "INS02: the subscriber (INS01 Y) is self (18)",
            element=2,
            values=frozenset({"18"}),
        ),
        Rule(
            "834-INS02-dependent",
            "value_in",
            M("INS", C(1, "N"), C(2, "18")),
            "INS02: a dependent (INS01 N) is not self (18)",
            element=2,
            values=frozenset(),
        ),
    )
}
CODE_SETS: dict[str, tuple[Field, ...]] = {
    "834": (
        Field(M("N1", C(3, "FI")), 4, "ein"),
        Field(M("NM1", C(8, "XX")), 9, "npi"),
        Field(M("N4"), 0, "postal"),
    )
}
