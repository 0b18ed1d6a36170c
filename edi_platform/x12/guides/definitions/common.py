"""Situational rules shared by several guides (decidable from one segment's own data)."""

from __future__ import annotations

from ..model import Condition, SituationalRule


def envelope_rules() -> list[SituationalRule]:
    """Generic 5010 TR3 rules for N4 and NM1, applied wherever the element is situational.

    - N4 (every TR3): "N402 State or Province Code: Required when the address is in the
      United States of America, including its territories, or Canada" and N403 the same;
      the country code N404 is sent only for other countries, so N404 absent => N402/N403
      required (IK403 I9).
    - NM1 (every TR3 person/organisation name): "NM104 First Name: Required when NM102 = 1
      (person)"; for an organisation (NM102 = 2) a first name is not used (IK403 I13).
    """
    absent_country = Condition(position=4, values=None, negate=True)
    return [
        SituationalRule(
            "element_required",
            "",
            "N4",
            target=2,
            when=absent_country,
            note="N402 required for US/Canada addresses",
        ),
        SituationalRule(
            "element_required",
            "",
            "N4",
            target=3,
            when=absent_country,
            note="N403 required for US/Canada addresses",
        ),
        SituationalRule(
            "element_not_used",
            "",
            "NM1",
            target=4,
            when=Condition(position=2, values=frozenset({"2"})),
            note="NM104 not used for a non-person entity",
        ),
    ]
