"""Core value types shared by the reader, the validators and the builder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of an interchange, taken from its ISA (or a partner's settings)."""

    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"


@dataclass(slots=True)
class Segment:
    """One segment as read from a file.

    ``elements[0]`` is the first data element (XX01); components and repetitions are
    not split here (use the interchange's :class:`Delimiters`), so reading stays cheap.
    ``index`` is the 1-based position inside its transaction set (ST = 1) and 0 for
    envelope segments outside a set; ``line`` is 1-based; ``offset`` is the byte offset
    of the segment's first byte in the source.  ``leading_space`` is True when blanks or
    tabs stood between the previous terminator and this segment's id (they were stripped;
    the validator reports them like pyx12 does).
    """

    id: str
    elements: list[str]
    line: int = 0
    offset: int = 0
    index: int = 0
    leading_space: bool = False

    def get(self, position: int, default: str = "") -> str:
        """Element XXnn by its 1-based position, or ``default`` when absent."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else default
