"""The claim edits, as one table: code, what it checks, the STC it produces, whether a
partner may switch it off, and its check (a few lines each).

A claim of an accepted 837 set is accepted into adjudication unless a rule below hits;
every rule that hits adds one STC to the claim's 277CA (2200D, and 2220D for a line-level
hit) and one reason to its registry row. Rules run in the table's order; a rule whose input
an earlier rule found unusable does not run (no duplicate check without an amount). The
first four rows are applied to every partner (a guide finding, or data the registry cannot
use); the others are business edits each partner can have switched off (admin → Outbound →
Claim edit settings; no row = on).

A check reads a :class:`~.facts.ClaimFacts` (the claim as read, its parsed amounts and
dates, the members found, the duplicate and original found) and returns where it hits:
``[0]`` the claim, ``[n, ...]`` line numbers (LX01), ``[]`` nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .codes import stc_meaning

if TYPE_CHECKING:
    from .facts import ClaimFacts

__all__ = ["EDITS", "SWITCHABLE", "Edit", "edit_for"]

CLAIM = [0]
NONE: list[int] = []


@dataclass(frozen=True)
class Edit:
    code: str
    description: str
    category: str  # STC01-1 (507)
    status: str  # STC01-2 (508)
    entity: str  # STC01-3 (98), when the status code names one
    switchable: bool
    check: Callable[[ClaimFacts], Sequence[int]]

    @property
    def stc(self) -> str:
        return ":".join(p for p in (self.category, self.status, self.entity) if p)

    @property
    def meaning(self) -> str:
        return stc_meaning(self.category, self.status, self.entity)


# -- the checks ---------------------------------------------------------------------------


def _guide_finding(f: ClaimFacts) -> Sequence[int]:
    return sorted(f.finding_lines) if f.finding_lines else (CLAIM if f.finding_claim else NONE)


def _charge_unusable(f: ClaimFacts) -> Sequence[int]:
    lines = [n for n, line in f.lines if line.charge is None]
    return CLAIM if f.charge is None else lines


def _dates_unusable(f: ClaimFacts) -> Sequence[int]:
    if f.period is None:
        return CLAIM
    return [n for n, line in f.lines if line.unusable_date]


def _npi_invalid(f: ClaimFacts) -> Sequence[int]:
    return NONE if f.npi_valid else CLAIM


def _subscriber_unknown(f: ClaimFacts) -> Sequence[int]:
    return CLAIM if f.subscriber is None else NONE


def _patient_unknown(f: ClaimFacts) -> Sequence[int]:
    dependent = f.claim.patient is not None
    return CLAIM if dependent and f.subscriber is not None and f.patient is None else NONE


def _not_eligible(f: ClaimFacts) -> Sequence[int]:
    member = f.patient_member
    if member is None or f.period is None:
        return NONE
    first, last = f.period
    return NONE if member.eligible_on(first) and member.eligible_on(last) else CLAIM


def _duplicate(f: ClaimFacts) -> Sequence[int]:
    return CLAIM if f.duplicate_of is not None else NONE


def _future_date(f: ClaimFacts) -> Sequence[int]:
    if f.period is None:
        return NONE
    lines = [n for n, line in f.lines if line.period is not None and line.period[1] > f.today]
    if lines:
        return lines
    return CLAIM if f.period[1] > f.today else NONE


def _out_of_balance(f: ClaimFacts) -> Sequence[int]:
    if f.charge is None or not f.lines or any(line.charge is None for _, line in f.lines):
        return NONE
    total = sum((line.charge for _, line in f.lines), start=f.charge * 0)
    return NONE if total == f.charge else CLAIM


def _original_not_found(f: ClaimFacts) -> Sequence[int]:
    if f.claim.frequency not in ("7", "8"):
        return NONE
    return CLAIM if f.replaces is None else NONE


EDITS: tuple[Edit, ...] = (
    Edit(
        "GUIDE_FINDING",
        "The 999 reported an implementation-guide finding inside the claim's loops (an IK3 "
        "in 2300 or below; its line when in 2400) of a set it accepted with errors.",
        "A7",
        "21",
        "",
        False,
        _guide_finding,
    ),
    Edit(
        "CHARGE_UNUSABLE",
        "The total charge (CLM02) or a line charge is not a usable amount.",
        "A7",
        "178",
        "",
        False,
        _charge_unusable,
    ),
    Edit(
        "DATES_UNUSABLE",
        "No usable date of service: the claim's DTP*472/434, or a line's DTP*472, is not a "
        "calendar date or ends before it starts (a claim needs one or the other).",
        "A7",
        "187",
        "",
        False,
        _dates_unusable,
    ),
    Edit(
        "NPI_INVALID",
        "The billing provider (2010AA) has no NPI with a valid check digit.",
        "A7",
        "562",
        "85",
        False,
        _npi_invalid,
    ),
    Edit(
        "SUBSCRIBER_UNKNOWN",
        "No member has the subscriber's id (2010BA NM109) with that last name (and birth "
        "date, when sent), or several do.",
        "A7",
        "33",
        "",
        True,
        _subscriber_unknown,
    ),
    Edit(
        "PATIENT_UNKNOWN",
        "The patient (2010CA) is not exactly one member of the subscriber's family by first "
        "name and birth date.",
        "A7",
        "26",
        "QC",
        True,
        _patient_unknown,
    ),
    Edit(
        "NOT_ELIGIBLE",
        "The patient is not eligible on the dates of service (the member's eligibility, "
        "else its coverage span, from the enrollment projections as of those dates).",
        "A3",
        "88",
        "QC",
        True,
        _not_eligible,
    ),
    Edit(
        "DUPLICATE",
        "A claim already accepted has the same billing provider NPI, patient control "
        "number, total charge and dates of service, both with frequency code 1 (in an "
        "earlier file, or earlier in this one).",
        "A3",
        "54",
        "",
        True,
        _duplicate,
    ),
    Edit(
        "FUTURE_DATE",
        "A date of service (the claim's or a line's) is after the day the 837 was received.",
        "A7",
        "187",
        "",
        True,
        _future_date,
    ),
    Edit(
        "OUT_OF_BALANCE",
        "The total charge (CLM02) is not the sum of the service line charges (SNIP type 3 "
        "balancing).",
        "A7",
        "400",
        "",
        True,
        _out_of_balance,
    ),
    Edit(
        "ORIGINAL_NOT_FOUND",
        "A replacement or void (frequency 7 or 8) whose REF*F8 is not the claim control "
        "number of a claim we accepted from the same billing provider.",
        "A7",
        "464",
        "",
        True,
        _original_not_found,
    ),
)

_BY_CODE = {edit.code: edit for edit in EDITS}
SWITCHABLE = frozenset(edit.code for edit in EDITS if edit.switchable)


def edit_for(code: str) -> Edit | None:
    return _BY_CODE.get(code)
