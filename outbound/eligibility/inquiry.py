"""Reading a 270 (005010X279A1) set: who is asked about, by whom, for what, as of when.

The set is read once, in order, and handed on one piece at a time (:func:`iter_270`):

* ``("header", BHT elements)`` first;
* ``("source", Party)`` for each information source (2000A/2100A), once its name is read;
* ``("receiver", Party)`` for each information receiver (2000B/2100B);
* ``("subscriber", Person)`` for each subscriber (2000C/2100C/2110C) with its dependents
  (2000D/2100D/2110D), once the next subscriber, receiver or source begins (or the set ends).

So a batch 270 of thousands of subscribers never needs them all in memory at once. The
set has passed the guide validation (it was accepted by the 999) before it gets here; a
hierarchy that still cannot be followed raises :class:`InquiryError` (positions only).

Elements are kept as sent (lists of strings, for echoing in the 271); repetitions of EQ01
(several service types in one EQ) are split with the interchange's repetition separator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from edi_platform.x12.segments import Segment

__all__ = ["Benefit", "InquiryError", "Party", "Person", "iter_270"]


class InquiryError(ValueError):
    """The set's hierarchy cannot be followed (the message names positions only)."""


@dataclass(slots=True)
class Benefit:
    """One eligibility or benefit inquiry (EQ, loop 2110C/2110D) and its date (DTP*291)."""

    service_types: list[str]
    date_format: str = ""
    date: str = ""


@dataclass(slots=True)
class Party:
    """An information source (level 20) or receiver (level 21) with its name as sent."""

    level: str
    hl: str
    nm1: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Person:
    """A subscriber (level 22) or dependent (level 23) as asked about."""

    level: str
    hl: str
    position: int = 0  # segment position of its HL in the set (ST = 1)
    trns: list[list[str]] = field(default_factory=list)
    nm1: list[str] = field(default_factory=list)
    dmg: list[str] = field(default_factory=list)
    ins: list[str] = field(default_factory=list)
    date_format: str = ""
    date: str = ""
    benefits: list[Benefit] = field(default_factory=list)
    dependents: list[Person] = field(default_factory=list)

    def _nm1(self, index: int) -> str:
        return self.nm1[index].strip() if index < len(self.nm1) else ""

    @property
    def last_name(self) -> str:
        return self._nm1(2)

    @property
    def first_name(self) -> str:
        return self._nm1(3)

    @property
    def member_id(self) -> str:
        """NM109 (subscriber loop only: a 5010 dependent has no identifier of its own)."""
        return self._nm1(8) if self.level == "22" else ""

    @property
    def birth_text(self) -> tuple[str, str]:
        """(DMG01 format, DMG02 date) as sent; ("", "") without DMG."""
        return (
            self.dmg[0] if self.dmg else "",
            self.dmg[1].strip() if len(self.dmg) > 1 else "",
        )

    @property
    def gender(self) -> str:
        return self.dmg[2] if len(self.dmg) > 2 else ""

    @property
    def relationship(self) -> str:
        """INS02 (dependents)."""
        return self.ins[1] if len(self.ins) > 1 else ""

    @property
    def is_patient(self) -> bool:
        """Whether this person is asked about: every dependent; a subscriber when no
        dependent is asked about instead, or when it has inquiries of its own."""
        return self.level == "23" or not self.dependents or bool(self.benefits)


def _benefit(seg: Segment, repetition: str) -> Benefit:
    raw = seg.get(1)
    codes = [c for c in (raw.split(repetition) if repetition else [raw]) if c]
    return Benefit(service_types=codes)


def iter_270(segments: Iterable[Segment], *, repetition: str = "^") -> Iterator[tuple[str, object]]:
    """The pieces of one 270 set, in order (see the module docstring)."""
    pending: Party | Person | None = None  # read, not handed on yet
    subscriber: Person | None = None
    person: Person | None = None  # the subscriber or dependent being read
    benefit: Benefit | None = None
    for seg in segments:
        sid = seg.id
        if sid == "BHT":
            yield "header", list(seg.elements)
        elif sid == "HL":
            level = seg.get(3)
            benefit = None
            if level == "23":
                if subscriber is None:
                    raise InquiryError(f"HL at segment {seg.index}: dependent without subscriber")
                person = Person(level="23", hl=seg.get(1), position=seg.index)
                subscriber.dependents.append(person)
                continue
            if pending is not None:
                yield _kind(pending), pending
            subscriber = person = None
            if level in ("20", "21"):
                pending = Party(level=level, hl=seg.get(1))
            elif level == "22":
                subscriber = person = Person(level="22", hl=seg.get(1), position=seg.index)
                pending = subscriber
            else:
                raise InquiryError(f"HL at segment {seg.index}: level code not of a 270")
        elif sid == "NM1":
            if isinstance(pending, Party) and person is None:
                pending.nm1 = list(seg.elements)
            elif person is not None:
                person.nm1 = list(seg.elements)
        elif person is None:
            continue  # receiver REF/N3/N4/PRV: not needed for the answer
        elif sid == "TRN":
            person.trns.append(list(seg.elements))
        elif sid == "DMG":
            person.dmg = list(seg.elements)
        elif sid == "INS":
            person.ins = list(seg.elements)
        elif sid == "EQ":
            benefit = _benefit(seg, repetition)
            person.benefits.append(benefit)
        elif sid == "DTP" and seg.get(1) == "291":
            if benefit is not None:
                benefit.date_format, benefit.date = seg.get(2), seg.get(3).strip()
            else:
                person.date_format, person.date = seg.get(2), seg.get(3).strip()
        elif sid == "SE":
            break
    if pending is not None:
        yield _kind(pending), pending


def _kind(item: Party | Person) -> str:
    if isinstance(item, Person):
        return "subscriber"
    return "source" if item.level == "20" else "receiver"
