"""The walk reads composites with the separators of the interchange being validated.

The walker works out its separator parameters once per ``Delimiters`` object (the sets of
an interchange share one); interchanges with other separators must never reuse them.
"""

from __future__ import annotations

from edi_platform.x12.guides import find_guide, validate_set
from edi_platform.x12.segments import Delimiters

from .samples import DELIMS, GUIDE_OF, lines, segments

ANGLE = Delimiters("*", "^", ">", "~")


def _walk(delimiters: Delimiters) -> list:
    # the 837P sample written with this component separator (its composites: CLM05, SV101, HI)
    texts = [t.replace(":", delimiters.component) for t in lines("837P")]
    guide = find_guide(*GUIDE_OF["837P"])
    assert guide is not None
    return validate_set(guide, segments(texts), delimiters)


def test_alternating_component_separators_are_each_read_as_sent() -> None:
    for delimiters in (DELIMS, ANGLE, DELIMS, ANGLE):
        assert _walk(delimiters) == []


def test_a_set_read_with_the_wrong_separator_is_not_clean() -> None:
    # the check above can fail: the same text judged with the other separator has findings
    texts = [t.replace(":", ">") for t in lines("837P")]
    guide = find_guide(*GUIDE_OF["837P"])
    assert guide is not None
    validate_set(guide, segments(texts), ANGLE)  # the angle parameters are the last ones
    assert validate_set(guide, segments(texts), DELIMS) != []
