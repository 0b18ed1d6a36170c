"""Test helpers: validate a (mutated) synthetic sample and summarise the findings."""

from __future__ import annotations

from collections.abc import Callable

from edi_platform.x12.guides import find_guide, validate_set
from edi_platform.x12.issues import SegmentIssue

from .samples import DELIMS, GUIDE_OF, lines, segments


def run(name: str, edit: Callable[[list[str]], list[str]] | None = None) -> list[SegmentIssue]:
    """Validate sample ``name`` after ``edit`` (a function of its segment texts)."""
    texts = lines(name)
    if edit is not None:
        texts = edit(list(texts))
    guide = find_guide(*GUIDE_OF[name])
    assert guide is not None
    return validate_set(guide, segments(texts), DELIMS)


def summary(issues: list[SegmentIssue]) -> list[tuple]:
    """(IK301, IK302, IK303, IK304, [(IK401-1, IK401-2, IK401-3, IK403), ...]) per issue."""
    return [
        (
            i.segment_id,
            i.position,
            i.loop_id,
            i.code,
            [(e.position, e.component, e.repetition, e.code) for e in i.elements],
        )
        for i in issues
    ]


def replace(old: str, new: str) -> Callable[[list[str]], list[str]]:
    """Edit: replace the first segment text starting with ``old`` by ``new``."""

    def edit(texts: list[str]) -> list[str]:
        for i, t in enumerate(texts):
            if t.startswith(old):
                texts[i] = new
                return texts
        raise AssertionError(f"no segment starts with {old!r}")

    return edit


def insert_after(anchor: str, *new: str) -> Callable[[list[str]], list[str]]:
    """Edit: insert segment texts after the first one starting with ``anchor``."""

    def edit(texts: list[str]) -> list[str]:
        for i, t in enumerate(texts):
            if t.startswith(anchor):
                return texts[: i + 1] + list(new) + texts[i + 1 :]
        raise AssertionError(f"no segment starts with {anchor!r}")

    return edit


def drop(prefix: str) -> Callable[[list[str]], list[str]]:
    """Edit: remove the first segment text starting with ``prefix``."""

    def edit(texts: list[str]) -> list[str]:
        for i, t in enumerate(texts):
            if t.startswith(prefix):
                return texts[:i] + texts[i + 1 :]
        raise AssertionError(f"no segment starts with {prefix!r}")

    return edit
