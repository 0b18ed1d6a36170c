"""The whole-segment fast path never accepts what the detailed element checks reject.

Each sample is validated after many single-element edits, once with the fast path and once
with it switched off (a fresh compile of the same definition); the findings must be equal.
"""

from __future__ import annotations

import pytest

import edi_platform.x12.guides.walker as walker_module
from edi_platform.x12.guides import _REGISTRY, Guide, validate_set
from edi_platform.x12.guides.compiler import compile_guide

from .helpers import summary
from .samples import DELIMS, GUIDE_OF, VALID, lines, segments

VARIANTS = [
    "",
    "X" * 81,
    " ",
    "A ",
    "a",
    "-1",
    "1.5",
    "1..5",
    "A:B",
    "A^B",
    "\x07",
    "20241340",
    "2561",
    "\u00e9",
    "0",
    # decimal (R) bounds: 18 digits pass, 19 do not, with or without a dot
    "9" * 18,
    "9" * 19,
    "9" * 17 + ".9",
    "9" * 18 + ".9",
    "-.5",
    "5.",
]


def _fresh(name: str) -> Guide:
    st01, version = GUIDE_OF[name]
    compiled = compile_guide(_REGISTRY[(st01, version)]())
    return Guide(st01, version, "fresh", compiled=compiled)


def _edits(texts: list[str]):
    for i, text in enumerate(texts):
        if i == 0:
            continue
        sid, *els = text.split("*")
        for j in range(len(els) + 1):
            for variant in VARIANTS:
                new = list(els) + ([""] if j == len(els) else [])
                new[j] = variant
                yield [*texts[:i], "*".join([sid, *new]), *texts[i + 1 :]]
        for j, value in enumerate(els):
            if value:
                new = list(els)
                new[j] = value + value[-1]
                yield [*texts[:i], "*".join([sid, *new]), *texts[i + 1 :]]


@pytest.mark.parametrize("name", sorted(VALID))
def test_fast_path_agrees_with_detailed_checks(name: str, monkeypatch) -> None:
    fast = _fresh(name)
    monkeypatch.setattr(walker_module, "fast_matcher", lambda *a: None)
    slow = _fresh(name)
    monkeypatch.undo()
    checked = 0
    for texts in _edits(lines(name)):
        segs = segments(texts)
        with_fast = summary(validate_set(fast, segs, DELIMS))
        monkeypatch.setattr(walker_module, "fast_matcher", lambda *a: None)
        without = summary(validate_set(slow, segs, DELIMS))
        monkeypatch.undo()
        assert with_fast == without, texts
        checked += 1
    assert checked > 50
