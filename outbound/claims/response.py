"""The 277CA (005010X214) of one 837 set: its content when the set is judged, its segments
when the file is assembled.

:func:`ack_content` keeps what the 277CA says in a compact JSON-safe form (the outcome's
payload: parties, claims, status codes, numbers, dates), :func:`ack_segments` turns it into
the segments between ST and SE — pure and deterministic, so a rebuilt file has the same
bytes. The structure:

* BHT*0085*08*<our reference>*<date>*<time>*TH
* 2000A information source (us, the payer): NM1*PR (the 837's receiver, 1000B, unless
  ``CLAIMS_PAYER_NAME`` / ``CLAIMS_PAYER_ID`` say otherwise), TRN*1 (our trace),
  DTP*050 received, DTP*009 processed;
* 2000B information receiver (the 837's submitter, 1000A): NM1*41, TRN*2 = the 837's
  BHT03, STC*A1:19:PR, QTY*90 / QTY*AA and AMT*YU / AMT*YY (accepted / rejected claims
  and their charges, each when not zero);
* 2000C per billing provider: NM1*85 with its NPI (XX; else FI with the tax id), TRN*1,
  STC*A1:19:85, QTY*QA / QTY*QC, AMT*YU / AMT*YY for its claims;
* 2000D per claim: NM1*QC (the patient's name; NM109 the subscriber's id, MI or II as
  sent — a 5010 837 sends no patient id), TRN*2 = CLM01, one STC per reason
  (A2:20 when accepted), REF*1K our claim control number (accepted claims), REF*D9 when
  the 837 had one, REF*BLT the bill type (837I), DTP*472 the claim's dates of service
  (D8, or RD8 for a span; the day received when none is usable, as the rejection says);
* 2220D per line a line-level edit hit: SVC (procedure or revenue code, charge), STC,
  REF*FJ (the line item control number, when sent), DTP*472.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.conf import settings

from .codes import ACCEPTED_STC, RECEIVED_STC
from .facts import ClaimFacts
from .reading import ClaimSet, ReadClaim
from .verdicts import JudgedSet

__all__ = ["ack_content", "ack_segments", "payer_source"]

STATUS_DATE = "%Y%m%d"


@functools.lru_cache(maxsize=4096)
def _amount(value: Decimal | None) -> str:
    """An X12 amount (R): no exponent, no trailing fraction zeros."""
    if value is None:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


@functools.lru_cache(maxsize=4096)
def _span(first: dt.date, last: dt.date) -> tuple[str, str]:
    """DTP02 and DTP03 of a period: D8 for one day, else RD8."""
    if first == last:
        return "D8", first.strftime(STATUS_DATE)
    return "RD8", f"{first.strftime(STATUS_DATE)}-{last.strftime(STATUS_DATE)}"


def _dates(facts: ClaimFacts, received: dt.date) -> list[str]:
    return list(_span(*(facts.period or (received, received))))


def _patient(claim: ReadClaim) -> list[str]:
    who = claim.patient or claim.subscriber
    qualifier = "II" if claim.subscriber.id_qualifier == "II" else "MI"
    return [
        who.last or "UNKNOWN",
        who.first,
        who.middle,
        who.suffix,
        qualifier,
        claim.subscriber.id or "UNKNOWN",
    ]


def _procedure(facts_line: Any, kind: str) -> list[str]:
    line = facts_line.line
    if line.procedure and line.procedure[0]:
        return line.procedure[:6]
    if kind == "I" and line.revenue:
        return ["NU", line.revenue]
    return ["HC", "UNKNOWN"]


def _claim(facts: ClaimFacts, *, kind: str, number: int | None, received: dt.date) -> list:
    claim = facts.claim
    if facts.accepted:
        stcs = [list(ACCEPTED_STC)]
    else:
        stcs = [[edit.category, edit.status, edit.entity] for edit, _ in facts.hits]
    line_hits: dict[int, list[list[str]]] = {}
    for edit, where in facts.hits:
        for n in where:
            if n:
                line_hits.setdefault(n, []).append([edit.category, edit.status, edit.entity])
    lines = []
    for n, lf in facts.lines:
        if n not in line_hits:
            continue
        fmt_value = (
            ["D8", lf.period[0].strftime(STATUS_DATE)]
            if lf.period is not None and lf.period[0] == lf.period[1]
            else (["RD8", f"{lf.period[0]:%Y%m%d}-{lf.period[1]:%Y%m%d}"] if lf.period else [])
        )
        lines.append(
            [
                _procedure(lf, kind),
                _amount(lf.charge),
                lf.line.revenue if kind == "I" else "",
                line_hits[n],
                lf.line.control,
                fmt_value,
            ]
        )
    bill_type = f"{claim.facility}{claim.frequency}" if kind == "I" else ""
    return [
        claim.pcn or "UNKNOWN",
        _amount(facts.charge),
        "" if number is None else str(number),
        bill_type,
        claim.clearinghouse_reference,
        _dates(facts, received),
        _patient(claim),
        stcs,
        lines,
    ]


def _provider(read: ClaimSet, index: int) -> list[str]:
    p = read.providers[index] if index < len(read.providers) else None
    if p is None:
        return ["2", "UNKNOWN", "", "", "", "FI", "UNKNOWN"]
    if p.id_qualifier == "XX" and p.id:
        qualifier, ident = "XX", p.id
    else:
        qualifier, ident = "FI", p.tax_id or p.id or "UNKNOWN"
    return [
        p.entity_type or "2",
        p.last or "UNKNOWN",
        p.first,
        p.middle,
        p.suffix,
        qualifier,
        ident,
    ]


def ack_content(
    *,
    judged: JudgedSet,
    numbers: dict[int, int],
    trace: str,
    received: dt.date,
    now: dt.datetime,
    source: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """What the 277CA of one accepted 837 set says (``numbers``: claim position -> our
    claim control number, for the accepted claims; ``now``: local time of the verdict;
    ``source``: :func:`payer_source`, read once by a caller that answers many sets)."""
    processed, time = _stamp(now)
    read = judged.read
    provider_of = {id(p): n for n, p in enumerate(read.providers)}
    providers: dict[int, list] = {}
    for facts in judged.claims:
        index = provider_of.get(id(facts.claim.provider), len(read.providers))
        providers.setdefault(index, []).append(
            _claim(
                facts,
                kind=judged.kind,
                number=numbers.get(facts.claim.position),
                received=received,
            )
        )
    submitter = read.submitter
    return {
        "type": "277CA",
        "trace": trace,
        "reference": read.reference or "UNKNOWN",
        "received": _day(received),
        "processed": processed,
        "time": time,
        "source": _source(read, payer_source() if source is None else source),
        "receiver": [
            submitter.entity_type or "2",
            submitter.last or "UNKNOWN",
            submitter.first,
            submitter.middle,
            submitter.id or "UNKNOWN",
        ],
        "providers": [[_provider(read, index), claims] for index, claims in providers.items()],
    }


@functools.lru_cache(maxsize=256)
def _day(day: dt.date) -> str:
    return day.strftime(STATUS_DATE)


@functools.lru_cache(maxsize=16)
def _stamp(now: dt.datetime) -> tuple[str, str]:
    return now.strftime(STATUS_DATE), now.strftime("%H%M")


def payer_source() -> tuple[str, str]:
    """(``CLAIMS_PAYER_NAME``, ``CLAIMS_PAYER_ID``): how the settings name us, maybe blank."""
    return (
        str(getattr(settings, "CLAIMS_PAYER_NAME", "") or ""),
        str(getattr(settings, "CLAIMS_PAYER_ID", "") or ""),
    )


def _source(read: ClaimSet, payer: tuple[str, str]) -> list[str]:
    """2100A: us, as the 837 named us (1000B), unless the settings name us otherwise."""
    name, ident = payer
    if ident:
        return [name or read.receiver.last or "PAYER", ident, "PI"]
    return [name or read.receiver.last or "PAYER", read.receiver.id or "UNKNOWN", "46"]


def _totals(claims: list[list]) -> tuple[int, Decimal, int, Decimal]:
    accepted = rejected = 0
    accepted_amount = rejected_amount = Decimal(0)
    for claim in claims:
        amount = Decimal(claim[1])
        if claim[2]:  # a claim control number: accepted
            accepted += 1
            accepted_amount += amount
        else:
            rejected += 1
            rejected_amount += amount
    return accepted, accepted_amount, rejected, rejected_amount


def _summary(qualifiers: tuple[str, str], claims: list[list]) -> list[list[str]]:
    accepted, accepted_amount, rejected, rejected_amount = _totals(claims)
    out = []
    if accepted:
        out.append(["QTY", qualifiers[0], str(accepted)])
    if rejected:
        out.append(["QTY", qualifiers[1], str(rejected)])
    if accepted:
        out.append(["AMT", "YU", _amount(accepted_amount)])
    if rejected:
        out.append(["AMT", "YY", _amount(rejected_amount)])
    return out


def ack_segments(content: dict[str, Any]) -> list[list[Any]]:
    """The segments of one 277CA set (between ST and SE) from its :func:`ack_content`."""
    processed = content["processed"]
    every = [claim for _, claims in content["providers"] for claim in claims]
    accepted_any = any(claim[2] for claim in every)
    total = sum((Decimal(c[1]) for c in every), start=Decimal(0))
    name, source_id, source_qualifier = content["source"]
    kind, last, first, middle, receiver_id = content["receiver"]
    segments: list[list[Any]] = [
        ["BHT", "0085", "08", content["trace"], processed, content["time"], "TH"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", name, "", "", "", "", source_qualifier, source_id],
        ["TRN", "1", content["trace"]],
        ["DTP", "050", "D8", content["received"]],
        ["DTP", "009", "D8", processed],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "41", kind, last, first, middle, "", "", "46", receiver_id],
        ["TRN", "2", content["reference"]],
        ["STC", list(RECEIVED_STC), processed, "WQ" if accepted_any else "U", _amount(total)],
        *_summary(("90", "AA"), every),
    ]
    hl = 2
    for n, (provider, claims) in enumerate(content["providers"], 1):
        hl += 1
        provider_hl = hl
        p_kind, p_last, p_first, p_middle, p_suffix, qualifier, ident = provider
        p_total = sum((Decimal(c[1]) for c in claims), start=Decimal(0))
        p_accepted = any(claim[2] for claim in claims)
        segments += [
            ["HL", str(provider_hl), "2", "19", "1"],
            ["NM1", "85", p_kind, p_last, p_first, p_middle, "", p_suffix, qualifier, ident],
            ["TRN", "1", f"{content['trace']}-{n}"],
            ["STC", ["A1", "19", "85"], "", "WQ" if p_accepted else "U", _amount(p_total)],
            *_summary(("QA", "QC"), claims),
        ]
        for claim in claims:
            hl += 1
            segments += _claim_segments(claim, hl=hl, parent=provider_hl, processed=processed)
    return segments


def _claim_segments(claim: list, *, hl: int, parent: int, processed: str) -> list[list[Any]]:
    pcn, charge, number, bill_type, d9, dates, patient, stcs, lines = claim
    last, first, middle, suffix, qualifier, ident = patient
    action = "WQ" if number else "U"
    out: list[list[Any]] = [
        ["HL", str(hl), str(parent), "PT"],
        ["NM1", "QC", "1", last, first, middle, "", suffix, qualifier, ident],
        ["TRN", "2", pcn],
    ]
    out += [["STC", stc, processed, action, charge] for stc in stcs]
    if number:
        out.append(["REF", "1K", number])
    if d9:
        out.append(["REF", "D9", d9])
    if bill_type:
        out.append(["REF", "BLT", bill_type])
    out.append(["DTP", "472", *dates])
    for procedure, line_charge, revenue, line_stcs, control, line_dates in lines:
        out.append(["SVC", procedure, line_charge, "", revenue])
        # one STC per line (X214): a second and third reason go in STC10 and STC11
        extra = line_stcs[1:3]
        out.append(["STC", line_stcs[0], processed, "U", "", "", "", "", "", "", *extra])
        if control:
            out.append(["REF", "FJ", control])
        if line_dates:
            out.append(["DTP", "472", *line_dates])
    return out
