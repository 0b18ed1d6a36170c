"""The segments of a 271 (005010X279A1), from what was asked and what was decided. Pure.

The 271 mirrors the 270's hierarchy (HL levels 20 / 21 / 22 / 23, numbered again in order)
and its BHT reference; each TRN*1 of the inquiry comes back as TRN*2, with our own TRN*1.
What a loop holds:

* information source (2000A/2100A) and receiver (2000B/2100B): their NM1 as sent; an AAA
  when we cannot answer for them, and then nothing below them (HL04 = 0);
* a person we matched: NM1 with the name and id we hold, REF*1L (group or policy), N3/N4,
  DMG, INS for a dependent (and for a subscriber whose identifying data we corrected:
  INS03 001 / INS04 25), DTP*346 plan begin and DTP*356/357 eligibility begin/end; when
  the person is the patient, the 2110 loops: one EB per service type asked and coverage
  that answers it (EB01 1 active or 6 inactive as of the date asked, I for a service type
  none of the person's coverages has; EB02 coverage level; EB03 the code asked, 30 when
  asked generically or for a code we do not answer specifically; EB04 insurance type;
  EB05 plan) with DTP*348/349 benefit begin/end;
* a person we could not match: its NM1 and DMG as sent and one AAA per reason.

Values we hold are cleaned for X12 before they are written (printable, no characters that
serve as delimiters, single blanks, cut to the element's maximum length).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence

from eventstore.ledger.lookup import CoverageFacts, MemberFacts

from . import codes
from .codes import Reject
from .inquiry import Party, Person
from .matching import Verdict, parse_birth, same_name

__all__ = [
    "EbSummary",
    "d8",
    "header_segments",
    "party_segments",
    "person_segments",
    "text",
]

Seg = list[str]
# [EB01, EB03, coverage (HD03), plan (HD04)] of each EB sent: what the inquiry record keeps.
EbSummary = list[str]

# Characters X12 files commonly use as delimiters (element, component, repetition,
# segment): never inside a value we write (the builder drops the partner's own ones too).
_UNSAFE = re.compile(r"[~*:^|>!\\\x00-\x1f\x7f-\x9f]")
_BLANKS = re.compile(r"\s+")


@functools.lru_cache(maxsize=65536)
def text(value: str, max_len: int, min_len: int = 1) -> str:
    """``value`` as an X12 AN element: printable, no delimiter characters, single blanks,
    at most ``max_len`` characters, no blank at either end; "" (left out) when shorter than
    the element's ``min_len``."""
    cleaned = _BLANKS.sub(" ", _UNSAFE.sub("", value or "")).strip()[:max_len].rstrip()
    return cleaned if len(cleaned) >= min_len else ""


def d8(day: dt.date) -> str:
    """CCYYMMDD (zero-padded whatever the year)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def header_segments(bht: Sequence[str], now: dt.datetime) -> list[Seg]:
    """BHT of the 271: structure 0022, purpose 11 (response), the 270's reference."""
    reference = bht[2] if len(bht) > 2 else ""
    return [["BHT", "0022", "11", reference, d8(now.date()), now.strftime("%H%M")]]


def _aaa(r: Reject) -> Seg:
    return ["AAA", r.valid_request, "", r.code, r.follow_up]


def party_segments(
    party: Party, *, hl: int, parent: int | None, rejects: Sequence[Reject]
) -> list[Seg]:
    """HL + NM1 as sent (+ AAA) of an information source or receiver. A source-level AAA
    (2000A, system reasons) precedes the name; a 2100A/2100B one follows it."""
    out: list[Seg] = [
        ["HL", str(hl), "" if parent is None else str(parent), party.level, "0" if rejects else "1"]
    ]
    out += [_aaa(r) for r in rejects if r.loop == "2000A"]
    out.append(["NM1", *party.nm1[:9]])
    out += [_aaa(r) for r in rejects if r.loop != "2000A"]
    return out


def _trns(person: Person, trace: str, trace_id: str) -> list[Seg]:
    out = [["TRN", "2", *t[1:4]] for t in person.trns if len(t) > 2][:2]
    out.append(["TRN", "1", trace, trace_id])
    return out


def _echo(person: Person, rejects: Sequence[Reject]) -> list[Seg]:
    """A person we cannot answer for: NM1 as sent, the AAAs, a valid DMG as sent."""
    width = 9 if person.level == "22" else 7
    out: list[Seg] = [["NM1", *person.nm1[:width]]]
    out += [_aaa(r) for r in rejects[:9]]
    born, _bad = parse_birth(person)
    if born is not None:
        gender = person.gender if person.gender in codes.GENDERS else ""
        out.append(["DMG", "D8", d8(born), gender])
    return out


def _id_returned(member: MemberFacts, asked_id: str) -> str:
    if asked_id and asked_id in (member.subscriber_id, member.member_ref):
        return asked_id
    if not member.is_subscriber and member.member_ref:
        return member.member_ref
    return member.subscriber_id


def _changed(person: Person, member: MemberFacts, returned_id: str) -> bool:
    """Whether what we return corrects what the 270 sent to identify the person: a name or
    birth date sent that differs from ours, or a member id other than the one sent (an id
    found by a name search included: the provider should keep it)."""
    born, _bad = parse_birth(person)
    return (
        bool(person.last_name and not same_name(member.last_name, person.last_name))
        or bool(person.first_name and not same_name(member.first_name, person.first_name))
        or (born is not None and born != member.birth_date)
        or bool(returned_id and person.member_id != returned_id)
    )


def _demographics(person: Person, member: MemberFacts) -> list[Seg]:
    """NM1 .. DTP of a matched person, from the projection."""
    name = [
        text(member.last_name, 60),
        text(member.first_name, 35),
        text(member.middle_name, 25),
    ]
    returned_id = ""
    if person.level == "22":
        # NM109 is 2 to 80 characters: a one-character id (legal in an 834 REF*0F) is left
        # out rather than padded into another id.
        returned_id = text(_id_returned(member, person.member_id), 80, 2)
        identified = ["MI", returned_id] if returned_id else []
        out: list[Seg] = [["NM1", "IL", "1", *name, "", "", *identified]]
    else:
        out = [["NM1", "03", "1", *name]]
    if member.group_policy and text(member.group_policy, 50):
        out.append(["REF", "1L", text(member.group_policy, 50)])
    line1, city = text(member.address_line1, 55), text(member.city, 30, 2)
    state, postal = text(member.state, 15, 2), text(member.postal_code, 15, 3)
    if line1 and city and len(state) == 2 and postal:  # a US/Canada address (N402 needed)
        line2 = text(member.address_line2, 55)
        out.append(["N3", line1, line2])
        out.append(["N4", city, state, postal])
    if member.birth_date is not None:
        gender = member.gender if member.gender in codes.GENDERS else ""
        out.append(["DMG", "D8", d8(member.birth_date), gender])
    changed = _changed(person, member, returned_id)
    if person.level == "23":
        relationship = (
            member.relationship
            if member.relationship in codes.DEPENDENT_RELATIONSHIPS
            else codes.OTHER_RELATIONSHIP
        )
        out.append(["INS", "N", relationship, *(["001", "25"] if changed else [])])
    elif changed:
        out.append(["INS", "Y", "18", "001", "25"])
    plan_begin = member.coverage_begin
    eligibility_begin = member.eligibility_begin or member.coverage_begin
    eligibility_end = member.eligibility_end or member.coverage_end
    if plan_begin:
        out.append(["DTP", "346", "D8", d8(plan_begin)])
    if eligibility_begin:
        out.append(["DTP", "356", "D8", d8(eligibility_begin)])
    if eligibility_end:
        out.append(["DTP", "357", "D8", d8(eligibility_end)])
    return out


def _eb(status: str, code: str, coverage: CoverageFacts | None) -> tuple[list[Seg], EbSummary]:
    if coverage is None:
        return [["EB", status, "", code]], [status, code, "", ""]
    level = codes.COVERAGE_LEVELS.get(coverage.coverage_level, "")
    kind = codes.INSURANCE_TYPES.get(coverage.coverage_key, codes.DEFAULT_INSURANCE_TYPE)
    plan = text(coverage.plan, 50)
    out: list[Seg] = [["EB", status, level, code, kind, plan]]
    if coverage.benefit_begin:
        out.append(["DTP", "348", "D8", d8(coverage.benefit_begin)])
    if coverage.benefit_end:
        out.append(["DTP", "349", "D8", d8(coverage.benefit_end)])
    return out, [status, code, coverage.coverage_key, plan]


def _benefits(person: Person, member: MemberFacts, dates: Sequence[dt.date]):
    """The 2110 loops of a matched patient: one EB per (service type asked, coverage)."""
    segments: list[Seg] = []
    summary: list[EbSummary] = []
    asked = [(b.service_types or [codes.GENERIC_SERVICE_TYPE]) for b in person.benefits] or [
        [codes.GENERIC_SERVICE_TYPE]
    ]
    done: set[tuple[str, dt.date]] = set()
    for service_types, day in zip(asked, dates, strict=True):
        for asked_code in service_types:
            code = asked_code if asked_code in codes.ANSWERED_SERVICE_TYPES else "30"
            if not member.coverages:
                code = "30"  # nothing to tell the service types apart: answer generically
            if (code, day) in done:
                continue
            done.add((code, day))
            if not member.coverages:
                status = "1" if member.eligible_on(day) else "6"
                segs, eb = _eb(status, code, None)
                segments += segs
                summary.append(eb)
                continue
            covering = [
                c
                for c in member.coverages
                if code == "30" or code in codes.SERVICE_TYPES_BY_LINE.get(c.coverage_key, ())
            ]
            if not covering:
                segs, eb = _eb("I", code, None)
                segments += segs
                summary.append(eb)
            for coverage in covering:
                segs, eb = _eb("1" if coverage.active_on(day) else "6", code, coverage)
                segments += segs
                summary.append(eb)
    return segments, summary


def person_segments(
    verdict: Verdict,
    *,
    hl: int,
    parent: int,
    child: bool,
    trace: str,
    trace_id: str,
) -> tuple[list[Seg], list[EbSummary]]:
    """The 2000C/2000D loop of one person: HL, TRNs, then the person as we hold them (and
    their benefits when they are the patient) or as sent with the AAAs."""
    person = verdict.person
    out: list[Seg] = [["HL", str(hl), str(parent), person.level, "1" if child else "0"]]
    out += _trns(person, trace, trace_id)
    member = verdict.member
    if verdict.rejects or member is None:
        return out + _echo(person, verdict.rejects), []
    out += _demographics(person, member)
    if not person.is_patient:
        return out, []
    benefits, summary = _benefits(person, member, verdict.dates)
    return out + benefits, summary
