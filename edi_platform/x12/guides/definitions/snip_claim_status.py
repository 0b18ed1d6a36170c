"""SNIP 5 code-set fields of the 276/277 (X212) and the 277CA (X214), as data.

STC01, STC10 and STC11 are each a composite: component 1 is a claim status category code
(external code source 507), component 2 a claim status code (508), both judged on the
service date of the claim or line they answer. No situational rule of these guides needs
more than the guide definitions' own.
"""

from __future__ import annotations

from ...snip.rules import C, Field, M, Rule

_STATUS = tuple(
    Field(M("STC", C(e)), e, name, component=component)
    for e in (1, 10, 11)
    for component, name in ((1, "claim_status_category"), (2, "claim_status"))
)
_COMMON = (
    Field(M("NM1", C(8, "XX")), 9, "npi"),
    Field(M("NM1", C(8, "FI")), 9, "ein"),
    Field(M("SVC"), 1, "procedure"),
    *_STATUS,
)
SITUATIONAL: dict[str, tuple[Rule, ...]] = {}
CODE_SETS: dict[str, tuple[Field, ...]] = {"X212": _COMMON, "X214": _COMMON}
