"""Arbitrary segment streams never make the guide walker raise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_platform.x12.guides import find_guide, validate_set
from edi_platform.x12.segments import Delimiters, Segment

from .samples import GUIDE_OF, lines

IDS = sorted({t.split("*")[0] for name in GUIDE_OF for t in lines(name)} | {"ZZZ", "", "SE"})
VALUES = st.one_of(
    st.sampled_from(["", "1", "D8", "RD8", "20240101", "A:B", "A^B", "X" * 300, " ", "Y", "18"]),
    st.text(max_size=12),
)
SEGMENT = st.builds(
    lambda sid, els: (sid, els), st.sampled_from(IDS), st.lists(VALUES, max_size=14)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    guide_key=st.sampled_from(sorted(set(GUIDE_OF.values()))),
    body=st.lists(SEGMENT, max_size=30),
    start_with_st=st.booleans(),
)
def test_walker_never_raises_and_positions_stay_in_range(guide_key, body, start_with_st) -> None:
    guide = find_guide(*guide_key)
    assert guide is not None
    raw = ([("ST", [guide_key[0], "0001", guide_key[1]])] if start_with_st else []) + body
    segs = [Segment(sid, els, line=i, offset=0, index=i) for i, (sid, els) in enumerate(raw, 1)]
    issues = validate_set(guide, segs, Delimiters())
    for issue in issues:
        assert 0 <= issue.position <= len(segs)
        assert issue.code
        assert all(e.position >= 1 and e.code for e in issue.elements)
