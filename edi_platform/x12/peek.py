"""The sender and control facts of a file's first ISA, read from its first bytes.

Used before anything is validated (to find the trading partner, address a TA1, check for a
duplicate ISA13), so it is tolerant: it splits on the element separator (the 4th
character) rather than fixed columns, and an ISA of the wrong width still names its sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from edi_platform.x12.reader import PADDING, decode

__all__ = ["IsaHead", "is_isa13", "peek_isa"]

PEEK_BYTES = 4096  # enough for the ISA of any file, padding included


def is_isa13(value: str) -> bool:
    """An interchange control number as ISA13 requires: exactly nine ASCII digits."""
    return len(value) == 9 and value.isascii() and value.isdigit()


@dataclass(frozen=True)
class IsaHead:
    """ISA fields read tolerantly from the first bytes (also from an ISA of the wrong width)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    control_number: str
    usage: str

    @property
    def sender_identified(self) -> bool:
        return bool(self.sender_qualifier and self.sender_id)

    @property
    def isa13(self) -> str:
        """ISA13 when it is a valid control number, else ``""``."""
        return self.control_number if is_isa13(self.control_number) else ""

    def batch_fields(self) -> dict[str, str]:
        """Values for a batch record, cut to the envelope widths (a broken ISA may be
        longer)."""
        return {
            "sender_qualifier": self.sender_qualifier[:2],
            "sender_id": self.sender_id[:15],
            "receiver_qualifier": self.receiver_qualifier[:2],
            "receiver_id": self.receiver_id[:15],
            "isa13": self.isa13,
            "isa09": self.date[:6],
            "isa10": self.time[:4],
            "usage_indicator": self.usage[:1],
        }


def peek_isa(head: bytes) -> IsaHead | None:
    """The sender and control facts of the first ISA, or None when there is no usable ISA."""
    text = decode(head).lstrip(PADDING)
    if not text.startswith("ISA") or len(text) < 4:
        return None
    sep = text[3]
    if sep.isalnum() or sep in " \r\n":
        return None
    parts = text[:600].split(sep, 16)
    if len(parts) < 8:
        return None  # ISA06 is complete only when the separator after it was received
    values = [p.strip() for p in parts[1:16]]
    if any("\n" in v or "\r" in v for v in values[:6]):
        return None  # a segment break inside the ISA: not a usable header
    values += [""] * (15 - len(values))  # a cut-off ISA: what is missing stays empty
    if len(parts) < 16:
        values[-1] = ""  # ISA15 and anything after a cut are not trustworthy
    return IsaHead(
        sender_qualifier=values[4],
        sender_id=values[5],
        receiver_qualifier=values[6],
        receiver_id=values[7],
        date=values[8],
        time=values[9],
        control_number=values[12],
        usage=values[14],
    )
