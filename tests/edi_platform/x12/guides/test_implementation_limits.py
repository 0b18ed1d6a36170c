"""Implementation-only limits (IK304 I4, I7, I8; IK403 I11) on a small guide of our own.

None of the shipped TR3 definitions sets a minimum above one or sends a "not used"
segment, so a compact test definition exercises the same compiler and walker paths.
"""

from __future__ import annotations

from edi_platform.x12.guides import Guide, validate_set
from edi_platform.x12.guides.compiler import compile_guide
from edi_platform.x12.guides.model import ElementDef, GuideDef, LoopDef, SegmentDef

from .helpers import summary
from .samples import DELIMS, segments


def _el(seq: int, ref: str, name: str, usage: str, dtype: str, mn: int, mx: int, **kw):
    return ElementDef(seq, ref, name, usage, dtype, mn, mx, **kw)


ST_DEF = SegmentDef(
    "ST",
    "Transaction Set Header",
    "R",
    1,
    [
        _el(
            1,
            "143",
            "Transaction Set Identifier Code",
            "R",
            "ID",
            3,
            3,
            codes=frozenset({"900"}),
        ),
        _el(2, "329", "Transaction Set Control Number", "R", "AN", 4, 9),
    ],
)

SE_DEF = SegmentDef(
    "SE",
    "Transaction Set Trailer",
    "R",
    1,
    [
        _el(1, "96", "Number of Included Segments", "R", "N0", 1, 10),
        _el(2, "329", "Transaction Set Control Number", "R", "AN", 4, 9),
    ],
)


def _guide() -> Guide:
    st, se = ST_DEF, SE_DEF
    nte = SegmentDef("NTE", "Note", "N", 1, [_el(2, "352", "Description", "R", "AN", 1, 80)])
    ref = SegmentDef(
        "REF",
        "Reference",
        "R",
        5,
        [
            _el(
                1,
                "128",
                "Reference Identification Qualifier",
                "R",
                "ID",
                2,
                3,
                codes=frozenset({"ZZ"}),
            ),
            _el(2, "127", "Reference Identification", "R", "AN", 1, 50),
        ],
        min_use=2,
    )
    lx = SegmentDef("LX", "Line", "R", 1, [_el(1, "554", "Assigned Number", "R", "N0", 1, 6)])
    qty = SegmentDef(
        "QTY",
        "Quantities",
        "S",
        1,
        [_el(1, "380", "Quantity", "R", "R", 1, 15, repeat=5, min_repeat=2)],
    )
    line = LoopDef("L1", "Line Loop", "R", 5, [lx, qty], min_repeat=2)
    root = LoopDef("", "Test Set", "R", 1, [st, nte, ref, line, se])
    compiled = compile_guide(GuideDef("900", "TEST", "Test", root))
    return Guide("900", "TEST", "Test", compiled=compiled)


GUIDE = _guide()
VALID = ["ST*900*0001", "REF*ZZ*A", "REF*ZZ*B", "LX*1", "QTY*1^2", "LX*2"]


def check(texts: list[str]) -> list[tuple]:
    return summary(validate_set(GUIDE, segments(texts), DELIMS))


def test_test_guide_accepts_its_valid_set() -> None:
    assert check(VALID) == []


def test_not_used_segment_present_is_i4_and_does_not_reject() -> None:
    texts = [VALID[0], "NTE**NOTE", *VALID[1:]]
    issues = validate_set(GUIDE, segments(texts), DELIMS)
    assert summary(issues) == [("NTE", 2, None, "I4", [])]
    assert issues[0].rejects is False


def test_segment_below_minimum_use_is_i8() -> None:
    texts = [t for t in VALID if t != "REF*ZZ*B"]
    assert check(texts) == [("REF", 3, None, "I8", [])]


def test_loop_under_minimum_times_is_i7() -> None:
    texts = [t for t in VALID if t != "LX*2"]
    # reported when the loop is left for SE (position 6)
    assert check(texts) == [("LX", 6, "L1", "I7", [])]


def test_too_few_repetitions_is_i11() -> None:
    texts = [t if t != "QTY*1^2" else "QTY*1" for t in VALID]
    assert check(texts) == [("QTY", 5, "L1", "8", [(1, None, None, "I11")])]


def test_a_repeated_loop_entered_with_its_first_inner_loop_counts_that_one_afresh() -> None:
    # L1's first child is loop L2 (at most once per L1): the second LX repeats L1 and
    # opens a new L2, its first time in this L1 (not the L1's repeat count)
    lx = SegmentDef("LX", "Line", "R", 1, [_el(1, "554", "Assigned Number", "R", "N0", 1, 6)])
    nte = SegmentDef("NTE", "Note", "S", 1, [_el(1, "352", "Description", "R", "AN", 1, 80)])
    inner = LoopDef("L2", "Inner Loop", "R", 1, [lx])
    outer = LoopDef("L1", "Outer Loop", "R", 5, [inner, nte])
    root = LoopDef("", "Test Set", "R", 1, [ST_DEF, outer, SE_DEF])
    guide = Guide("900", "TEST", "Test", compiled=compile_guide(GuideDef("900", "T", "T", root)))
    texts = ["ST*900*0001", "LX*1", "NTE*A", "LX*2", "NTE*B", "LX*3"]
    assert summary(validate_set(guide, segments(texts), DELIMS)) == []
