"""Who is asked about, and when we cannot say: the match rule and the AAA it gives.

Pure functions over what the 270 said (:mod:`.inquiry`) and what the projections hold
(:class:`~eventstore.ledger.lookup.MemberFacts`); the lookups themselves are done in bulk by
:mod:`.services`. The rule (per partner through :class:`Policy`):

1. Dates. The date asked (DTP*291 of the person, or of each EQ; default the day the 270 was
   received) must be a valid D8/RD8 (else 57), not before ``past_days`` (else 62) and not
   after the end of the current month — or ``future_days`` — (else 63). A birth date sent
   must be a valid D8 (else 58) and not after the date asked (else 60).
2. Subscriber (2100C), with a member id (NM109): the candidates are the subscriber whose
   subscriber id (REF*0F) it is, and anyone whose member-level id (REF*23) it is. A
   candidate is the person when the last name and birth date match (each one required by
   the policy, compared when sent). None: 73 when only the name differs, 71 when only the
   birth date differs, else 75 (or 72 when a unique person with the name and birth date
   exists under another id). More than one: 76.
3. Subscriber without a member id: when the policy allows a name search, last name, first
   name and birth date are all required (73 / 58 when missing) and exactly one member must
   have them (none: 75; several: 72 — send the id); without name search: 72.
4. Dependent (2100D): searched only within the subscriber's family (same 834 partner and
   subscriber id). First name and birth date must match (the last name too, when sent);
   several with the relationship (INS02) narrowing them: 68; only the birth date matches:
   65; only the name: 71; none: 67.

Names are compared in upper case without accents, blanks or punctuation ("O'Brien" =
"OBRIEN"). Anything ambiguous is a rejection, never a guess: an answer can only name the
one member that matched.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from eventstore.ledger.lookup import MemberFacts, name_key

from .codes import Reject, reject
from .inquiry import Party, Person

__all__ = [
    "Policy",
    "Verdict",
    "check_receiver",
    "check_source",
    "dates_asked",
    "match_dependent",
    "match_subscriber",
    "npi_valid",
    "parse_birth",
    "same_name",
]


@dataclass(frozen=True)
class Policy:
    """How one partner's 270s are answered (from its EligibilityPolicy row and settings)."""

    payer_ids: frozenset[str]
    authorised_receivers: frozenset[str] = frozenset()  # empty: any valid NPI
    member_sources: tuple[str, ...] = ()  # 834 partner codes; empty: all
    require_last_name: bool = True
    require_birth_date: bool = True
    name_search: bool = True
    past_days: int = 365
    future_days: int | None = None  # None: to the end of the current month
    realtime_window_minutes: int = 0
    batch_window_minutes: int | None = None  # None: the 271 batch window
    max_lag_events: int = 1000


@dataclass(slots=True)
class Verdict:
    """What we decided for one person asked about."""

    person: Person
    member: MemberFacts | None = None
    rejects: list[Reject] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)  # per EQ (or one when none)
    # how the member was found: "id" (by the id asked) or "name" (name search)
    matched_by: str = ""


_NOT_NAME = re.compile(r"[^A-Z0-9]")


@functools.lru_cache(maxsize=65536)
def _plain(name: str) -> str:
    # Names repeat a lot in a batch (the same family name, the same first names).
    decomposed = unicodedata.normalize("NFKD", name.upper())
    return _NOT_NAME.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def same_name(a: str, b: str) -> bool:
    """Names compared in upper case without accents, blanks or punctuation."""
    pa = _plain(a)
    return bool(pa) and pa == _plain(b)


def _d8(value: str) -> dt.date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def parse_birth(person: Person) -> tuple[dt.date | None, bool]:
    """(birth date, whether a DMG was sent that is not a valid D8 date)."""
    fmt, text = person.birth_text
    if not fmt and not text:
        return None, False
    born = _d8(text) if fmt == "D8" else None
    return born, born is None


def _period(fmt: str, value: str) -> tuple[dt.date, dt.date] | None:
    """D8 or RD8 (CCYYMMDD-CCYYMMDD) -> (first, last day); None when not valid."""
    if fmt == "D8":
        day = _d8(value)
        return (day, day) if day else None
    if fmt == "RD8" and value.count("-") == 1:
        first, last = (_d8(p) for p in value.split("-"))
        if first and last and first <= last:
            return first, last
    return None


def _bounds(received: dt.date, policy: Policy) -> tuple[dt.date, dt.date]:
    earliest = received - dt.timedelta(days=policy.past_days)
    if policy.future_days is None:
        latest = received.replace(day=calendar.monthrange(received.year, received.month)[1])
    else:
        latest = received + dt.timedelta(days=policy.future_days)
    return earliest, latest


def dates_asked(
    person: Person, *, received: dt.date, policy: Policy, loop: str
) -> tuple[list[dt.date], list[Reject]]:
    """The as-of date of each EQ of ``person`` (one date when it has none), or the AAA for
    a date that is invalid (57), too old (62) or too far ahead (63). An RD8 range is
    answered as of its first day; both ends must be inside the period we answer."""
    earliest, latest = _bounds(received, policy)
    codes: list[str] = []

    def one(fmt: str, value: str, default: dt.date) -> dt.date:
        if not fmt and not value:
            return default
        period = _period(fmt, value)
        if period is None:
            codes.append("57")
            return default
        if period[0] < earliest:
            codes.append("62")
        elif period[1] > latest:
            codes.append("63")
        return period[0]

    base = one(person.date_format, person.date, received)
    dates = [one(b.date_format, b.date, base) for b in person.benefits] or [base]
    return dates, [reject(loop, c) for c in dict.fromkeys(codes)]


def npi_valid(npi: str) -> bool:
    """A National Provider Identifier: 10 digits, the last a Luhn check digit over the
    card-issuer prefix 80840 and the first nine."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed("80840" + npi[:9])):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def check_source(source: Party, policy: Policy) -> Reject | None:
    """2100A must name us (NM109 one of our payer ids): else 79."""
    payer = source.nm1[8].strip() if len(source.nm1) > 8 else ""
    return None if payer in policy.payer_ids else reject("2100A", "79")


def check_receiver(receiver: Party, policy: Policy) -> Reject | None:
    """2100B must identify a provider by a valid NPI (NM108 XX; else 43) that the policy
    lets this partner ask for (else 41)."""
    nm1 = receiver.nm1
    qualifier = nm1[7] if len(nm1) > 7 else ""
    npi = nm1[8].strip() if len(nm1) > 8 else ""
    if qualifier != "XX" or not npi_valid(npi):
        return reject("2100B", "43")
    if policy.authorised_receivers and npi not in policy.authorised_receivers:
        return reject("2100B", "41")
    return None


def _syntax(person: Person, dates: Sequence[dt.date], loop: str) -> tuple[dt.date | None, list]:
    born, bad = parse_birth(person)
    codes = []
    if bad:
        codes.append("58")
    elif born is not None and born > min(dates):
        codes.append("60")
    return born, [reject(loop, c) for c in codes]


def match_subscriber(
    verdict: Verdict,
    *,
    by_id: dict[str, list[MemberFacts]],
    by_name: dict[tuple[str, dt.date], list[MemberFacts]],
    policy: Policy,
) -> None:
    """Fill ``verdict`` for a subscriber (2100C): the member, or the rejects (rule 2/3).

    A subscriber that is not itself asked about (only its dependents are) need not send a
    birth date: the policy's birth-date requirement is the patient's.
    """
    person = verdict.person
    born, found = _syntax(person, verdict.dates, "2100C")
    verdict.rejects.extend(found)
    last, first, member_id = person.last_name, person.first_name, person.member_id
    codes: list[str] = []
    if member_id:
        if not last and policy.require_last_name:
            codes.append("73")
        if not person.dmg and policy.require_birth_date and person.is_patient:
            codes.append("58")
    elif not policy.name_search:
        codes.append("72")
    else:
        if not last or not first:
            codes.append("73")
        if not person.dmg:
            codes.append("58")
    verdict.rejects.extend(reject("2100C", c) for c in codes if c not in _codes(verdict))
    if verdict.rejects:
        return
    named = _by_name(person, born, by_name)
    if not member_id:
        if len(named) == 1:
            verdict.member, verdict.matched_by = named[0], "name"
        else:
            verdict.rejects.append(reject("2100C", "72" if named else "75"))
        return
    candidates = [
        m
        for m in by_id.get(member_id, ())
        if (m.subscriber_id == member_id and m.is_subscriber) or m.member_ref == member_id
    ]
    name_ok = [not last or same_name(m.last_name, last) for m in candidates]
    born_ok = [born is None or m.birth_date == born for m in candidates]
    both = [m for m, n, b in zip(candidates, name_ok, born_ok, strict=True) if n and b]
    if len(both) == 1:
        verdict.member, verdict.matched_by = both[0], "id"
    elif both:
        verdict.rejects.append(reject("2100C", "76"))
    elif any(b and not n for n, b in zip(name_ok, born_ok, strict=True)):
        verdict.rejects.append(reject("2100C", "73"))
    elif any(n and not b for n, b in zip(name_ok, born_ok, strict=True)):
        verdict.rejects.append(reject("2100C", "71"))
    else:
        verdict.rejects.append(reject("2100C", "72" if len(named) == 1 else "75"))


def _codes(verdict: Verdict) -> set[str]:
    return {r.code for r in verdict.rejects}


def _by_name(
    person: Person,
    born: dt.date | None,
    by_name: dict[tuple[str, dt.date], list[MemberFacts]],
) -> list[MemberFacts]:
    """Members with the person's last name, first name and birth date (name search)."""
    if born is None or not person.last_name or not person.first_name:
        return []
    return [
        m
        for m in by_name.get((name_key(person.last_name), born), ())
        if same_name(m.first_name, person.first_name)
    ]


def match_dependent(verdict: Verdict, *, family: Sequence[MemberFacts], policy: Policy) -> None:
    """Fill ``verdict`` for a dependent (2100D) among ``family`` (rule 4)."""
    person = verdict.person
    born, found = _syntax(person, verdict.dates, "2100D")
    verdict.rejects.extend(found)
    if not person.first_name:
        verdict.rejects.append(reject("2100D", "65"))
    if not person.dmg and policy.require_birth_date:
        verdict.rejects.append(reject("2100D", "58"))
    if verdict.rejects:
        return
    last, first = person.last_name, person.first_name
    name_ok = [
        same_name(m.first_name, first) and (not last or same_name(m.last_name, last))
        for m in family
    ]
    born_ok = [born is None or m.birth_date == born for m in family]
    both = [m for m, n, b in zip(family, name_ok, born_ok, strict=True) if n and b]
    if len(both) > 1 and person.relationship:
        both = [m for m in both if m.relationship == person.relationship]
    if len(both) == 1:
        verdict.member, verdict.matched_by = both[0], "family"
    elif both:
        verdict.rejects.append(reject("2100D", "68"))
    elif any(b and not n for n, b in zip(name_ok, born_ok, strict=True)):
        verdict.rejects.append(reject("2100D", "65"))
    elif any(n and not b for n, b in zip(name_ok, born_ok, strict=True)):
        verdict.rejects.append(reject("2100D", "71"))
    else:
        verdict.rejects.append(reject("2100D", "67"))
