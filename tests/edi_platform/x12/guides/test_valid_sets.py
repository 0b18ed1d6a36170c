"""Every guide accepts a valid synthetic set of its type with zero findings."""

from __future__ import annotations

import pytest

from edi_platform.x12.guides import find_guide, validate_set

from .helpers import run, summary
from .samples import DELIMS, GUIDE_OF, VALID, lines, segments


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_sample_has_no_findings(name: str) -> None:
    assert summary(run(name)) == []


@pytest.mark.parametrize("name", sorted(VALID))
def test_segments_may_be_a_one_shot_iterator(name: str) -> None:
    guide = find_guide(*GUIDE_OF[name])
    assert guide is not None
    assert validate_set(guide, iter(segments(lines(name))), DELIMS) == []


def test_a_set_repeated_many_times_stays_clean_and_reuses_tables() -> None:
    guide = find_guide(*GUIDE_OF["834"])
    assert guide is not None
    segs = segments(lines("834"))
    for _ in range(50):
        assert validate_set(guide, segs, DELIMS) == []


def test_same_position_segments_are_accepted_in_any_order() -> None:
    # X212 2200D REF*EJ and REF*1K share one position: the sample sends EJ before 1K.
    texts = lines("276")
    assert texts.index("REF*EJ*PCN01") < texts.index("REF*1K*PAYERCLAIM01")
    assert summary(run("276")) == []


def test_other_delimiters_are_honoured() -> None:
    from edi_platform.x12.segments import Delimiters

    texts = [t.replace(":", ">") for t in lines("837P")]
    guide = find_guide(*GUIDE_OF["837P"])
    assert guide is not None
    assert validate_set(guide, segments(texts), Delimiters("*", "^", ">", "~")) == []
    # ...and the same text judged with ':' as component separator is wrong
    issues = validate_set(guide, segments(texts), DELIMS)
    assert any(i.segment_id == "CLM" and i.code == "8" for i in issues)
